#include "scenario/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scenario/report_charts.h"
#include "scenario/svg_chart.h"

namespace saludo::scenario {
namespace {

// Nothing may be fetched: no network, no other file (a violation shows as a
// console error in the browser test).
constexpr char kHead[] = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 6px; }
.meta { color: #555; } code { background: #f3f3f3; padding: 0 3px; }
figure.chart { margin: 12px 0 20px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg { display: block; font: 11px sans-serif; background: #fff; }
.axis line { stroke: #333; } .axis .grid { stroke: #eee; } .axis text { fill: #333; }
.fault rect { fill: #f2c14e; opacity: .25; } .fault text { fill: #8a6d00; }
.open rect { fill: #e15759; opacity: .35; } .lane { fill: #333; font-weight: 600; }
circle { stroke-width: 0; } circle[id] { stroke: #000; stroke-width: 2; fill-opacity: .6; }
circle:target { stroke: #d00; stroke-width: 4; }
.legend .key { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
table { border-collapse: collapse; margin: 6px 0; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
tr.fails td.v { color: #c00; font-weight: 700; } tr.holds td.v { color: #080; font-weight: 700; }
tr.skipped td.v { color: #777; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
)";

std::string Title(const std::string& text) {
  return absl::StrCat("<title>", HtmlEscape(text), "</title></head><body>\n");
}

std::string List(const std::string& heading,
                 const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = absl::StrCat("<h2>", HtmlEscape(heading), "</h2><ul>");
  for (const std::string& item : items) {
    absl::StrAppend(&out, "<li>", HtmlEscape(item), "</li>");
  }
  return out + "</ul>\n";
}

std::string Header(const LoadedScenario& s, const ScenarioRun& run) {
  int64_t ok = 0;
  for (const ScenarioCall& c : run.observed.calls) ok += c.record.status.ok();
  const int64_t calls = run.observed.calls.size();
  return absl::StrCat(
      "<h1>", HtmlEscape(s.name), "</h1><p class=\"meta\">",
      HtmlEscape(run.observed.where), " · <code>", HtmlEscape(s.path),
      "</code>",
      run.observed.has_trace_hash
          ? absl::StrFormat(" · trace hash <code>%016x</code>",
                            run.observed.trace_hash)
          : "",
      "</p><p data-summary=\"calls\" data-calls=\"", calls, "\" data-ok=\"", ok,
      "\">", calls, " calls, ", ok, " succeeded, ", calls - ok,
      " failed. The run <b>", run.ok() ? "holds" : "fails",
      "</b> its properties.</p>\n");
}

// The verdicts, each failed one linked to its first offending call.
std::string Verdicts(const ScenarioRun& run,
                     const std::map<size_t, size_t>& offenders,
                     const std::string& id_prefix) {
  std::string out =
      "<table class=\"verdicts\"><tr><th></th><th>property</th><th>measured"
      "</th><th>bound</th><th>first offending call</th></tr>";
  for (size_t i = 0; i < run.verdicts.size(); ++i) {
    const Verdict& v = run.verdicts[i];
    const char* word = v.skipped ? "SKIPPED" : v.holds ? "HOLDS" : "FAILS";
    std::string first = HtmlEscape(v.first_violation);
    if (auto it = offenders.find(i); it != offenders.end()) {
      first = absl::StrCat("<a href=\"#", id_prefix, "call-", it->second, "\">",
                           first.empty() ? "see the chart" : first, "</a>");
    }
    absl::StrAppend(&out, "<tr class=\"", v.skipped ? "skipped" : v.holds ? "holds" : "fails",
                    "\"><td class=\"v\">", word, "</td><td>",
                    HtmlEscape(v.property), "</td><td>", HtmlEscape(v.measured),
                    "</td><td>", HtmlEscape(v.bound), "</td><td>", first,
                    "</td></tr>");
  }
  return out + "</table>\n";
}

std::string Footer() {
  return "<p class=\"meta\">Written by <code>sim</code>; every chart is "
         "inline SVG. docs/REPORTS.md explains them.</p></body></html>\n";
}

// Sorted latencies (seconds) of the run's calls; successful only if `ok`.
std::vector<double> Latencies(const ScenarioRun& run, bool ok) {
  std::vector<double> out;
  for (const ScenarioCall& c : run.observed.calls) {
    if (!ok || c.record.status.ok()) {
      out.push_back(absl::ToDoubleSeconds(c.record.latency));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Nearest-rank percentile, or -1 with no values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return -1;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

struct Metric {
  std::string name;
  double live, simulated;
  bool seconds;
};

std::vector<Metric> Metrics(const LoadedScenario& s, const ScenarioRun& live,
                            const ScenarioRun& simulated) {
  std::vector<Metric> out;
  auto count = [](const ScenarioRun& r, int server_id, bool any) {
    double n = 0;
    for (const ScenarioCall& c : r.observed.calls) {
      n += any || (c.record.status.ok() && c.record.server_id == server_id);
    }
    return n;
  };
  out.push_back({"calls", count(live, 0, true), count(simulated, 0, true),
                 false});
  const auto a = Latencies(live, false), b = Latencies(simulated, false);
  const auto a_ok = Latencies(live, true), b_ok = Latencies(simulated, true);
  out.push_back({"success rate", a.empty() ? 0 : 1.0 * a_ok.size() / a.size(),
                 b.empty() ? 0 : 1.0 * b_ok.size() / b.size(), false});
  for (const auto& backend : s.backends) {
    out.push_back({"successful calls of " + backend.name,
                   count(live, backend.server_id, false),
                   count(simulated, backend.server_id, false), false});
  }
  for (double p : {50.0, 90.0, 99.0, 100.0}) {
    out.push_back({absl::StrFormat("latency p%g (all calls)", p),
                   Percentile(a, p), Percentile(b, p), true});
  }
  return out;
}

std::string MetricTable(const std::vector<Metric>& metrics) {
  auto text = [](double v, bool seconds) {
    if (v < 0) return std::string("-");
    return seconds ? SecondsLabel(v) : absl::StrFormat("%.4g", v);
  };
  std::string out =
      "<table class=\"metrics\"><tr><th>metric</th><th>live</th>"
      "<th>simulated</th><th>simulated - live</th></tr>";
  for (const Metric& m : metrics) {
    const bool both = m.live >= 0 && m.simulated >= 0;
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(m.name), "</td><td class=\"num\">",
                    text(m.live, m.seconds), "</td><td class=\"num\">",
                    text(m.simulated, m.seconds), "</td><td class=\"num\">",
                    both ? (m.seconds ? SecondsLabel(m.simulated - m.live)
                                      : absl::StrFormat("%+.4g",
                                                        m.simulated - m.live))
                         : "-",
                    "</td></tr>");
  }
  return out + "</table>\n";
}

}  // namespace

std::string RunToHtml(const LoadedScenario& s, const ScenarioRun& run) {
  const std::map<size_t, size_t> offenders = Offenders(run);
  std::string notes = List("Notes", run.observed.notes);
  return absl::StrCat(
      kHead, Title(s.name + " · " + run.label), Header(s, run),
      "<h2>Verdicts</h2>", Verdicts(run, offenders, ""),
      List("Faults this seed drew", run.drawn), "<h2>Calls</h2>",
      CallsChart(s, run), LatencyChart(s, run, offenders),
      "<h2>Latency distribution</h2>", HistogramChart(s, run),
      CdfChart(s, run), "<h2>The balancer</h2>", BalancerChart(s, run),
      AttemptsChart(run), ClockChart(s, run), notes, Footer());
}

std::string CompareToHtml(const LoadedScenario& s, const ScenarioRun& live,
                          const ScenarioRun& simulated) {
  return absl::StrCat(
      kHead, Title(s.name + " · live and simulated"), "<h1>",
      HtmlEscape(s.name), ": live and simulated</h1><p class=\"meta\">",
      HtmlEscape(live.observed.where), " · ",
      HtmlEscape(simulated.observed.where), "</p>",
      "<h2>Side by side</h2>", MetricTable(Metrics(s, live, simulated)),
      CallsOverlayChart(s, live, simulated),
      CdfOverlayChart(s, live, simulated), "<h2>Live: verdicts</h2>",
      Verdicts(live, {}, "live-"), "<h2>Simulated (", HtmlEscape(simulated.label),
      "): verdicts</h2>", Verdicts(simulated, {}, "sim-"),
      List("Notes (live)", live.observed.notes), Footer());
}

}  // namespace saludo::scenario
