#include "scenario/report_charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "scenario/properties.h"
#include "scenario/svg_chart.h"

namespace saludo::scenario {
namespace {

constexpr int kWindows = 40;             // bars across a run
constexpr size_t kMaxDots = 5000;        // latency dots drawn at most
constexpr size_t kMaxCdfPoints = 200;    // per CDF line
constexpr const char* kFailedColor = "#e15759";

const char* BackendColor(size_t i) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f",
                                   "#76b7b2", "#edc948", "#b07aa1",
                                   "#ff9da7", "#9c755f"};
  return kPalette[i % 8];
}

const char* StatusColor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "#59a14f";
    case absl::StatusCode::kDeadlineExceeded: return "#e15759";
    case absl::StatusCode::kUnavailable: return "#f28e2b";
    default: return "#b07aa1";
  }
}

double Sec(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// When the last call of the run ended (at least the scenario's duration).
double RunEndSeconds(const LoadedScenario& s, const ScenarioRun& run) {
  double end = Sec(s.duration);
  for (const ScenarioCall& c : run.observed.calls) {
    end = std::max(end, Sec(c.record.started + c.record.latency));
  }
  return end;
}

// The backend's index in the scenario for a server id, or -1.
int BackendIndex(const LoadedScenario& s, int server_id) {
  for (size_t i = 0; i < s.backends.size(); ++i) {
    if (s.backends[i].server_id == server_id) return static_cast<int>(i);
  }
  return -1;
}

std::string CallTip(const ScenarioCall& c) {
  return absl::StrCat(
      "call #", c.record.index, " of ", c.client, " at ",
      absl::FormatDuration(c.record.started), ": ",
      absl::StatusCodeToString(c.record.status.code()), " after ",
      absl::FormatDuration(c.record.latency),
      c.record.server_id > 0 ? absl::StrCat(", server ", c.record.server_id)
                             : "");
}

// Per window: successful calls of each backend and failed calls, by start.
struct Counts {
  std::vector<std::vector<int64_t>> ok;  // [backend][window]
  std::vector<int64_t> failed;           // [window]
  double window = 1;                     // seconds
};

Counts CountCalls(const LoadedScenario& s, const ScenarioRun& run,
                  double end) {
  Counts c;
  c.window = end / kWindows;
  c.ok.assign(s.backends.size(), std::vector<int64_t>(kWindows, 0));
  c.failed.assign(kWindows, 0);
  for (const ScenarioCall& call : run.observed.calls) {
    const int w = std::min(kWindows - 1,
                           static_cast<int>(Sec(call.record.started) / c.window));
    const int b = BackendIndex(s, call.record.server_id);
    if (call.record.status.ok() && b >= 0) {
      ++c.ok[b][w];
    } else {
      ++c.failed[w];
    }
  }
  return c;
}

void FaultSpans(const ScenarioRun& run, double end, SvgChart& chart) {
  for (const FaultWindow& f : run.windows) {
    const double from = Sec(f.start);
    const double to = f.end == absl::InfiniteDuration() ? end : Sec(f.end);
    if (from >= end) continue;
    chart.Span(from, std::min(to, end), "fault",
               absl::StrCat(f.kind, " ", f.node,
                            f.peer.empty() ? "" : " / " + f.peer));
  }
}

// The latency axis: from the fastest call to past the slowest, the
// deadlines and the latency bounds.
ChartAxis LatencyAxis(const LoadedScenario& s, const ScenarioRun& run,
                      std::string label) {
  double lo = 1e9, hi = 1e-6;
  for (const ScenarioCall& c : run.observed.calls) {
    lo = std::min(lo, Sec(c.record.latency));
    hi = std::max(hi, Sec(c.record.latency));
  }
  for (const auto& c : s.clients) hi = std::max(hi, Sec(c.load.deadline));
  for (const PropertySpec& p : s.properties) {
    if (p.kind == Property::kLatency) hi = std::max(hi, Sec(p.at_most));
  }
  lo = std::max(1e-6, std::min(lo, hi) / 1.5);
  std::vector<std::pair<double, std::string>> ticks;
  for (double t = 1e-6; t <= hi * 1.5; t *= 10) {
    if (t >= lo) ticks.emplace_back(t, SecondsLabel(t));
  }
  return {lo, hi * 1.5, true, std::move(label), std::move(ticks)};
}

void LatencyRules(const LoadedScenario& s, SvgChart& chart) {
  std::set<double> deadlines;
  for (const auto& c : s.clients) deadlines.insert(Sec(c.load.deadline));
  for (double d : deadlines) {
    chart.Rule(d, "deadline " + SecondsLabel(d), "#333");
  }
  for (const PropertySpec& p : s.properties) {
    if (p.kind != Property::kLatency) continue;
    chart.Rule(Sec(p.at_most), absl::StrFormat("p%g bound", p.percentile),
               "#b07aa1");
  }
}

// Successful latencies per backend (by scenario order), then every call's.
std::vector<std::pair<std::string, std::vector<double>>> LatencyGroups(
    const LoadedScenario& s, const ScenarioRun& run) {
  std::vector<std::pair<std::string, std::vector<double>>> groups;
  for (const auto& b : s.backends) groups.push_back({b.name, {}});
  groups.push_back({"all calls", {}});
  for (const ScenarioCall& c : run.observed.calls) {
    const int b = BackendIndex(s, c.record.server_id);
    if (c.record.status.ok() && b >= 0) {
      groups[b].second.push_back(Sec(c.record.latency));
    }
    groups.back().second.push_back(Sec(c.record.latency));
  }
  for (auto& g : groups) std::sort(g.second.begin(), g.second.end());
  return groups;
}

// At most kMaxCdfPoints points of the CDF of sorted `values`.
std::vector<std::pair<double, double>> CdfPoints(
    const std::vector<double>& values) {
  std::vector<std::pair<double, double>> points;
  const size_t n = values.size();
  const size_t step = std::max<size_t>(1, n / kMaxCdfPoints);
  for (size_t i = 0; i < n; i += step) {
    points.emplace_back(values[i], static_cast<double>(i + 1) / n);
  }
  if (n > 0 && points.back().second < 1) points.emplace_back(values.back(), 1);
  return points;
}

}  // namespace

