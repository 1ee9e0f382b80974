#include "nginx/nginx_process.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace saludo::nginx {
namespace {

namespace fs = std::filesystem;
using runtime::live::ReadFileOrEmpty;

constexpr char kUnprivilegedUser[] = "nobody";

std::string NginxBinary(const NginxOptions& options) {
  if (!options.nginx_binary.empty()) return options.nginx_binary;
  if (const char* env = std::getenv("SALUDO_NGINX"); env && *env) return env;
  return "/usr/sbin/nginx";
}

// Creates prefix/{conf,logs,tmp} with the rendered configuration, owned by
// the user nginx will run as.
absl::StatusOr<std::string> MakePrefix(const NginxOptions& options,
                                       std::string* rendered) {
  std::string text = ReadFileOrEmpty(options.config_path);
  if (text.empty()) {
    return absl::NotFoundError("cannot read nginx configuration " +
                               options.config_path);
  }
  *rendered = RemapPorts(text, options.port_map);
  char tmpl[] = "/tmp/saludo-nginx-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::string prefix = tmpl;
  std::error_code ec;
  for (const char* dir : {"conf", "logs", "tmp"}) {
    fs::create_directories(fs::path(prefix) / dir, ec);
  }
  {
    std::ofstream out(fs::path(prefix) / "conf" / "nginx.conf");
    out << *rendered;
  }
  if (geteuid() == 0) {
    if (passwd* pw = getpwnam(kUnprivilegedUser); pw != nullptr) {
      for (const auto& entry : fs::recursive_directory_iterator(prefix)) {
        if (chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          return absl::InternalError("chown failed in " + prefix);
        }
      }
      if (chown(prefix.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return absl::InternalError("chown failed on " + prefix);
      }
    }
  }
  chmod(prefix.c_str(), 0755);
  return prefix;
}

std::vector<std::string> NginxArgv(const NginxOptions& options,
                                   const std::string& prefix,
                                   const std::string& extra_globals) {
  return {NginxBinary(options), "-p", prefix + "/",     "-c",
          "conf/nginx.conf",    "-e", "logs/error.log", "-g",
          extra_globals};
}

}  // namespace

std::string RemapPorts(absl::string_view config,
                       const std::map<int, int>& port_map) {
  std::string out;
  out.reserve(config.size());
  size_t i = 0;
  while (i < config.size()) {
    if (config[i] == ':' && i + 1 < config.size() &&
        std::isdigit(static_cast<unsigned char>(config[i + 1]))) {
      size_t j = i + 1;
      while (j < config.size() &&
             std::isdigit(static_cast<unsigned char>(config[j]))) {
        ++j;
      }
      int port = 0;
      if (absl::SimpleAtoi(config.substr(i + 1, j - i - 1), &port)) {
        if (auto it = port_map.find(port); it != port_map.end()) {
          absl::StrAppend(&out, ":", it->second);
          i = j;
          continue;
        }
      }
      out.append(config.data() + i, j - i);
      i = j;
      continue;
    }
    out.push_back(config[i++]);
  }
  return out;
}

absl::StatusOr<std::map<int, int>> ParsePortMap(absl::string_view text) {
  std::map<int, int> map;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    int from = 0, to = 0;
    if (!absl::SimpleAtoi(kv.first, &from) ||
        !absl::SimpleAtoi(kv.second, &to) || from < 1 || from > 65535 ||
        to < 1 || to > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad port mapping '", entry, "': expected FROM=TO, ports 1..65535"));
    }
    map[from] = to;
  }
  return map;
}

std::vector<int> ListenPorts(absl::string_view config) {
  std::vector<int> ports;
  for (absl::string_view line : absl::StrSplit(config, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "listen")) continue;
    if (line.empty() || !std::isspace(static_cast<unsigned char>(line[0]))) {
      continue;
    }
    line = absl::StripAsciiWhitespace(line);
    absl::string_view address = line.substr(0, line.find_first_of(" \t;"));
    absl::string_view port_text = address.substr(address.rfind(':') + 1);
    if (address.rfind(':') == absl::string_view::npos) port_text = address;
    int port = 0;
    if (absl::SimpleAtoi(port_text, &port)) ports.push_back(port);
  }
  return ports;
}

