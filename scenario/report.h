// What a scenario run amounted to, for people (text), for programs (JSON) and
// for timeline viewers (Chrome trace-event JSON, opens in Perfetto).
#ifndef SALUDO_SCENARIO_REPORT_H_
#define SALUDO_SCENARIO_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

#include "scenario/model.h"
#include "scenario/runner.h"

namespace saludo::scenario {

// Per-backend counts over time, status counts, latency percentiles, the
// verdicts, the run's notes (what was skipped, what the twin does not
// model) and the trace hash when the run has one.
std::string FormatRunSummary(const LoadedScenario& scenario,
                             const ScenarioRun& run);

// The terminal's width for text reports: $COLUMNS if it is a number in
// [20, 1000], else 100.
int TerminalColumns();

// `text` with every line longer than `width` broken at spaces (or at
// `width` when a word is longer); continuation lines are indented two
// columns more than the line they continue.
std::string WrapLines(const std::string& text, size_t width);

// Two multi-line texts in columns, with titles; one above the other (each
// wrapped to `columns`) when side by side would be wider than `columns`.
std::string SideBySide(const std::string& left_title, const std::string& left,
                       const std::string& right_title,
                       const std::string& right,
                       int columns = TerminalColumns());

// The run as proto/report.proto's RunReport in proto3 JSON (json_report.cc):
// the summary, verdicts, notes, the unmodelled nginx directives with where
// they are, the faults in force; with `calls`, every call with every attempt
// nginx made for it (which needs the run's event log) and nginx's access
// log, to compare call by call with a real nginx's.
std::string RunToJson(const LoadedScenario& scenario, const ScenarioRun& run,
                      bool calls = false);

// A live run and the simulated one of the same file, as one JSON object:
// {"live": RunToJson(live), "simulated": RunToJson(simulated)}.
std::string CompareToJson(const LoadedScenario& scenario,
                          const ScenarioRun& live,
                          const ScenarioRun& simulated);

// `s` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view s);

// What a sweep keeps of one seed (proto/scenario.proto's SeedResult): the
// scenario, the seed, every property's label, and for a run that was done
// its trace hash, failing properties, failure signatures and drawn faults
// (for one that could not be, the error).
SeedResult SeedToResult(const LoadedScenario& scenario,
                        const absl::StatusOr<ScenarioRun>& run, uint64_t seed);
// `message` as proto3 JSON with the proto's field names and every field
// (defaults too); indented if `pretty`, else one line.
std::string ProtoToJson(const google::protobuf::Message& message, bool pretty);

// One line of proto3 JSON (no newline), as `--out_json` writes it.
std::string SeedToJsonLine(const SeedResult& result);

// The run in the Trace Event Format (chrome_trace.cc; opens in Perfetto):
// one process per node; each client call, nginx attempt and backend request
// a complete event on a lane of its own kind that no other event of the
// node overlaps; every attempt nginx made (answered, refused, reset, timed
// out, the caller gone) with its peer and outcome; flow arrows client call
// -> attempt -> backend request; faults as spans of their duration;
// counters of calls in flight and of backends out of nginx's rotation.
// REQUIRES: the run kept its event log (observed.event_log).
std::string RunToChromeTrace(const LoadedScenario& scenario,
                             const ScenarioRun& run);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_REPORT_H_
