// Shrinks a failing scenario: drops faults and properties, halves the
// duration and the load, one step at a time, keeping each step only if the
// scenario still loads and still fails with the same signature (runner.h's
// FailureSignatures: the property, its cause, the fault kinds in force at
// its first offending call) for the same seed in the simulator.
#ifndef SALUDO_SCENARIO_SHRINK_H_
#define SALUDO_SCENARIO_SHRINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/scenario.pb.h"
#include "scenario/model.h"

namespace saludo::scenario {

struct ShrinkResult {
  Scenario proto;                  // the smallest still-failing scenario
  std::string signature;           // the failure it keeps
  // The failure does not hold once faults may land timing_slack late, so it
  // was shrunk with exact timing: live may not confirm it.
  bool fragile = false;
  std::vector<std::string> steps;  // what each kept step did, in order
};

struct ShrinkOptions {
  // Keep the seed's first signature that contains this (all do when empty).
  std::string signature;
  // Never shorter than this: a live run needs time to play a timeline
  // (processes start, faults land within milliseconds, not microseconds).
  absl::Duration min_duration = absl::Seconds(5);
  // Keep only steps after which the failure still shows when every fault
  // may land this late (as on the live stack, whose runs measure it: a few
  // milliseconds): a shrunk scenario should fail live too, not only in a
  // simulation that applies faults to the nanosecond.
  absl::Duration timing_slack = absl::Milliseconds(50);
};

// FAILED_PRECONDITION if `seed` does not fail `original` (nothing to
// shrink); NOT_FOUND, listing the seed's signatures, if none contains
// options.signature.
absl::StatusOr<ShrinkResult> Shrink(const LoadedScenario& original,
                                    uint64_t seed,
                                    const ShrinkOptions& options = {});

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SHRINK_H_
