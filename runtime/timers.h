// The timer seam: run a callback later. Live: a timer thread. Simulator: the
// event queue, in virtual time.
#ifndef SALUDO_RUNTIME_TIMERS_H_
#define SALUDO_RUNTIME_TIMERS_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace saludo::runtime {

using TimerId = uint64_t;

// What a timer set with NotifyAfter runs: OnTimer(arg). An owner of many
// timers of one kind (a server's held calls, a client's deadlines) names
// itself and a key instead of a closure, so that a timer costs no closure
// to build or keep.
class TimerTarget {
 public:
  virtual void OnTimer(uint64_t arg) = 0;

 protected:
  ~TimerTarget() = default;
};

class Timers {
 public:
  virtual ~Timers() = default;

  // Runs `callback` once, after `delay` has elapsed on this node's monotonic
  // clock (a negative delay counts as zero). Never runs it inside this call.
  // Returns an id for Cancel; ids are never reused.
  virtual TimerId RunAfter(absl::Duration delay,
                           std::function<void()> callback) = 0;

  // The same as RunAfter with a callback that runs target->OnTimer(arg).
  // REQUIRES: `target` is not null and outlives the timer (until it ran or
  // was cancelled).
  virtual TimerId NotifyAfter(absl::Duration delay, TimerTarget* target,
                              uint64_t arg) {
    return RunAfter(delay, [target, arg] { target->OnTimer(arg); });
  }

  // Cancels a pending timer. Returns false if it already ran, is running, or
  // was cancelled before.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_TIMERS_H_
