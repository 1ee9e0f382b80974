// The counter as a live gRPC server: the same boot function the simulator
// runs, on the live runtime.
//
//   counter_server --id=1 [--port=0] [--host=127.0.0.1]
//
// Prints "counter <id> listening on <host>:<port>" once serving; stops on
// SIGINT or SIGTERM.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "examples/counter/counter_service.h"
#include "runtime/host.h"
#include "runtime/live/cli.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/live_host.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"

ABSL_FLAG(int, id, 0, "server id, at least 1; required");
ABSL_FLAG(int, port, 0, "port to listen on; 0 picks a free one");
ABSL_FLAG(std::string, host, "127.0.0.1", "address to bind (loopback)");

int main(int argc, char** argv) {
  using namespace saludo;
  runtime::live::ParseFlagsOrExit(
      argc, argv,
      "The counter example's gRPC server (/saludo.counter.Counter/Add).\n"
      "usage: counter_server --id=N [--port=P] [--host=H]");
  const int id = absl::GetFlag(FLAGS_id);
  if (id < 1 || id > 10000)
    runtime::live::UsageError("--id must be in 1..10000");
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    runtime::live::UsageError(
        absl::StrCat("--port must be in 0..65535, got ", port));
  }
  runtime::live::BlockStopSignals();
  runtime::live::SystemClock clock;
  runtime::live::TimerThread timers(&clock);
  runtime::live::GrpcServer server;
  std::unique_ptr<runtime::Host> host =
      counter::CounterBoot(id)(runtime::live::LiveHostContext(
          absl::StrCat("counter ", id), &clock, &timers, &server, nullptr,
          static_cast<uint64_t>(id)));
  const std::string address = absl::GetFlag(FLAGS_host);
  absl::StatusOr<int> bound = server.Start(address, port);
  if (!bound.ok()) {
    std::fprintf(stderr, "counter_server: %s\n",
                 std::string(bound.status().message()).c_str());
    return 1;
  }
  std::printf("counter %d listening on %s:%d\n", id, address.c_str(), *bound);
  std::fflush(stdout);
  runtime::live::WaitForStopSignal();
  server.Shutdown(absl::Milliseconds(500));
  return 0;
}
