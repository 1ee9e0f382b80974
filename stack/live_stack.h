// The live stack: the seed's topology as real processes. Two Saludo servers
// and nginx in front of them, on the seed's ports (3001, 3002, 3005) or on
// free ports, with helpers to kill and restart servers. Everything started is
// stopped when the object goes away.
#ifndef SALUDO_STACK_LIVE_STACK_H_
#define SALUDO_STACK_LIVE_STACK_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nginx/nginx_process.h"
#include "runtime/live/subprocess.h"

namespace saludo::stack {

inline constexpr int kSeedNginxPort = 3005;
inline constexpr int kSeedServerBasePort = 3000;  // server N on 3000 + N

// How to start one server: its argv, with "{id}", "{port}", "{host}" (the
// address to bind) and "{control_port}" filled in (0 asks for a free one; a
// restart gets the ports of the first start), and the start of the line it
// prints once listening ("{id}" filled in), followed by HOST:PORT and
// optionally more text, such as "(control HOST:PORT)" for a control listener.
struct ServerCommand {
  std::vector<std::string> argv;
  std::string ready;
};

struct LiveStackOptions {
  std::string server_binary;  // path of //services:saludo_server
  std::string nginx_config;   // path of the nginx configuration
  int servers = 2;
  bool free_ports = false;  // false: the seed's ports
  bool control = true;      // start servers with --control
  bool log_calls = false;
  bool start_nginx = true;  // false: only the servers (nginx() is unusable)
  // Server id -> how to start it; ids without one run the Saludo server
  // (server_binary, with --control and --log_calls as above).
  std::map<int, ServerCommand> commands;
  // Server id -> the address it binds ({host} in a command); default
  // 127.0.0.1.
  std::map<int, std::string> hosts;
};

// Paths of the stack's files in the runfiles of the running binary or test.
struct StackFiles {
  std::string server_binary;
  std::string nginx_conf;  // nginx/nginx.conf
  std::string seed_conf;   // nginx/seed.conf
};
// `argv0` is the program's argv[0]; empty inside a test.
absl::StatusOr<StackFiles> FindStackFiles(const std::string& argv0);

// The usual stack for tests and tools: the shipped server and nginx.conf, two
// servers, free ports.
LiveStackOptions FreePortOptions(const StackFiles& files);

class LiveStack {
 public:
  // Starts the servers (each waits until it is listening), then nginx with
  // the configuration's ports remapped to the servers' and nginx's ports.
  static absl::StatusOr<std::unique_ptr<LiveStack>> Start(
      const LiveStackOptions& options);
  ~LiveStack();

  // "127.0.0.1:<port>" of nginx, and "HOST:PORT" of server `id` (1-based).
  std::string nginx_target() const;
  std::string server_target(int id) const;
  // "127.0.0.1:<port>" of server `id`'s control listener ("" if it has
  // none): fault injection and clock corrections, never behind nginx.
  std::string control_target(int id) const;
  int server_port(int id) const { return server_ports_.at(id); }
  nginx::NginxProcess& nginx() { return *nginx_; }

  // Kills server `id` (SIGKILL: connections to it are then refused).
  void KillServer(int id);
  // Starts server `id` again on its port, with fresh state.
  absl::Status RestartServer(int id);
  // Sends `signal` to server `id` (e.g. SIGSTOP/SIGCONT for a pause).
  void SignalServer(int id, int signal) { servers_.at(id)->Signal(signal); }
  // The process id of server `id`.
  pid_t ServerPid(int id) const { return servers_.at(id)->pid(); }
  // True while server `id`'s process runs.
  bool ServerRunning(int id) { return servers_.at(id)->Running(); }
  // What server `id` printed so far.
  std::string ServerOutput(int id) const;

 private:
  LiveStack() = default;
  absl::Status StartServer(int id);
  // The address server `id` binds (options_.hosts, else 127.0.0.1).
  std::string Host(int id) const;
  ServerCommand CommandFor(int id) const;

  LiveStackOptions options_;
  std::string log_dir_;
  std::map<int, int> server_ports_;
  std::map<int, std::string> server_hosts_;
  std::map<int, int> control_ports_;  // 0 until the server reports one
  std::map<int, std::unique_ptr<runtime::live::Subprocess>> servers_;
  std::unique_ptr<nginx::NginxProcess> nginx_;
};

}  // namespace saludo::stack

#endif  // SALUDO_STACK_LIVE_STACK_H_
