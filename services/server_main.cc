// The live Saludo server: the transport-free service on the live runtime.
//
//   saludo_server --id=1 [--port=3001] [--host=127.0.0.1] [--clock_offset=5s]
//                 [--control] [--log_calls=false] [--drain=2s]
//
// Prints "servidor <id> listening on <host>:<port>" once serving, one line per
// call, and stops cleanly on SIGINT or SIGTERM.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/host.h"
#include "runtime/live/cli.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/live_host.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"
#include "services/saludo_server.h"

ABSL_FLAG(int, id, 0, "server id (1 or 2 in the seed's topology); required");
ABSL_FLAG(int, port, -1,
          "port to listen on; default 3000 + id; 0 picks a free port");
ABSL_FLAG(std::string, host, "127.0.0.1",
          "address to bind (loopback by default; 0.0.0.0 for all)");
ABSL_FLAG(absl::Duration, clock_offset, absl::ZeroDuration(),
          "offset added to this server's wall clock, e.g. 5s or -250ms");
ABSL_FLAG(bool, control, false,
          "serve the control service (fault injection, clock corrections) on "
          "its own listener, bound to 127.0.0.1 whatever --host says");
ABSL_FLAG(int, control_port, 0,
          "with --control: the control listener's port; 0 picks a free one");
ABSL_FLAG(bool, log_calls, true, "print one line per call");
ABSL_FLAG(uint64_t, seed, 0, "seed of injected-error draws; default: the id");
ABSL_FLAG(absl::Duration, drain, absl::ZeroDuration(),
          "on SIGINT/SIGTERM: report NOT_SERVING on the health service and "
          "keep serving this long before shutting down (0s..60s), so health "
          "checkers and balancers can stop sending first; a second signal "
          "ends the drain");

namespace {

constexpr char kUsage[] =
    "Saludo gRPC server (/Saludo/saludar).\n"
    "usage: saludo_server --id=N [--port=P] [--host=H] [--clock_offset=D] "
    "[--control [--control_port=P]] [--log_calls=false] [--drain=D]";

// The ports from the flags, checked (usage and exit 2 otherwise).
std::pair<int, int> PortsFromFlags(int id) {
  using saludo::runtime::live::UsageError;
  int port = absl::GetFlag(FLAGS_port);
  if (port == -1) port = 3000 + id;
  if (port < 0 || port > 65535) {
    UsageError(absl::StrCat("--port must be in 0..65535, got ", port));
  }
  const int control_port = absl::GetFlag(FLAGS_control_port);
  if (control_port < 0 || control_port > 65535) {
    UsageError(absl::StrCat("--control_port must be in 0..65535, got ",
                            control_port));
  }
  return {port, control_port};
}

// Starts both listeners (the control one only with --control, always on
// 127.0.0.1) and prints the ready line; false (after saying why) if a port
// is taken.
bool Listen(int id, int port, int control_port,
            saludo::runtime::live::GrpcServer& server,
            saludo::runtime::live::GrpcServer* admin) {
  const std::string host = absl::GetFlag(FLAGS_host);
  absl::StatusOr<int> bound = server.Start(host, port);
  if (!bound.ok()) {
    std::fprintf(stderr, "saludo_server: %s\n",
                 std::string(bound.status().message()).c_str());
    return false;
  }
  std::string control_text;
  if (admin != nullptr) {
    absl::StatusOr<int> admin_port = admin->Start("127.0.0.1", control_port);
    if (!admin_port.ok()) {
      std::fprintf(stderr, "saludo_server: control: %s\n",
                   std::string(admin_port.status().message()).c_str());
      return false;
    }
    control_text = absl::StrCat(" (control 127.0.0.1:", *admin_port, ")");
  }
  std::printf("servidor %d listening on %s:%d%s\n", id, host.c_str(), *bound,
              control_text.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  saludo::runtime::live::ParseFlagsOrExit(argc, argv, kUsage);
  const int id = absl::GetFlag(FLAGS_id);
  if (id < 1 || id > 10000) {
    saludo::runtime::live::UsageError("--id must be given, in 1..10000");
  }
  const auto [port, control_port] = PortsFromFlags(id);
  const absl::Duration drain = absl::GetFlag(FLAGS_drain);
  if (drain < absl::ZeroDuration() || drain > absl::Seconds(60)) {
    saludo::runtime::live::UsageError(
        absl::StrCat("--drain must be in 0s..60s, got ",
                     absl::FormatDuration(drain)));
  }
  saludo::runtime::live::BlockStopSignals();

  using namespace saludo;
  runtime::live::SystemClock clock(absl::GetFlag(FLAGS_clock_offset));
  runtime::live::TimerThread timers(&clock);
  const uint64_t seed =
      absl::GetFlag(FLAGS_seed) != 0 ? absl::GetFlag(FLAGS_seed) : id;
  saludo::runtime::Mutex log_mu;
  services::CallLog log;
  if (absl::GetFlag(FLAGS_log_calls)) {
    log = [&log_mu](const std::string& line) {
      saludo::runtime::MutexLock lock(&log_mu);
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
  }
  runtime::live::GrpcServer server;
  // The control service listens apart from the service: a balancer
  // forwards to the service's port and can never reach it.
  runtime::live::GrpcServer admin;
  const bool control = absl::GetFlag(FLAGS_control);
  const runtime::HostContext context = runtime::live::LiveHostContext(
      absl::StrCat("servidor ", id), &clock, &timers, &server,
      control ? &admin : nullptr, seed);
  services::SaludoServerOptions options;
  options.server_id = id;
  options.control = control;
  options.log = log;
  // The services, assembled as in the simulator (services/saludo_server.h).
  auto running = std::make_unique<services::SaludoServer>(context, options);
  if (!Listen(id, port, control_port, server, control ? &admin : nullptr)) {
    return 1;
  }
  const int signal_number = runtime::live::WaitForStopSignal();
  // Draining: health says NOT_SERVING (watchers are told at once) while
  // calls are still served, then the listeners close.
  running->health().Shutdown();
  if (drain > absl::ZeroDuration()) {
    std::printf("servidor %d: draining for %s (signal %d)\n", id,
                absl::FormatDuration(drain).c_str(), signal_number);
    std::fflush(stdout);
    // A second signal ends the drain at once.
    runtime::live::WaitForStopSignal(drain, [] { return false; });
  }
  std::printf("servidor %d: stopping (signal %d)\n", id, signal_number);
  std::fflush(stdout);
  if (control) admin.Shutdown(absl::Milliseconds(500));
  server.Shutdown(absl::Milliseconds(500));
  return 0;
}
