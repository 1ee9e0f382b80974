#include "runtime/live/live_host.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "runtime/live/grpc_channel.h"

namespace saludo::runtime::live {

HostContext LiveHostContext(const std::string& name, SystemClock* clock,
                            TimerThread* timers, GrpcServer* server,
                            GrpcServer* admin, uint64_t seed) {
  HostContext context;
  context.name = name;
  context.clock = clock;
  context.timers = timers;
  context.registry = server;
  context.admin = admin;
  context.seed = seed;
  context.connect = [](const std::string& target) {
    return std::make_unique<GrpcChannel>(target);
  };
  context.crash = [] {
    std::fprintf(stderr, "crashing on purpose (crash_on_call)\n");
    std::fflush(nullptr);
    std::_Exit(70);
  };
  return context;
}

}  // namespace saludo::runtime::live
