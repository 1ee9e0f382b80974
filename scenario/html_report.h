// A run (or a live run beside a simulated one) as one self-contained HTML
// page: inline SVG and CSS, no script, nothing fetched (a Content-Security-
// Policy forbids it), so it opens from disk in any browser. docs/REPORTS.md
// says what each chart shows; //tests:html_report_test loads the pages in
// headless Chromium.
#ifndef SALUDO_SCENARIO_HTML_REPORT_H_
#define SALUDO_SCENARIO_HTML_REPORT_H_

#include <string>

#include "scenario/model.h"
#include "scenario/runner.h"
#include "scenario/sweep_summary.h"

namespace saludo::scenario {

// Calls per backend over time with the fault windows, every call's latency
// against time (coloured by status, with deadlines and latency bounds),
// latency histogram and CDF per backend, the balancer's view (attempts,
// breaker windows, probes), attempts per call, server clocks when the
// scenario touches clocks, and the verdicts, each linked to its first
// offending call on the latency chart.
std::string RunToHtml(const LoadedScenario& scenario, const ScenarioRun& run);

// `live` and `simulated` on the same axes (calls per backend over time,
// latency CDF) and a table of each metric side by side with the difference,
// then each run's own verdicts.
std::string CompareToHtml(const LoadedScenario& scenario,
                          const ScenarioRun& live,
                          const ScenarioRun& simulated);

// A sweep's or an exploration's seeds (`sim sweep`, `sim explore`, `sim
// merge`): `headline` (the line the tool printed first), each property HOLDS
// or BROKE in how many seeds (charted), the distinct failure signatures with
// their smallest seed, what it drew, and the replay and shrink commands, and
// the distribution of success rate and p99 latency across seeds.
std::string SweepToHtml(const SweepSummary& summary,
                        const std::string& headline);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_HTML_REPORT_H_
