// Child processes for the live stack and live tests: spawn, signal, wait with
// a bound, and always reap. A child gets a signal (SIGTERM, or SIGKILL for
// children that may be stopped) when the thread that spawned it dies
// (PR_SET_PDEATHSIG, armed again after a change of user, which clears it), so
// no process outlives a killed launcher or a crashed test.
#ifndef SALUDO_RUNTIME_LIVE_SUBPROCESS_H_
#define SALUDO_RUNTIME_LIVE_SUBPROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace saludo::runtime::live {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path
  // Files that receive the child's stdout/stderr (truncated); empty: inherit.
  // The same path for both: one file, in the order the child wrote.
  std::string stdout_path;
  std::string stderr_path;
  // When running as root, run the child as this user (e.g. "nobody").
  std::string user_if_root;
  // What the child gets when its parent dies. SIGKILL for a child that may
  // be stopped (SIGSTOP), which would sit on a pending SIGTERM forever.
  int death_signal = SIGTERM;
};

class Subprocess {
 public:
  // Starts a child. Fails with NOT_FOUND if the program does not exist or is
  // not executable.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(
      const SpawnOptions& options);

  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // True until the child has exited (reaps it if it just did).
  bool Running();

  // Sends `signal` if still running.
  void Signal(int signal);

  // Waits up to `timeout` for the child to exit (woken by the exit where the
  // kernel has pidfd_open); returns its exit status as
  // from waitpid (or nullopt on timeout).
  std::optional<int> Wait(absl::Duration timeout);

  // SIGTERM (or `signal`), wait up to `grace`, then SIGKILL. Returns the
  // wait status.
  int Stop(int signal, absl::Duration grace);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_status_;
};

// Runs a command to completion (bounded by `timeout`, then killed), capturing
// stdout and stderr together; as `user_if_root` when running as root and it
// is not empty (SpawnOptions::user_if_root).
struct CommandResult {
  int exit_code = -1;  // -1 if killed or timed out
  std::string output;
};
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::string& user_if_root = "");

// The path of system program `name` in /usr/sbin, /sbin, /usr/bin or /bin
// (RunCommand does not search PATH, and a user's PATH may lack the sbin
// directories where Debian puts nft and iptables); "" if it is in none.
std::string FindSystemProgram(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
absl::StatusOr<int> PickFreePort();

// True once something accepts TCP connections on 127.0.0.1:port.
bool PortAcceptsConnections(int port);

// Waits until `path` contains a line starting with `prefix`, up to `timeout`;
// returns that line. Fails with DEADLINE_EXCEEDED naming the file otherwise,
// or at once with FAILED_PRECONDITION ("exited at startup: <its last line>")
// if `writer` (the process writing the file, if given) exits first.
absl::StatusOr<std::string> WaitForLine(const std::string& path,
                                        const std::string& prefix,
                                        absl::Duration timeout,
                                        Subprocess* writer = nullptr);

// True if process `pid` holds a socket listening on TCP `port` (so a port
// that accepts connections is ours, not another process's).
bool ListensOn(pid_t pid, int port);

// A new directory /tmp/<prefix>XXXXXX owned by this process (it holds an
// "owner.pid" file: "PID PID_NAMESPACE"). First removes every /tmp/<prefix>*
// directory whose owner, in this pid namespace, is dead: what a launcher
// killed with SIGKILL could not clean up itself. Directories made in another
// pid namespace (a build sandbox's) are left alone: their pids mean nothing
// here.
absl::StatusOr<std::string> MakeOwnedTempDir(const std::string& prefix);

// The whole content of a file ("" if missing).
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_SUBPROCESS_H_