absl::Status ValidateConfig(const NginxOptions& options) {
  std::string rendered;
  absl::StatusOr<std::string> prefix = MakePrefix(options, &rendered);
  if (!prefix.ok()) return prefix.status();
  std::vector<std::string> argv = NginxArgv(options, *prefix, "daemon off;");
  argv.insert(argv.begin() + 1, "-t");
  if (geteuid() == 0) {
    // `nginx -t` as root would check as root; run it as nginx will run.
    argv.insert(argv.begin(),
                {"/usr/sbin/runuser", "-u", kUnprivilegedUser, "--"});
  }
  absl::StatusOr<runtime::live::CommandResult> result =
      runtime::live::RunCommand(argv, absl::Seconds(10));
  std::error_code ec;
  fs::remove_all(*prefix, ec);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("nginx -t rejected ", options.config_path, ":\n",
                     absl::StripTrailingAsciiWhitespace(result->output)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<NginxProcess>> NginxProcess::Start(
    const NginxOptions& options) {
  if (access(NginxBinary(options).c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "nginx not found at ", NginxBinary(options),
        " (install the Debian package nginx-light, or run ./bazelw; "
        "$SALUDO_NGINX overrides the path)"));
  }
  if (absl::Status valid = ValidateConfig(options); !valid.ok()) return valid;
  std::string rendered;
  absl::StatusOr<std::string> prefix = MakePrefix(options, &rendered);
  if (!prefix.ok()) return prefix.status();
  std::unique_ptr<NginxProcess> nginx(new NginxProcess);
  nginx->prefix_ = *prefix;
  nginx->keep_prefix_ = options.keep_prefix;
  nginx->listen_ports_ = ListenPorts(rendered);

  runtime::live::SpawnOptions spawn;
  spawn.argv =
      NginxArgv(options, *prefix,
                options.errors_to_stderr ? "daemon off; error_log stderr warn;"
                                         : "daemon off;");
  spawn.user_if_root = kUnprivilegedUser;
  if (!options.errors_to_stderr) {
    spawn.stdout_path = *prefix + "/logs/stdout.log";
    spawn.stderr_path = *prefix + "/logs/stderr.log";
  }
  auto process = runtime::live::Subprocess::Spawn(spawn);
  if (!process.ok()) return process.status();
  nginx->process_ = std::move(*process);

  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (true) {
    bool all_up = true;
    for (int port : nginx->listen_ports_) {
      all_up = all_up && runtime::live::PortAcceptsConnections(port);
    }
    if (all_up && nginx->process_->Running()) break;
    if (!nginx->process_->Running()) {
      std::string why = absl::StrCat(
          nginx->ErrorLog(), ReadFileOrEmpty(*prefix + "/logs/stderr.log"));
      nginx->Stop();
      return absl::UnavailableError(
          absl::StrCat("nginx exited at startup: ",
                       absl::StripTrailingAsciiWhitespace(why)));
    }
    if (absl::Now() > end) {
      nginx->Stop();
      return absl::DeadlineExceededError(absl::StrCat(
          "nginx did not accept connections on ",
          absl::StrJoin(nginx->listen_ports_, ", "), " within 10s"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return nginx;
}

NginxProcess::~NginxProcess() { Stop(); }

void NginxProcess::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (process_) process_->Stop(SIGTERM, absl::Seconds(5));
  if (!keep_prefix_ && !prefix_.empty()) {
    std::error_code ec;
    fs::remove_all(prefix_, ec);
  }
}

std::vector<std::string> NginxProcess::AccessLogLines() const {
  std::vector<std::string> lines = absl::StrSplit(
      ReadFileOrEmpty(prefix_ + "/logs/access.log"), '\n', absl::SkipEmpty());
  return lines;
}

std::string NginxProcess::ErrorLog() const {
  return ReadFileOrEmpty(prefix_ + "/logs/error.log");
}

}  // namespace saludo::nginx
