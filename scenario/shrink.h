// Shrinks a failing scenario: drops faults and properties, halves the
// duration and the load, one step at a time, keeping each step only if the
// scenario still loads and still fails for the same seed in the simulator.
#ifndef SALUDO_SCENARIO_SHRINK_H_
#define SALUDO_SCENARIO_SHRINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/scenario.pb.h"
#include "scenario/model.h"

namespace saludo::scenario {

struct ShrinkResult {
  Scenario proto;                  // the smallest still-failing scenario
  std::vector<std::string> steps;  // what each kept step did, in order
};

// FAILED_PRECONDITION if `seed` does not fail `original` (nothing to shrink).
absl::StatusOr<ShrinkResult> Shrink(const LoadedScenario& original,
                                    uint64_t seed);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_SHRINK_H_
