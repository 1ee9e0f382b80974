// The clock service (proto/clock.proto): a server's disciplined wall clock,
// read by clients that synchronise against it.
#ifndef SALUDO_SERVICES_CLOCK_SERVICE_H_
#define SALUDO_SERVICES_CLOCK_SERVICE_H_

#include "runtime/clock.h"
#include "runtime/rpc.h"

namespace saludo::services {

inline constexpr char kClockReadMethod[] = "/saludo.clock.Clock/Read";

class ClockService {
 public:
  // REQUIRES: `clock` outlives this object.
  ClockService(int server_id, runtime::Clock* clock);
  void RegisterWith(runtime::HandlerRegistry& registry);

 private:
  const int server_id_;
  runtime::Clock* const clock_;
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_CLOCK_SERVICE_H_
