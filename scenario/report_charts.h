// The charts of the HTML reports (html_report.h), each a <figure> of SVG
// (svg_chart.h). Internal to //scenario.
#ifndef SALUDO_SCENARIO_REPORT_CHARTS_H_
#define SALUDO_SCENARIO_REPORT_CHARTS_H_

#include <cstddef>
#include <map>
#include <string>

#include "scenario/model.h"
#include "scenario/runner.h"

namespace saludo::scenario {

// Stacked successful calls per backend and failed calls, per window of the
// run, with the fault windows shaded.
std::string CallsChart(const LoadedScenario& s, const ScenarioRun& run);
// For each failed verdict with a time (index into run.verdicts), the call
// it points at (index into run.observed.calls): the last one started at or
// before its first offending time.
std::map<size_t, size_t> Offenders(const ScenarioRun& run);
// Every call's latency against its start (log scale; at most 5,000 drawn,
// offenders always, with id "call-<call index>"), by status, with
// the deadlines and latency bounds as rules.
std::string LatencyChart(const LoadedScenario& s, const ScenarioRun& run,
                         const std::map<size_t, size_t>& offenders);
std::string HistogramChart(const LoadedScenario& s, const ScenarioRun& run);
std::string CdfChart(const LoadedScenario& s, const ScenarioRun& run);
// Per backend lane: windows with answered or failed attempts, the breaker
// windows (properties.h BreakerWindows) and the probe after each.
std::string BalancerChart(const LoadedScenario& s, const ScenarioRun& run);
// How many attempts nginx made per call; "" without a balancer log.
std::string AttemptsChart(const ScenarioRun& run);
// Reply stamps against the client's clock per server; "" unless the
// scenario has clock faults or a clock_spread property.
std::string ClockChart(const LoadedScenario& s, const ScenarioRun& run);
// Live (solid) and simulated (dashed) on the same axes.
std::string CallsOverlayChart(const LoadedScenario& s, const ScenarioRun& live,
                              const ScenarioRun& simulated);
std::string CdfOverlayChart(const LoadedScenario& s, const ScenarioRun& live,
                            const ScenarioRun& simulated);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_REPORT_CHARTS_H_
