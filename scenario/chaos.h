// Faults each seed draws for itself (a scenario's `chaos` section): kinds at
// a rate (a Poisson process per kind), for a drawn duration, on drawn nodes,
// within limits (at most `max_down` backends down at once), optionally a
// random subset of the kinds per seed (swarm testing). The draws come from a
// random stream of their own ("chaos"), so they never change any other
// draw; the drawn timeline is an ordinary fixed-timeline scenario that
// reproduces the same run (same trace hash).
#ifndef SALUDO_SCENARIO_CHAOS_H_
#define SALUDO_SCENARIO_CHAOS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/scenario.pb.h"
#include "scenario/model.h"
#include "scenario/validator.h"

namespace saludo::scenario {

// Reads and checks the chaos section into out->chaos. REQUIRES: topology
// and faults loaded.
absl::Status LoadChaos(const Validator& v, LoadedScenario* out);

struct DrawnTimeline {
  Scenario proto;                 // the scenario with the drawn faults fixed
  std::vector<std::string> what;  // each drawn fault, in words, by time
};

// The timeline `seed` draws: `scenario`'s file with the drawn faults and
// partitions added to its fixed ones and the chaos section removed. Without
// a chaos section, the file as it is.
DrawnTimeline DrawChaos(const LoadedScenario& scenario, uint64_t seed);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_CHAOS_H_