std::string CallsChart(const LoadedScenario& s, const ScenarioRun& run) {
  const double end = RunEndSeconds(s, run);
  const Counts c = CountCalls(s, run, end);
  int64_t top = 1;
  for (int w = 0; w < kWindows; ++w) {
    int64_t sum = c.failed[w];
    for (const auto& b : c.ok) sum += b[w];
    top = std::max(top, sum);
  }
  SvgChart chart(
      "calls",
      absl::StrCat("Calls per backend over time (", kWindows, " windows of ",
                   SecondsLabel(c.window), "; shaded: faults)"),
      {0, end, false, "scenario time (s)", {}},
      {0, static_cast<double>(top) * 1.1, false, "calls started", {}});
  FaultSpans(run, end, chart);
  std::vector<int64_t> base(kWindows, 0);
  auto stack = [&](const std::string& name, const char* color,
                   const std::vector<int64_t>& counts) {
    chart.BeginSeries(name, color);
    for (int w = 0; w < kWindows; ++w) {
      chart.Bar(w * c.window, (w + 1) * c.window, base[w], base[w] + counts[w],
                absl::StrCat(name, ": ", counts[w], " calls from ",
                             SecondsLabel(w * c.window)));
      base[w] += counts[w];
    }
    chart.EndSeries();
  };
  for (size_t b = 0; b < s.backends.size(); ++b) {
    stack(s.backends[b].name, BackendColor(b), c.ok[b]);
  }
  stack("failed", kFailedColor, c.failed);
  return chart.Finish();
}

// For each failed verdict with a time, the call it points at: the last call
// started at or before its first offending time.
std::map<size_t, size_t> Offenders(const ScenarioRun& run) {
  std::map<size_t, size_t> out;  // verdict index -> call index
  const auto& calls = run.observed.calls;
  for (size_t v = 0; v < run.verdicts.size(); ++v) {
    const Verdict& verdict = run.verdicts[v];
    if (verdict.holds || !verdict.first_at.has_value() || calls.empty()) {
      continue;
    }
    size_t best = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].record.started <= *verdict.first_at) best = i;
    }
    out[v] = best;
  }
  return out;
}

