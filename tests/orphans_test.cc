// No process outlives its launcher: `//:live` killed with SIGKILL (no chance
// to clean up) takes its servers and nginx with it, even a server that was
// stopped (SIGSTOP) and nginx running as `nobody` under root (a change of
// user clears the death signal unless it is armed again).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "runtime/live/subprocess.h"
#include "runtime/testing/runfile.h"

namespace saludo {
namespace {

// The parent pid and state of `pid` from /proc, or false if it is gone.
bool ProcStat(pid_t pid, pid_t* parent, char* state) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  int ppid = 0;
  rest >> *state >> ppid;
  *parent = ppid;
  return true;
}

// Every live descendant of `root` (by walking /proc), with their comm names.
std::set<pid_t> Descendants(pid_t root) {
  std::set<pid_t> found = {root};
  for (bool more = true; more;) {
    more = false;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      pid_t pid = 0;
      if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
      pid_t parent = 0;
      char state = 0;
      if (!ProcStat(pid, &parent, &state) || state == 'Z') continue;
      if (found.count(parent) && found.insert(pid).second) more = true;
    }
  }
  found.erase(root);
  return found;
}

// The /tmp/saludo-* directories whose owner.pid is `pid`.
std::vector<std::string> DirsOwnedBy(pid_t pid) {
  std::vector<std::string> dirs;
  for (const auto& e : std::filesystem::directory_iterator("/tmp")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("saludo-", 0) != 0) continue;
    std::ifstream in(e.path() / "owner.pid");
    pid_t owner = 0;
    if (in >> owner && owner == pid) dirs.push_back(e.path().string());
  }
  return dirs;
}

bool Alive(pid_t pid) {
  pid_t parent = 0;
  char state = 0;
  return ProcStat(pid, &parent, &state) && state != 'Z';
}

TEST(OrphansTest, KillingTheLauncherTakesEveryChildWithIt) {
  runtime::live::SpawnOptions spawn;
  spawn.argv = {runtime::testing::Runfile("stack/live"), "--free_ports",
                "--log_calls=false"};
  spawn.stdout_path = ::testing::TempDir() + "/live.out";
  spawn.stderr_path = spawn.stdout_path;
  auto launcher = runtime::live::Subprocess::Spawn(spawn);
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  auto ready = runtime::live::WaitForLine(spawn.stdout_path, "nginx on ",
                                          absl::Seconds(20));
  ASSERT_TRUE(ready.ok()) << ready.status() << "\n"
                          << runtime::live::ReadFileOrEmpty(spawn.stdout_path);
  // "nginx on 127.0.0.1:PORT (config ...)"
  const std::string address = ready->substr(9, ready->find(' ', 9) - 9);
  int nginx_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1),
                               &nginx_port));
  ASSERT_TRUE(runtime::live::PortAcceptsConnections(nginx_port));
  const std::set<pid_t> children = Descendants((*launcher)->pid());
  ASSERT_GE(children.size(), 3u);  // two servers, nginx (and its worker)
  // Its temporary directories, read while it lives: once it is dead, any
  // launcher (another test's, running in parallel) may remove them.
  const std::vector<std::string> owned = DirsOwnedBy((*launcher)->pid());
  EXPECT_GE(owned.size(), 2u);  // the stack's logs and nginx's prefix
  // Pause one server, as a pause fault would.
  for (pid_t pid : children) {
    std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
    std::string name;
    comm >> name;
    if (name == "saludo_server") {
      kill(pid, SIGSTOP);
      break;
    }
  }
  kill((*launcher)->pid(), SIGKILL);
  (void)(*launcher)->Wait(absl::Seconds(5));
  // Bounded: every child must be gone within 10 s.
  std::vector<pid_t> left;
  for (int i = 0; i < 100; ++i) {
    left.clear();
    for (pid_t pid : children) {
      if (Alive(pid)) left.push_back(pid);
    }
    if (left.empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  for (pid_t pid : left) kill(pid, SIGKILL);  // leave nothing behind anyway
  EXPECT_TRUE(left.empty()) << left.size() << " children outlived the launcher";
  EXPECT_FALSE(runtime::live::PortAcceptsConnections(nginx_port));
  // Its temporary directories could not be removed by it; the next launcher
  // removes them (their owner is dead).
  for (const char* prefix : {"saludo-stack-", "saludo-nginx-"}) {
    auto fresh = runtime::live::MakeOwnedTempDir(prefix);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    std::filesystem::remove_all(*fresh);
  }
  for (const std::string& dir : owned) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

// Ctrl-C during `sim live`: every process stops, the report of what was done
// is printed, the exit status is 130.
TEST(OrphansTest, InterruptingSimLiveStopsEverythingAndReports) {
  runtime::live::SpawnOptions spawn;
  spawn.argv = {runtime::testing::Runfile("tools/sim_cli/sim"), "live",
                runtime::testing::Runfile(
                    "scenario/scenarios/crashed_server.textproto")};
  spawn.stdout_path = ::testing::TempDir() + "/sim_live.out";
  spawn.stderr_path = ::testing::TempDir() + "/sim_live.err";
  auto sim = runtime::live::Subprocess::Spawn(spawn);
  ASSERT_TRUE(sim.ok()) << sim.status();
  // Wait until its servers and nginx run (bounded).
  std::set<pid_t> children;
  for (int i = 0; i < 100 && children.size() < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    children = Descendants((*sim)->pid());
  }
  ASSERT_GE(children.size(), 3u);
  absl::SleepFor(absl::Seconds(1));  // some calls
  kill((*sim)->pid(), SIGINT);
  const std::optional<int> status = (*sim)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.has_value()) << "sim live ignored SIGINT";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 130) << *status;
  const std::string out = runtime::live::ReadFileOrEmpty(spawn.stdout_path);
  EXPECT_NE(out.find("interrupted after"), std::string::npos) << out;
  // What was done: the calls' summary, or (on a loaded machine the stack
  // can still be starting a second after its processes appeared) that the
  // interrupt came before the client's start, the timeline's first action.
  if (out.find(" 0 of 3 timeline actions done") != std::string::npos) {
    EXPECT_NE(out.find("no calls"), std::string::npos) << out;
  } else {
    EXPECT_NE(out.find("calls:"), std::string::npos) << out;
  }
  for (pid_t pid : children) {
    EXPECT_FALSE(Alive(pid)) << pid;
    if (Alive(pid)) kill(pid, SIGKILL);
  }
}

}  // namespace
}  // namespace saludo
