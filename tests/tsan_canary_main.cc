// Two deliberate data races in the places TSan must keep watching despite
// runtime/live/tsan.supp: a server handler (on a gRPC thread) against the main
// thread, and a client completion callback (on a gRPC thread) against a timer
// callback. //tests:tsan_canary_test runs this under TSan and requires both
// reports: if the suppressions ever hide our own code, the test fails.
#include <cstdio>
#include <string>

#include "runtime/live/grpc_channel.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {
namespace {

// Deliberately unsynchronised (volatile only so the compiler keeps them).
volatile int racy_in_handler = 0;
volatile int racy_in_completion = 0;

__attribute__((noinline)) void RacyHandlerWrite() { racy_in_handler = 1; }
__attribute__((noinline)) void RacyMainWrite() { racy_in_handler = 2; }
__attribute__((noinline)) void RacyCompletionWrite() { racy_in_completion = 1; }
__attribute__((noinline)) void RacyTimerWrite() { racy_in_completion = 2; }

int Run() {
  GrpcServer server;
  server.Register("/Canary/race",
                  [](const ServerCall&, std::string, Responder respond) {
                    RacyHandlerWrite();
                    respond(absl::OkStatus(), "raced");
                  });
  auto port = server.Start("127.0.0.1", 0);
  if (!port.ok()) {
    std::fprintf(stderr, "%s\n", port.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  TimerThread timers(&clock);
  GrpcChannel channel("127.0.0.1:" + std::to_string(*port));
  Notification done;
  Notification timer_ran;
  timers.RunAfter(absl::Milliseconds(50), [&] {
    RacyTimerWrite();
    timer_ran.Notify();
  });
  channel.Call("/Canary/race", "", CallOptions{},
               [&](absl::Status, std::string) {
                 RacyCompletionWrite();
                 done.Notify();
               });
  RacyMainWrite();
  done.WaitForNotification();
  timer_ran.WaitForNotification();
  std::printf("canary done\n");
  return 0;
}

}  // namespace
}  // namespace saludo::runtime::live

int main() { return saludo::runtime::live::Run(); }
