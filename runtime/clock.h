// The time seam: a node's clock. Service and client code read time only through
// this interface; the live runtime reads the system clocks, the simulator
// derives each node's clock from true virtual time (with offset, drift, jumps).
#ifndef SALUDO_RUNTIME_CLOCK_H_
#define SALUDO_RUNTIME_CLOCK_H_

#include "absl/time/time.h"

namespace saludo::runtime {

class Clock {
 public:
  virtual ~Clock() = default;

  // This node's wall-clock reading, including its configured offset. May jump
  // (forward or back) when the offset changes.
  virtual absl::Time Now() = 0;

  // A monotonic reading for measuring durations on this node. The origin is
  // arbitrary; successive readings never decrease.
  virtual absl::Duration Monotonic() = 0;

  // Sets the offset of Now() from this node's base wall clock (the system
  // clock live, true virtual time plus clock faults in the simulator).
  virtual void SetWallOffset(absl::Duration offset) = 0;

  // The offset last set with SetWallOffset (zero initially).
  virtual absl::Duration WallOffset() = 0;

  // A clock fault: from now on this node's oscillator runs fast (ppb > 0) or
  // slow, so Monotonic() and Now() advance at (1 + drift_ppb / 1e9) times
  // true time, and timers (durations on this clock) fire when it says so.
  // REQUIRES: drift_ppb in (-1e9, 1e9].
  virtual void SetDriftPpb(int64_t drift_ppb) = 0;
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_CLOCK_H_