std::string LatencyChart(const LoadedScenario& s, const ScenarioRun& run,
                         const std::map<size_t, size_t>& offenders) {
  const auto& calls = run.observed.calls;
  const size_t step = std::max<size_t>(1, (calls.size() + kMaxDots - 1) / kMaxDots);
  std::set<size_t> offending;  // call indexes
  for (const auto& [v, call] : offenders) offending.insert(call);
  SvgChart chart(
      "latency",
      absl::StrCat("Latency of every call",
                   step > 1 ? absl::StrCat(" (1 in ", step, " drawn)") : "",
                   ", coloured by status; rings: first offending calls"),
      {0, RunEndSeconds(s, run), false, "call start (s)", {}},
      LatencyAxis(s, run, "latency"), 340);
  LatencyRules(s, chart);
  std::map<absl::StatusCode, std::vector<size_t>> by_status;
  for (size_t i = 0; i < calls.size(); ++i) {
    if (i % step == 0 || offending.count(i)) {
      by_status[calls[i].record.status.code()].push_back(i);
    }
  }
  for (const auto& [code, indexes] : by_status) {
    chart.BeginSeries(absl::StatusCodeToString(code), StatusColor(code));
    for (size_t i : indexes) {
      const bool offends = offending.count(i) > 0;
      chart.Dot(Sec(calls[i].record.started), Sec(calls[i].record.latency),
                offends ? 6 : 2, CallTip(calls[i]),
                offends ? absl::StrCat("call-", i) : "");
    }
    chart.EndSeries();
  }
  return chart.Finish();
}

std::string HistogramChart(const LoadedScenario& s, const ScenarioRun& run) {
  const auto groups = LatencyGroups(s, run);
  const ChartAxis x = LatencyAxis(s, run, "latency (log scale)");
  constexpr int kBins = 30;
  const double ratio = std::pow(x.hi / x.lo, 1.0 / kBins);
  std::vector<std::vector<int64_t>> bins(groups.size(),
                                         std::vector<int64_t>(kBins, 0));
  int64_t top = 1;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (double v : groups[g].second) {
      const int bin = std::clamp(
          static_cast<int>(std::log(v / x.lo) / std::log(ratio)), 0, kBins - 1);
      top = std::max(top, ++bins[g][bin]);
    }
  }
  SvgChart chart("histogram",
                 "Latency histogram per backend (successful calls) and of all "
                 "calls",
                 x, {0, static_cast<double>(top) * 1.1, false, "calls", {}});
  for (size_t g = 0; g < groups.size(); ++g) {
    chart.BeginSeries(groups[g].first,
                      g + 1 == groups.size() ? "#555" : BackendColor(g));
    for (int b = 0; b < kBins; ++b) {
      const double from = x.lo * std::pow(ratio, b);
      const double width = (from * ratio - from) / groups.size();
      chart.Bar(from + g * width, from + (g + 1) * width, 0, bins[g][b],
                absl::StrCat(groups[g].first, ": ", bins[g][b], " calls from ",
                             SecondsLabel(from)));
    }
    chart.EndSeries();
  }
  return chart.Finish();
}

std::string CdfChart(const LoadedScenario& s, const ScenarioRun& run) {
  const auto groups = LatencyGroups(s, run);
  SvgChart chart("cdf",
                 "Latency CDF per backend (successful calls) and of all calls",
                 LatencyAxis(s, run, "latency (log scale)"),
                 {0, 1, false, "share of calls at or below", {}});
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].second.empty()) continue;
    chart.BeginSeries(groups[g].first,
                      g + 1 == groups.size() ? "#555" : BackendColor(g));
    chart.Line(CdfPoints(groups[g].second));
    chart.EndSeries();
  }
  return chart.Finish();
}


namespace {

// Per backend lane and window: 0 no attempt, 1 answered ones only, 2 some
// failed (refused, reset, timed out: logged 502/504 or nothing).
std::vector<std::vector<int>> AttemptCells(
    const ScenarioRun& run, const std::map<std::string, int>& lane_of,
    int lanes, double window) {
  std::vector<std::vector<int>> seen(lanes, std::vector<int>(kWindows, 0));
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    for (size_t i = 0; i < e.attempt_at.size() && i < e.upstream_addr.size();
         ++i) {
      auto lane = lane_of.find(e.upstream_addr[i]);
      if (lane == lane_of.end()) continue;
      const int w = std::min(kWindows - 1,
                             static_cast<int>(Sec(e.attempt_at[i]) / window));
      const int st = i < e.upstream_status.size() ? e.upstream_status[i] : 0;
      const bool failed = st == 502 || st == 504 || st == 0;
      seen[lane->second][w] = std::max(seen[lane->second][w], failed ? 2 : 1);
    }
  }
  return seen;
}

