// A host: one process's worth of services, built by a boot function from what
// the world gives it. The same boot function runs live (server binaries) and
// in the simulator (World::AddHost), and again on every simulated restart,
// so a restarted host starts with fresh state.
//
//   std::unique_ptr<runtime::Host> BootCounter(const runtime::HostContext& h) {
//     auto host = std::make_unique<CounterHost>(h.clock);
//     host->service.RegisterWith(*h.registry);
//     return host;
//   }
#ifndef SALUDO_RUNTIME_HOST_H_
#define SALUDO_RUNTIME_HOST_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/timers.h"

namespace saludo::runtime {

// What a boot function receives. Every pointer outlives the host it builds.
struct HostContext {
  std::string name;                     // the host's name ("server1")
  Clock* clock = nullptr;               // its clock
  Timers* timers = nullptr;             // its timers
  HandlerRegistry* registry = nullptr;  // where its services register
  // Where services that change the host's behaviour register (fault
  // injection, clock corrections), or null for none. Live: a second
  // listener bound to loopback only, never the port a balancer forwards to.
  // Simulated: the node's registry (scenario faults are applied by the
  // world, not through calls).
  HandlerRegistry* admin = nullptr;
  // A seed for the host's own random draws (a new one per incarnation in
  // the simulator; a flag live).
  uint64_t seed = 0;
  // Opens a channel to another host by name (in the simulator, the node of
  // that name; live, a "host:port" target). May be empty when the host
  // makes no calls of its own.
  std::function<std::unique_ptr<Channel>(const std::string& target)> connect;
  // Ends this host's process at once (rpc.h). Never empty.
  CrashProcess crash;
};

// The services of one incarnation of a host. Destroying it ends them
// (a crash in the simulator drops it and boots a new one on restart).
class Host {
 public:
  virtual ~Host() = default;
};

using BootFn = std::function<std::unique_ptr<Host>(const HostContext&)>;

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_HOST_H_
