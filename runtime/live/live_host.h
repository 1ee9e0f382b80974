// A host's context on the live runtime (runtime/host.h): the process's
// clock and timer thread, its gRPC server as the registry, a second gRPC
// server (bound to loopback) as the admin registry or none, gRPC channels
// for `connect` ("host:port"), and a crash that ends the process with 70.
#ifndef SALUDO_RUNTIME_LIVE_LIVE_HOST_H_
#define SALUDO_RUNTIME_LIVE_LIVE_HOST_H_

#include <cstdint>
#include <string>

#include "runtime/host.h"
#include "runtime/live/grpc_server.h"
#include "runtime/live/system_clock.h"
#include "runtime/live/timer_thread.h"

namespace saludo::runtime::live {

// REQUIRES: the pointers outlive the host booted with the context.
HostContext LiveHostContext(const std::string& name, SystemClock* clock,
                            TimerThread* timers, GrpcServer* server,
                            GrpcServer* admin, uint64_t seed);

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_LIVE_HOST_H_
