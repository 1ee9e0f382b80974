#include "scenario/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/summary.h"
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

// Sorted latencies of the run's calls; successful only if `ok`.
std::vector<absl::Duration> Latencies(const ScenarioRun& run, bool ok) {
  std::vector<absl::Duration> out;
  for (const ScenarioCall& c : run.observed.calls) {
    if (!ok || c.record.status.ok()) out.push_back(c.record.latency);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The summary's nearest-rank percentile in seconds, or -1 with no values.
double Percentile(const std::vector<absl::Duration>& sorted, double p) {
  if (sorted.empty()) return -1;
  return absl::ToDoubleSeconds(client::Percentile(sorted, p / 100));
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

std::string FailuresChart(const SweepSummary& sweep) {
  const auto& properties = sweep.properties();
  if (properties.empty()) return "";
  size_t top = 1;
  std::vector<std::pair<double, std::string>> ticks;
  for (size_t i = 0; i < properties.size(); ++i) {
    top = std::max(top, sweep.BrokenIn(properties[i]));
    ticks.emplace_back(i + 0.5, absl::StrCat("#", i + 1));
  }
  SvgChart chart("failures",
                 "Seeds in which each property broke (#N: the table's row)",
                 {0, static_cast<double>(properties.size()), false,
                  "property", std::move(ticks)},
                 {0, top * 1.1, false, "seeds", {}}, 240);
  chart.BeginSeries("seeds where it broke", "#e15759");
  for (size_t i = 0; i < properties.size(); ++i) {
    chart.Bar(i + 0.15, i + 0.85, 0, sweep.BrokenIn(properties[i]),
              absl::StrCat(properties[i], ": broke in ",
                           sweep.BrokenIn(properties[i]), " seeds"));
  }
  chart.EndSeries();
  return chart.Finish();
}

std::string SuccessRateChart(const SweepSummary& sweep) {
  const auto& bins = sweep.success_rate_bins();
  int64_t top = 0;
  for (int64_t n : bins) top = std::max(top, n);
  if (top == 0) return "";
  const int k = SweepSummary::kRateBins;
  SvgChart chart("success_rates",
                 "Success rate across seeds (the last bar: exactly 1)",
                 {0, 1.0 + 1.0 / k, false, "share of a seed's calls that succeeded", {}},
                 {0, top * 1.1, false, "seeds", {}}, 240);
  chart.BeginSeries("seeds", "#4e79a7");
  for (int b = 0; b <= k; ++b) {
    chart.Bar(1.0 * b / k, 1.0 * (b + 1) / k, 0, bins[b],
              absl::StrFormat("%d seeds with a success rate in [%.2f, %.2f)",
                              bins[b], 1.0 * b / k, 1.0 * (b + 1) / k));
  }
  chart.EndSeries();
  return chart.Finish();
}

std::string P99Chart(const SweepSummary& sweep) {
  const auto& bins = sweep.p99_bins();
  if (bins.empty()) return "";
  auto edge = [](int k) { return std::pow(10.0, k / 4.0) / 1000; };  // s
  int64_t top = 1;
  for (const auto& [k, n] : bins) top = std::max(top, n);
  // One empty bin of room on each side; a tick at every bin edge.
  const int first = bins.begin()->first - 1, last = bins.rbegin()->first + 1;
  std::vector<std::pair<double, std::string>> ticks;
  for (int k = first; k <= last + 1; ++k) {
    ticks.emplace_back(edge(k), SecondsLabel(edge(k)));
  }
  SvgChart chart("p99_latencies",
                 "p99 latency across seeds (quarter-decade bins)",
                 {edge(first), edge(last + 1), true,
                  "a seed's p99 latency (log scale)", std::move(ticks)},
                 {0, top * 1.1, false, "seeds", {}}, 240);
  chart.BeginSeries("seeds", "#f28e2b");
  for (const auto& [k, n] : bins) {
    chart.Bar(edge(k), edge(k + 1), 0, n,
              absl::StrCat(n, " seeds with p99 in [", SecondsLabel(edge(k)),
                           ", ", SecondsLabel(edge(k + 1)), ")"));
  }
  chart.EndSeries();
  return chart.Finish();
}

std::string PropertyTable(const SweepSummary& sweep) {
  std::string out =
      "<table class=\"verdicts\"><tr><th>#</th><th></th><th>property</th>"
      "<th>broke in</th></tr>";
  const auto& properties = sweep.properties();
  for (size_t i = 0; i < properties.size(); ++i) {
    const size_t n = sweep.BrokenIn(properties[i]);
    absl::StrAppend(&out, "<tr class=\"", n == 0 ? "holds" : "fails",
                    "\"><td>", i + 1, "</td><td class=\"v\">",
                    n == 0 ? "HOLDS" : "BROKE", "</td><td>",
                    HtmlEscape(properties[i]), "</td><td class=\"num\">", n,
                    " of ", sweep.seeds(), " seeds</td></tr>");
  }
  return out + "</table>\n";
}

std::string SignatureTable(const SweepSummary& sweep) {
  const auto signatures = sweep.Signatures();
  if (signatures.empty()) return "<p>No failure signatures: every seed held.</p>\n";
  std::string out =
      "<table class=\"signatures\"><tr><th>seeds</th><th>signature</th>"
      "<th>smallest seed: what it drew, replay, shrink</th></tr>";
  for (const auto& stat : signatures) {
    std::string drawn = absl::StrJoin(stat.drawn, "; ");
    if (drawn.empty()) drawn = "(nothing: a fixed timeline)";
    absl::StrAppend(&out, "<tr><td class=\"num\">", stat.seeds, "</td><td>",
                    HtmlEscape(stat.signature), "</td><td>seed ",
                    stat.smallest, ": ", HtmlEscape(drawn), "<br><code>",
                    HtmlEscape(sweep.Replay(stat.smallest)),
                    "</code><br><code>",
                    HtmlEscape(sweep.Shrink(stat.smallest, stat.signature)),
                    "</code></td></tr>");
  }
  return out + "</table>\n";
}

}  // namespace

std::string SweepToHtml(const SweepSummary& sweep,
                        const std::string& headline) {
  return absl::StrCat(
      kHead, Title(sweep.scenario() + " · " +
                   absl::StrCat(sweep.seeds(), " seeds")),
      "<h1>", HtmlEscape(sweep.scenario()), "</h1><p class=\"meta\"><code>",
      HtmlEscape(sweep.file()), "</code></p><p data-summary=\"seeds\" "
      "data-seeds=\"", sweep.seeds(), "\" data-failed=\"", sweep.failed(),
      "\">", HtmlEscape(headline), "</p><h2>Properties</h2>",
      PropertyTable(sweep), FailuresChart(sweep),
      "<h2>Failure signatures</h2>", SignatureTable(sweep),
      "<h2>Across seeds</h2>", SuccessRateChart(sweep), P99Chart(sweep),
      Footer());
}

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
