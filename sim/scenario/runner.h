// Runs a loaded scenario in the simulator for one seed and checks its
// properties. Each verdict says what was measured against which bound, and
// for a violation the first offending call (time, node, seed).
#ifndef SALUDO_SIM_SCENARIO_RUNNER_H_
#define SALUDO_SIM_SCENARIO_RUNNER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/load_client.h"
#include "sim/nginx_twin.h"
#include "sim/scenario/loader.h"
#include "sim/world.h"

namespace saludo::sim {

struct ScenarioCall {
  std::string client;
  client::CallRecord record;  // started/latency on the client's clock
  absl::Duration deadline;
};

struct Verdict {
  std::string property;  // the label
  bool holds = true;
  bool skipped = false;  // could not be checked (e.g. live); see `measured`
  std::string measured;
  std::string bound;
  std::string first_violation;  // empty when it holds
};

struct ScenarioRun {
  uint64_t seed = 0;
  std::unique_ptr<World> world;
  std::map<std::string, NodeId> nodes;
  NodeId nginx = -1;
  std::vector<ScenarioCall> calls;  // every client's calls, by start time
  std::vector<TwinLogEntry> nginx_log;
  std::vector<Verdict> verdicts;
  uint64_t trace_hash = 0;
  absl::Duration simulated;
  bool ok() const;
};

// Builds the world of `scenario`, runs it for its duration (plus the longest
// deadline, so calls in flight at the end complete), and checks properties.
absl::StatusOr<ScenarioRun> RunScenario(const LoadedScenario& scenario,
                                        uint64_t seed, bool keep_log);

// Shortens a scenario to `limit` (its duration, its loads; faults after it
// are dropped). No-op if it is shorter already.
void TruncateScenario(LoadedScenario* scenario, absl::Duration limit);

// Only the properties (exposed for tests).
std::vector<Verdict> CheckProperties(const LoadedScenario& scenario,
                                     const ScenarioRun& run);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_SCENARIO_RUNNER_H_
