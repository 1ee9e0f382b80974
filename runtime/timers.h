// The timer seam: run a callback later. Live: a timer thread. Simulator: the
// event queue, in virtual time.
#ifndef SALUDO_RUNTIME_TIMERS_H_
#define SALUDO_RUNTIME_TIMERS_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace saludo::runtime {

using TimerId = uint64_t;

class Timers {
 public:
  virtual ~Timers() = default;

  // Runs `callback` once, after `delay` has elapsed on this node's monotonic
  // clock (a negative delay counts as zero). Never runs it inside this call.
  // Returns an id for Cancel; ids are never reused.
  virtual TimerId RunAfter(absl::Duration delay,
                           std::function<void()> callback) = 0;

  // Cancels a pending timer. Returns false if it already ran, is running, or
  // was cancelled before.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_TIMERS_H_
