#include "runtime/live/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace saludo::runtime::live {
namespace {

// Redirects `fd` to `path` (truncating) in the child; _exit on failure.
void RedirectOrDie(int fd, const std::string& path) {
  if (path.empty()) return;
  int out = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || dup2(out, fd) < 0) _exit(126);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(
    const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty argv");
  const std::string& program = options.argv[0];
  if (access(program.c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot run ", program, ": ", std::strerror(errno)));
  }
  uid_t uid = 0;
  gid_t gid = 0;
  const bool drop = geteuid() == 0 && !options.user_if_root.empty();
  if (drop) {
    passwd* pw = getpwnam(options.user_if_root.c_str());
    if (pw == nullptr) {
      return absl::NotFoundError("no user " + options.user_if_root);
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  std::vector<char*> argv;
  for (const std::string& a : options.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, options.death_signal);
    if (getppid() != parent) _exit(125);  // the parent died before prctl
    // Threads of the parent may have blocked signals; the child starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    RedirectOrDie(STDOUT_FILENO, options.stdout_path);
    if (!options.stderr_path.empty() &&
        options.stderr_path == options.stdout_path) {
      // One file, one offset: opened twice, each stream would overwrite the
      // other's lines.
      if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0) _exit(126);
    } else {
      RedirectOrDie(STDERR_FILENO, options.stderr_path);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (drop &&
        (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      _exit(124);
    }
    // Changing the user clears the death signal: arm it again, and check
    // once more that the parent is still there.
    if (drop) {
      prctl(PR_SET_PDEATHSIG, options.death_signal);
      if (getppid() != parent) _exit(125);
    }
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
}

bool Subprocess::Running() {
  if (exit_status_.has_value()) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

void Subprocess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

namespace {

// A descriptor that becomes readable when `pid` exits; -1 where the kernel
// (before 5.3) or a seccomp filter refuses pidfd_open.
int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

}  // namespace

std::optional<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  // Woken by the exit itself where the kernel can; else a look every 5 ms.
  const int exited = Running() ? OpenPidFd(pid_) : -1;
  while (Running()) {
    const absl::Duration left = end - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    const absl::Duration step = std::min(
        left, exited >= 0 ? absl::Milliseconds(100) : absl::Milliseconds(5));
    if (exited >= 0) {
      pollfd on_exit = {exited, POLLIN, 0};
      poll(&on_exit, 1,
           static_cast<int>(absl::ToInt64Milliseconds(
               absl::Ceil(step, absl::Milliseconds(1)))));
    } else {
      absl::SleepFor(step);
    }
  }
  if (exited >= 0) close(exited);
  return exit_status_;  // nullopt if it is still running
}

int Subprocess::Stop(int signal, absl::Duration grace) {
  Signal(signal);
  if (std::optional<int> status = Wait(grace); status.has_value()) {
    return *status;
  }
  Signal(SIGKILL);
  return Wait(absl::Seconds(10)).value_or(-1);
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::string& user_if_root) {
  char path[] = "/tmp/saludo-command-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return absl::InternalError("mkstemp failed");
  close(fd);
  SpawnOptions options;
  options.argv = argv;
  options.stdout_path = path;
  options.stderr_path = path;
  options.user_if_root = user_if_root;
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Spawn(options);
  if (!child.ok()) {
    unlink(path);
    return child.status();
  }
  CommandResult result;
  std::optional<int> status = (*child)->Wait(timeout);
  if (!status.has_value()) {
    (*child)->Stop(SIGKILL, absl::Seconds(1));
  } else if (WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  }
  result.output = ReadFileOrEmpty(path);
  unlink(path);
  if (!status.has_value()) {
    return absl::DeadlineExceededError(absl::StrCat(
        argv[0], " did not finish within ", absl::FormatDuration(timeout)));
  }
  return result;
}

std::string FindSystemProgram(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    const std::string path = dir + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

absl::StatusOr<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError(
        absl::StrCat("cannot find a free port: ", std::strerror(errno)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool ListensOn(pid_t pid, int port) {
  std::set<std::string> inodes;  // of sockets listening on `port`
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::vector<std::string> lines =
        absl::StrSplit(ReadFileOrEmpty(table), '\n', absl::SkipEmpty());
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> f =
          absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
      if (f.size() < 10 || f[3] != "0A") continue;  // 0A: LISTEN
      const size_t colon = f[1].rfind(':');
      int local_port = 0;
      if (colon == std::string::npos ||
          !absl::SimpleHexAtoi(f[1].substr(colon + 1), &local_port) ||
          local_port != port) {
        continue;
      }
      inodes.insert(f[9]);
    }
  }
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/fd"), ec)) {
    const std::string target = std::filesystem::read_symlink(fd.path(), ec);
    if (absl::StartsWith(target, "socket:[") &&
        inodes.count(target.substr(8, target.size() - 9))) {
      return true;
    }
  }
  return false;
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

absl::StatusOr<std::string> WaitForLine(const std::string& path,
                                        const std::string& prefix,
                                        absl::Duration timeout,
                                        Subprocess* writer) {
  const absl::Time end = absl::Now() + timeout;
  while (true) {
    const bool running = writer == nullptr || writer->Running();
    const std::string text = ReadFileOrEmpty(path);
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, prefix)) return std::string(line);
    }
    if (!running) {
      // Its last words say why (e.g. "127.0.0.1:3001 is already in use").
      std::vector<absl::string_view> lines =
          absl::StrSplit(absl::StripTrailingAsciiWhitespace(text), '\n');
      return absl::FailedPreconditionError(absl::StrCat(
          "exited at startup: ",
          lines.empty() || lines.back().empty() ? "(no output)"
                                                : lines.back()));
    }
    if (absl::Now() >= end) {
      return absl::DeadlineExceededError(
          absl::StrCat("no line starting with '", prefix, "' in ", path,
                       " within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

namespace {

// This process's pid namespace ("pid:[4026531836]"): a pid means nothing
// outside its namespace (a build sandbox has its own).
std::string PidNamespace() {
  std::error_code ec;
  const std::filesystem::path ns =
      std::filesystem::read_symlink("/proc/self/ns/pid", ec);
  return ec ? "?" : ns.string();
}

}  // namespace

absl::StatusOr<std::string> MakeOwnedTempDir(const std::string& prefix) {
  std::error_code ec;
  const std::string our_namespace = PidNamespace();
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, prefix)) continue;
    // "PID NAMESPACE"; a directory of another namespace is left alone.
    const std::vector<std::string> owner_line = absl::StrSplit(
        absl::StripAsciiWhitespace(
            ReadFileOrEmpty((entry.path() / "owner.pid").string())),
        ' ');
    int owner = 0;
    if (owner_line.size() != 2 || owner_line[1] != our_namespace ||
        !absl::SimpleAtoi(owner_line[0], &owner) || owner <= 0) {
      continue;  // not one of ours, still being made, or not ours to judge
    }
    if (kill(owner, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
  std::string tmpl = "/tmp/" + prefix + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", tmpl, ": ", std::strerror(errno)));
  }
  std::ofstream(tmpl + "/owner.pid") << getpid() << " " << our_namespace
                                     << "\n";
  return tmpl;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace saludo::runtime::live
