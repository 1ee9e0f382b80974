// The Saludo server as a host (runtime/host.h): its fault state, its
// disciplined clock, the Saludo, clock, health, reflection and (optionally)
// control services, assembled in this one place. The live binary
// (server_main.cc) and the simulator (World::AddServer) both boot it through
// SaludoServerBoot.
#ifndef SALUDO_SERVICES_SALUDO_SERVER_H_
#define SALUDO_SERVICES_SALUDO_SERVER_H_

#include <memory>

#include "runtime/clock.h"
#include "runtime/host.h"
#include "services/clock_discipline.h"
#include "services/clock_service.h"
#include "services/control_service.h"
#include "services/fault_state.h"
#include "services/health_service.h"
#include "services/reflection_service.h"
#include "services/saludo_service.h"

namespace saludo::services {

struct SaludoServerOptions {
  int server_id = 1;    // REQUIRES: >= 1
  // Serve the control service (fault injection, clock corrections) on the
  // host's admin registry (and the clock service there too, so a Berkeley
  // coordinator reads and corrects through one address).
  bool control = true;
  CallLog log;          // one line per call, or none
};

class SaludoServer final : public runtime::Host {
 public:
  // Builds the services on `host`'s clock and timers (seeded by host.seed)
  // and registers them with host.registry.
  SaludoServer(const runtime::HostContext& host,
               const SaludoServerOptions& options);

  FaultState& faults() { return faults_; }
  // The clock replies are stamped with (coordinator corrections applied).
  runtime::Clock& clock() { return discipline_; }
  // grpc.health.v1.Health: the live server shuts it down when it drains.
  HealthService& health() { return health_; }

 private:
  // Every service on host.registry registers through it (for health and
  // reflection).
  runtime::ServiceListing listing_;
  FaultState faults_;
  ClockDiscipline discipline_;
  SaludoService saludo_;
  ClockService clock_service_;
  ControlService control_;
  HealthService health_;
  ReflectionService reflection_;
};

runtime::BootFn SaludoServerBoot(SaludoServerOptions options);

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_SALUDO_SERVER_H_
