// The control service (proto/control.proto): live fault injection on one
// server. Only loopback peers may use it.
#ifndef SALUDO_SERVICES_CONTROL_SERVICE_H_
#define SALUDO_SERVICES_CONTROL_SERVICE_H_

#include "runtime/rpc.h"
#include "services/clock_discipline.h"
#include "services/fault_state.h"

namespace saludo::services {

inline constexpr char kSetFaultsMethod[] = "/saludo.control.Control/SetFaults";
inline constexpr char kClearFaultsMethod[] =
    "/saludo.control.Control/ClearFaults";
inline constexpr char kGetFaultsMethod[] = "/saludo.control.Control/GetFaults";
inline constexpr char kAdjustClockMethod[] =
    "/saludo.control.Control/AdjustClock";

class ControlService {
 public:
  // REQUIRES: `faults` (and `discipline`, if given) outlive this object.
  ControlService(int server_id, FaultState* faults,
                 ClockDiscipline* discipline = nullptr);

  // Registers SetFaults, ClearFaults, GetFaults and (with a discipline)
  // AdjustClock. Calls from non-loopback peers get PERMISSION_DENIED; invalid
  // faults get INVALID_ARGUMENT.
  void RegisterWith(runtime::HandlerRegistry& registry);

 private:
  const int server_id_;
  FaultState* const faults_;
  ClockDiscipline* const discipline_;
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_CONTROL_SERVICE_H_
