// What a scenario run amounted to, for people (text), for programs (JSON) and
// for timeline viewers (Chrome trace-event JSON, opens in Perfetto).
#ifndef SALUDO_SCENARIO_REPORT_H_
#define SALUDO_SCENARIO_REPORT_H_

#include <string>

#include "scenario/model.h"
#include "scenario/runner.h"

namespace saludo::scenario {

// Per-backend counts over time, status counts, latency percentiles, the
// verdicts, the run's notes (what was skipped, what the twin does not
// model) and the trace hash when the run has one.
std::string FormatRunSummary(const LoadedScenario& scenario,
                             const ScenarioRun& run);

// Two multi-line texts in columns, with titles.
std::string SideBySide(const std::string& left_title, const std::string& left,
                       const std::string& right_title,
                       const std::string& right);

std::string RunToJson(const LoadedScenario& scenario, const ScenarioRun& run);

// One line of JSON for a sweep's seed (no newline): scenario, file, seed, ok,
// trace_hash, the failing properties, the failure signatures and the drawn
// faults.
std::string SeedToJsonLine(const LoadedScenario& scenario,
                           const ScenarioRun& run);

// Each call as spans on client, nginx and backend tracks; faults as instant
// markers. REQUIRES: the run kept its event log (observed.event_log).
std::string RunToChromeTrace(const LoadedScenario& scenario,
                             const ScenarioRun& run);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_REPORT_H_