// The first attempt on a backend once its breaker window ended, or -1.
double ProbeAfter(const ScenarioRun& run, const BreakerWindow& w) {
  double first = -1;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    for (size_t i = 0; i < e.attempt_at.size() && i < e.upstream_addr.size();
         ++i) {
      if (e.upstream_addr[i] != w.address || e.attempt_at[i] < w.until) {
        continue;
      }
      const double t = Sec(e.attempt_at[i]);
      if (first < 0 || t < first) first = t;
    }
  }
  return first;
}

}  // namespace

std::string BalancerChart(const LoadedScenario& s, const ScenarioRun& run) {
  const double end = RunEndSeconds(s, run), window = end / kWindows;
  const int lanes = static_cast<int>(s.backends.size());
  SvgChart chart("balancer",
                 "The balancer's view per backend: attempts (a dot per window "
                 "with attempts), red bands: taken out for fail_timeout, "
                 "rings: the first probe after",
                 {0, end, false, "scenario time (s)", {}},
                 {0, static_cast<double>(lanes), false, "", {{}}},
                 std::max(140, 60 * lanes + 70));
  std::map<std::string, int> lane_of;
  for (int i = 0; i < lanes; ++i) {
    lane_of[s.backends[i].address] = i;
    chart.LaneLabel(i, lanes, s.backends[i].name);
  }
  std::vector<std::pair<int, double>> probes;  // lane, time
  for (const BreakerWindow& w : BreakerWindows(s, run.observed.balancer)) {
    auto lane = lane_of.find(w.address);
    if (lane == lane_of.end()) continue;
    chart.Span(Sec(w.from), std::min(end, Sec(w.until)), "open",
               absl::StrCat(w.address, " out from ", absl::FormatDuration(w.from),
                            " to ", absl::FormatDuration(w.until)),
               lane->second, lanes);
    const double probe = ProbeAfter(run, w);
    if (probe >= 0) probes.emplace_back(lane->second, probe);
  }
  const auto cells = AttemptCells(run, lane_of, lanes, window);
  auto lane_y = [&](int lane) { return lanes - lane - 0.5; };
  for (int kind : {1, 2}) {
    chart.BeginSeries(kind == 1 ? "attempts answered" : "attempts failed",
                      kind == 1 ? "#59a14f" : kFailedColor);
    for (int lane = 0; lane < lanes; ++lane) {
      for (int w = 0; w < kWindows; ++w) {
        if (cells[lane][w] != kind) continue;
        chart.Dot((w + 0.5) * window, lane_y(lane), 4,
                  absl::StrCat(s.backends[lane].name, " from ",
                               SecondsLabel(w * window)));
      }
    }
    chart.EndSeries();
  }
  chart.BeginSeries("probe after fail_timeout", "#333");
  for (const auto& [lane, t] : probes) {
    chart.Dot(t, lane_y(lane), 7, "probe at " + SecondsLabel(t));
  }
  chart.EndSeries();
  return chart.Finish();
}

std::string AttemptsChart(const ScenarioRun& run) {
  std::map<size_t, int64_t> count;  // attempts -> requests
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    ++count[e.attempt_at.size()];
  }
  if (count.empty()) return "";
  const size_t most = count.rbegin()->first;
  int64_t top = 1;
  for (const auto& [n, c] : count) top = std::max(top, c);
  std::vector<std::pair<double, std::string>> ticks;
  for (size_t n = 0; n <= most; ++n) ticks.emplace_back(n + 0.5, absl::StrCat(n));
  SvgChart chart("attempts", "Attempts nginx made per call (its access log)",
                 {0, most + 1.0, false, "attempts", std::move(ticks)},
                 {0, top * 1.1, false, "calls", {}}, 220);
  chart.BeginSeries("calls", "#4e79a7");
  for (size_t n = 0; n <= most; ++n) {
    chart.Bar(n + 0.1, n + 0.9, 0, count[n],
              absl::StrCat(count[n], " calls with ", n, " attempts"));
  }
  chart.EndSeries();
  return chart.Finish();
}

bool TouchesClocks(const LoadedScenario& s, const ScenarioRun& run) {
  for (const FaultWindow& f : run.windows) {
    if (f.kind.find("clock") != std::string::npos) return true;
  }
  for (const PropertySpec& p : s.properties) {
    if (p.kind == Property::kClockSpread) return true;
  }
  return false;
}

