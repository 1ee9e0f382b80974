// Runs a loaded scenario on a target (target.h) and checks its properties.
// Each verdict says what was measured against which bound, and for a
// violation the first offending call (time, node, and the run: a seed or
// "live").
#ifndef SALUDO_SCENARIO_RUNNER_H_
#define SALUDO_SCENARIO_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scenario/chaos.h"
#include "scenario/faults.h"
#include "scenario/model.h"
#include "scenario/properties.h"
#include "scenario/target.h"

namespace saludo::scenario {

struct ScenarioRun {
  uint64_t seed = 0;
  std::string label;  // "seed 3", "live"
  Observations observed;
  std::vector<Verdict> verdicts;
  // The faults this seed drew from the chaos section, in words, by time.
  std::vector<std::string> drawn;
  // When each fault of the timeline that ran (fixed and drawn) was in force.
  std::vector<FaultWindow> windows;
  // True if no property failed (skipped ones do not fail).
  bool ok() const;
};

// Builds the scenario's topology on `target`, puts its network and faults on
// the timeline (what the target cannot apply becomes a note), runs until the
// last call has ended, and checks the properties. REQUIRES: `target` is
// fresh (nothing built on it yet).
absl::StatusOr<ScenarioRun> RunScenario(const LoadedScenario& scenario,
                                        Target& target, uint64_t seed = 0);

// RunScenario for one seed: a chaos section is drawn first (chaos.h) and the
// run is that of the drawn, fixed timeline (its faults listed in `drawn`).
// So `sim live` and `compare` play the faults the simulator draws for `seed`.
absl::StatusOr<ScenarioRun> RunDrawn(const LoadedScenario& scenario,
                                     Target& target, uint64_t seed);

// The simulator for one seed (sim_target.h); `keep_log` keeps the event log
// (the trace hash is the same either way). A chaos section is drawn first
// (chaos.h): the run is that of the drawn, fixed timeline.
absl::StatusOr<ScenarioRun> RunSimulated(const LoadedScenario& scenario,
                                         uint64_t seed, bool keep_log);

// What failed, as signatures a sweep can group seeds by: per failing
// property, its label, the cause it names if any, and the fault kinds in
// force when its first offending call started ("success rate >= 0.9 [crash,
// partition]"; clock faults only for properties that read clocks), or
// "[no fault]" / "[no time]". A drawn timeline and the
// fixed scenario written from it have the same signatures. Sorted; empty
// when the run holds.
std::vector<std::string> FailureSignatures(const ScenarioRun& run);

// The properties only, on a run's observations (exposed for tests).
std::vector<Verdict> CheckRun(const LoadedScenario& scenario,
                              const ScenarioRun& run, const Target& target);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_RUNNER_H_
