// Plays a scenario file against real processes: the servers (with their
// control service), real nginx with the scenario's configuration, and the
// client code on the live runtime. Faults are applied through the control
// service and process signals at their times; what cannot be applied live
// (network latency and loss, partitions, clock drift, faults on nginx or the
// clients) is listed as skipped, never silently dropped. The result has the
// same shape as a simulated run, so the same report prints it.
#ifndef SALUDO_STACK_SCENARIO_LIVE_H_
#define SALUDO_STACK_SCENARIO_LIVE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"

namespace saludo::stack {

struct LiveScenarioResult {
  sim::ScenarioRun run;              // world is null
  std::vector<std::string> skipped;  // what was not applied, and why
};

// REQUIRES: backends have server ids 1..n.
absl::StatusOr<LiveScenarioResult> RunScenarioLive(
    const sim::LoadedScenario& scenario, const std::string& server_binary);

}  // namespace saludo::stack

#endif  // SALUDO_STACK_SCENARIO_LIVE_H_