std::string ClockChart(const LoadedScenario& s, const ScenarioRun& run) {
  if (!TouchesClocks(s, run)) return "";
  // Each reply's stamp against the client's clock at the call's midpoint.
  std::vector<std::vector<std::pair<double, double>>> offsets(s.backends.size());
  double lo = -1e-3, hi = 1e-3;
  for (const ScenarioCall& c : run.observed.calls) {
    const int b = BackendIndex(s, c.record.server_id);
    if (!c.record.status.ok() || b < 0) continue;
    const double mid = absl::ToDoubleSeconds(
        c.record.started_wall - absl::UnixEpoch() + c.record.latency / 2);
    const double offset = c.record.server_time_unix_nanos / 1e9 - mid;
    offsets[b].emplace_back(Sec(c.record.started), offset);
    lo = std::min(lo, offset);
    hi = std::max(hi, offset);
  }
  const double pad = (hi - lo) * 0.1;
  SvgChart chart("clocks",
                 "Server clocks: each reply's time stamp minus the client's "
                 "clock at the call's midpoint",
                 {0, RunEndSeconds(s, run), false, "scenario time (s)", {}},
                 {lo - pad, hi + pad, false, "offset (s)", {}});
  FaultSpans(run, RunEndSeconds(s, run), chart);
  for (size_t b = 0; b < offsets.size(); ++b) {
    chart.BeginSeries(s.backends[b].name, BackendColor(b));
    const size_t step = std::max<size_t>(1, offsets[b].size() / 1000);
    for (size_t i = 0; i < offsets[b].size(); i += step) {
      chart.Dot(offsets[b][i].first, offsets[b][i].second, 2,
                absl::StrCat(s.backends[b].name, ": ",
                             SecondsLabel(offsets[b][i].second)));
    }
    chart.EndSeries();
  }
  return chart.Finish();
}

std::string CallsOverlayChart(const LoadedScenario& s, const ScenarioRun& live,
                              const ScenarioRun& simulated) {
  const double end =
      std::max(RunEndSeconds(s, live), RunEndSeconds(s, simulated));
  const Counts a = CountCalls(s, live, end), b = CountCalls(s, simulated, end);
  int64_t top = 1;
  for (const Counts* c : {&a, &b}) {
    for (const auto& backend : c->ok) {
      for (int64_t n : backend) top = std::max(top, n);
    }
    for (int64_t n : c->failed) top = std::max(top, n);
  }
  SvgChart chart("calls_compare",
                 absl::StrCat("Successful calls per backend and failed calls "
                              "per window of ", SecondsLabel(a.window),
                              ": live (solid) and simulated (dashed)"),
                 {0, end, false, "scenario time (s)", {}},
                 {0, top * 1.1, false, "calls started", {}});
  FaultSpans(live, end, chart);
  auto line = [&](const std::vector<int64_t>& counts) {
    std::vector<std::pair<double, double>> points;
    for (int w = 0; w < kWindows; ++w) {
      points.emplace_back((w + 0.5) * a.window, counts[w]);
    }
    return points;
  };
  for (size_t i = 0; i <= s.backends.size(); ++i) {
    const bool failed = i == s.backends.size();
    const std::string name = failed ? "failed" : s.backends[i].name;
    const char* color = failed ? kFailedColor : BackendColor(i);
    for (const Counts* c : {&a, &b}) {
      chart.BeginSeries(name + (c == &a ? " live" : " simulated"), color);
      chart.Line(line(failed ? c->failed : c->ok[i]), c == &b);
      chart.EndSeries();
    }
  }
  return chart.Finish();
}

std::string CdfOverlayChart(const LoadedScenario& s, const ScenarioRun& live,
                            const ScenarioRun& simulated) {
  const auto a = LatencyGroups(s, live), b = LatencyGroups(s, simulated);
  ScenarioRun both;
  both.observed.calls = live.observed.calls;
  both.observed.calls.insert(both.observed.calls.end(),
                             simulated.observed.calls.begin(),
                             simulated.observed.calls.end());
  SvgChart chart("cdf_compare",
                 "Latency CDF of all calls: live (solid) and simulated (dashed)",
                 LatencyAxis(s, both, "latency (log scale)"),
                 {0, 1, false, "share of calls at or below", {}});
  for (const auto* groups : {&a, &b}) {
    if (groups->back().second.empty()) continue;
    chart.BeginSeries(groups == &a ? "live" : "simulated",
                      groups == &a ? "#4e79a7" : "#f28e2b");
    chart.Line(CdfPoints(groups->back().second), groups == &b);
    chart.EndSeries();
  }
  return chart.Finish();
}

}  // namespace saludo::scenario
