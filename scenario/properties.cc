#include "scenario/properties.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "scenario/availability.h"

namespace saludo::scenario {
namespace {

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.3fms", absl::ToDoubleMilliseconds(d));
}

}  // namespace

std::string CallText(const ScenarioCall& c, const CheckInput& in) {
  return absl::StrCat(
      "call #", c.record.index + 1, " of ", c.client, " started at ",
      absl::FormatDuration(c.record.started), ": ",
      c.record.status.ok() ? absl::StrCat("servidor ", c.record.server_id)
                           : absl::StatusCodeToString(c.record.status.code()),
      " after ", Ms(c.record.latency), " (", in.run_label, ")");
}

namespace {

// ---- balanced_share -------------------------------------------------------

absl::Status ParseBalancedShare(const Validator& v, const FieldPath& at,
                                const Property& p, const LoadedScenario& s,
                                PropertySpec* out) {
  const BalancedShare& b = p.balanced_share();
  if (b.backends().empty()) {
    return v.Error(Sub(at, "backends"), "expected backend names");
  }
  for (const std::string& name : b.backends()) {
    const bool known = std::any_of(
        s.backends.begin(), s.backends.end(),
        [&](const LoadedScenario::Backend& k) { return k.name == name; });
    if (!known) {
      return v.Error(Sub(at, "backends"),
                     absl::StrCat("unknown backend \"", name, "\""));
    }
    out->backends.push_back(name);
  }
  if (!b.weights().empty() && b.weights_size() != b.backends_size()) {
    return v.Error(Sub(at, "weights"),
                   "expected one weight per backend (or none)");
  }
  for (int k = 0; k < b.backends_size(); ++k) {
    const double w = b.weights().empty() ? 1.0 : b.weights(k);
    if (!(w >= 0 && w <= 1e6)) {
      return v.Error(Sub(at, "weights"), "expected weights in [0, 1000000]");
    }
    out->weights.push_back(w);
  }
  if (*std::max_element(out->weights.begin(), out->weights.end()) == 0) {
    return v.Error(Sub(at, "weights"), "expected a positive weight");
  }
  if (!(b.tolerance() > 0 && b.tolerance() < 1)) {
    return v.Error(Sub(at, "tolerance"), "expected a share in (0, 1)");
  }
  out->tolerance = b.tolerance();
  if (auto st = v.Duration(Sub(at, "from"), b.from(), &out->from, false);
      !st.ok())
    return st;
  if (auto st = v.Duration(Sub(at, "until"), b.until(), &out->until, false,
                           s.duration);
      !st.ok())
    return st;
  if (out->from >= out->until) {
    return v.Error(Sub(at, "until"),
                   absl::StrCat("the window [", absl::FormatDuration(out->from),
                                ", ", absl::FormatDuration(out->until),
                                ") is empty: until must be after from"));
  }
  out->label =
      absl::StrCat("balanced share of ", absl::StrJoin(out->backends, ", "),
                   " within ", out->tolerance);
  return absl::OkStatus();
}

Verdict CheckBalancedShare(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  // Where each server id's backend is first listed in p.backends (npos:
  // not listed), so a call is counted without comparing names.
  auto listed_at = [&p](const std::string& name) {
    const auto it = std::find(p.backends.begin(), p.backends.end(), name);
    return it == p.backends.end()
               ? std::string::npos
               : static_cast<size_t>(it - p.backends.begin());
  };
  std::map<int, size_t> slot_of_id;
  for (const auto& b : in.scenario.backends) {
    slot_of_id[b.server_id] = listed_at(b.name);
  }
  std::vector<int64_t> counts(p.backends.size(), 0);
  int64_t total = 0;
  for (const ScenarioCall& c : in.observed.calls) {
    if (!c.record.status.ok()) continue;
    if (c.record.started < p.from || c.record.started >= p.until) continue;
    const auto it = slot_of_id.find(c.record.server_id);
    if (it == slot_of_id.end() || it->second == std::string::npos) continue;
    ++counts[it->second];
    ++total;
  }
  auto count = [&](const std::string& name) { return counts[listed_at(name)]; };
  double weight_sum = 0;
  for (double w : p.weights) weight_sum += w;
  std::vector<std::string> measured, bound;
  double worst = -1;
  for (size_t i = 0; i < p.backends.size(); ++i) {
    const double share =
        total == 0 ? 0 : static_cast<double>(count(p.backends[i])) / total;
    const double expected = p.weights[i] / weight_sum;
    measured.push_back(absl::StrFormat("%s %.3f (%d calls)", p.backends[i],
                                       share, count(p.backends[i])));
    bound.push_back(
        absl::StrFormat("%s %.3f±%.3f", p.backends[i], expected, p.tolerance));
    const double deviation = std::abs(share - expected);
    if (deviation > p.tolerance && deviation > worst) {
      worst = deviation;
      v.holds = false;
      v.first_violation = absl::StrFormat(
          "%s got %.3f of %d calls in [%s, %s), expected %.3f (%s)",
          p.backends[i], share, total, absl::FormatDuration(p.from),
          absl::FormatDuration(p.until), expected, in.run_label);
    }
  }
  if (total == 0) {
    v.holds = false;
    v.first_violation = "no calls to measure: no successful call in the window";
  }
  v.measured = absl::StrJoin(measured, ", ");
  v.bound = absl::StrJoin(bound, ", ");
  return v;
}

// ---- circuit_breaker ------------------------------------------------------

absl::Status ParseCircuitBreaker(const Validator&, const FieldPath&,
                                 const Property&, const LoadedScenario&,
                                 PropertySpec* out) {
  out->label = "circuit breaker: no calls inside fail_timeout after max_fails";
  return absl::OkStatus();
}

// One attempt's start or end on one backend.
struct AttemptEvent {
  absl::Duration at;
  int kind;  // 0 = failure ended, 1 = other end, 2 = start
};

// Per backend address, in time order.
std::map<std::string, std::vector<AttemptEvent>> AttemptEvents(
    const std::vector<sim::TwinLogEntry>& log) {
  std::map<std::string, std::vector<AttemptEvent>> events;
  for (const sim::TwinLogEntry& e : log) {
    for (size_t i = 0; i < e.upstream_addr.size() && i < e.attempt_at.size();
         ++i) {
      events[e.upstream_addr[i]].push_back({e.attempt_at[i], 2});
      if (i < e.attempt_end.size()) {
        const int st = i < e.upstream_status.size() ? e.upstream_status[i] : 0;
        events[e.upstream_addr[i]].push_back(
            {e.attempt_end[i], st == 502 || st == 504 ? 0 : 1});
      }
    }
  }
  for (auto& [address, list] : events) {
    std::stable_sort(list.begin(), list.end(),
                     [](const AttemptEvent& a, const AttemptEvent& b) {
                       return a.at != b.at ? a.at < b.at : a.kind < b.kind;
                     });
  }
  return events;
}

// A breaker opens when the max_fails-th failure in a row ends; no attempt may
// start while it is open (fail_timeout). Conservative: nginx's counter is
// not reset by every success, so it may open more often than this assumes.
std::vector<BreakerWindow> PeerWindows(const nginx::UpstreamPeer& peer,
                                       const std::vector<AttemptEvent>& events) {
  std::vector<BreakerWindow> windows;
  int failures_in_a_row = 0;
  for (const AttemptEvent& e : events) {
    if (e.kind == 2) continue;
    failures_in_a_row = e.kind == 0 ? failures_in_a_row + 1 : 0;
    if (failures_in_a_row >= peer.max_fails) {
      windows.push_back({peer.address, e.at, e.at + peer.fail_timeout});
      failures_in_a_row = 0;
    }
  }
  return windows;
}

// The peers whose breaker nginx keeps (max_fails > 0, not alone).
template <class Fn>
void ForEachBreakerPeer(const LoadedScenario& s, Fn fn) {
  for (const auto& [name, up] : s.nginx.upstreams) {
    for (const nginx::UpstreamPeer& peer : up.peers) {
      if (peer.max_fails == 0 || up.peers.size() == 1) continue;
      fn(peer);
    }
  }
}

Verdict CheckCircuitBreaker(const PropertySpec&, const CheckInput& in) {
  Verdict v;
  auto events = AttemptEvents(in.observed.balancer);
  int64_t opened = 0, violations = 0;
  ForEachBreakerPeer(in.scenario, [&](const nginx::UpstreamPeer& peer) {
    const std::vector<AttemptEvent>& list = events[peer.address];
    const std::vector<BreakerWindow> windows = PeerWindows(peer, list);
    opened += windows.size();
    size_t next = 0;  // the first window not opened yet
    for (const AttemptEvent& e : list) {
      if (e.kind != 2) continue;
      // Failures end before starts at the same time (AttemptEvents' order).
      while (next < windows.size() && windows[next].from <= e.at) ++next;
      if (next == 0) continue;
      const BreakerWindow& w = windows[next - 1];
      // Times known to +-`fuzz` (live logs): only a start clearly inside.
      const absl::Duration fuzz = 2 * in.observed.attempt_time_resolution;
      if (e.at > w.from + fuzz && e.at < w.until - fuzz && violations++ == 0) {
        v.first_at = e.at;
        v.first_violation = absl::StrCat(
            "nginx sent a call to ", peer.address, " at ",
            absl::FormatDuration(e.at), ", inside its fail_timeout (",
            absl::FormatDuration(w.from), " to ", absl::FormatDuration(w.until),
            ") (", in.run_label, ")");
      }
    }
  });
  v.holds = violations == 0;
  v.measured = absl::StrCat(violations, " calls inside an open breaker (",
                            opened, " openings)");
  v.bound = "0";
  return v;
}

}  // namespace

std::vector<BreakerWindow> BreakerWindows(
    const LoadedScenario& s, const std::vector<sim::TwinLogEntry>& log) {
  auto events = AttemptEvents(log);
  std::vector<BreakerWindow> all;
  ForEachBreakerPeer(s, [&](const nginx::UpstreamPeer& peer) {
    for (const BreakerWindow& w : PeerWindows(peer, events[peer.address])) {
      all.push_back(w);
    }
  });
  return all;
}

namespace {

// ---- success_rate ---------------------------------------------------------

absl::Status ParseSuccessRate(const Validator& v, const FieldPath& at,
                              const Property& p, const LoadedScenario& s,
                              PropertySpec* out) {
  if (!(p.success_rate().at_least() > 0 && p.success_rate().at_least() <= 1)) {
    return v.Error(Sub(at, "at_least"), "expected a rate in (0, 1]");
  }
  out->at_least = p.success_rate().at_least();
  out->client = p.success_rate().client();
  const bool known =
      out->client.empty() || std::any_of(s.clients.begin(), s.clients.end(),
                                         [&](const LoadedScenario::Client& c) {
                                           return c.name == out->client;
                                         });
  if (!known) {
    return v.Error(Sub(at, "client"),
                   absl::StrCat("unknown client \"", out->client, "\""));
  }
  out->label = absl::StrCat("success rate >= ", out->at_least);
  return absl::OkStatus();
}

Verdict CheckSuccessRate(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  int64_t ok = 0, total = 0;
  const ScenarioCall* first_failure = nullptr;
  for (const ScenarioCall& c : in.observed.calls) {
    if (!p.client.empty() && c.client != p.client) continue;
    ++total;
    if (c.record.status.ok()) {
      ++ok;
    } else if (first_failure == nullptr) {
      first_failure = &c;
    }
  }
  const double rate = total == 0 ? 0 : static_cast<double>(ok) / total;
  v.holds = total > 0 && rate >= p.at_least;
  v.measured = absl::StrFormat("%.4f (%d of %d)", rate, ok, total);
  v.bound = absl::StrFormat(">= %.4f", p.at_least);
  if (!v.holds) {
    v.first_violation = first_failure != nullptr
                            ? "first failed: " + CallText(*first_failure, in)
                            : "no calls to measure";
    if (first_failure != nullptr) v.first_at = first_failure->record.started;
  }
  return v;
}

// ---- latency --------------------------------------------------------------

absl::Status ParseLatencyBound(const Validator& v, const FieldPath& at,
                               const Property& p, const LoadedScenario&,
                               PropertySpec* out) {
  if (!(p.latency().percentile() > 0 && p.latency().percentile() <= 100)) {
    return v.Error(Sub(at, "percentile"), "expected a percentile in (0, 100]");
  }
  out->percentile = p.latency().percentile();
  if (auto st = v.Duration(Sub(at, "at_most"), p.latency().at_most(),
                           &out->at_most, true);
      !st.ok())
    return st;
  out->successful_only = p.latency().successful_only();
  out->label = absl::StrCat("latency p", out->percentile,
                            " <= ", absl::FormatDuration(out->at_most));
  return absl::OkStatus();
}

Verdict CheckLatencyBound(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  std::vector<absl::Duration> latencies;
  const ScenarioCall* first_slow = nullptr;
  for (const ScenarioCall& c : in.observed.calls) {
    if (p.successful_only && !c.record.status.ok()) continue;
    latencies.push_back(c.record.latency);
    if (c.record.latency > p.at_most && first_slow == nullptr) first_slow = &c;
  }
  absl::Duration measured = absl::ZeroDuration();
  if (!latencies.empty()) {
    const size_t rank =
        static_cast<size_t>(std::ceil(p.percentile / 100 * latencies.size()));
    // The element a sort would put at that rank, without sorting them all.
    auto nth = latencies.begin() + (std::max<size_t>(rank, 1) - 1);
    std::nth_element(latencies.begin(), nth, latencies.end());
    measured = *nth;
  }
  v.holds = !latencies.empty() && measured <= p.at_most;
  v.measured = absl::StrCat("p", p.percentile, " = ", Ms(measured), " over ",
                            latencies.size(), " calls");
  v.bound = absl::StrCat("<= ", Ms(p.at_most));
  if (!v.holds && first_slow != nullptr) {
    v.first_violation = "first over the bound: " + CallText(*first_slow, in);
    v.first_at = first_slow->record.started;
  }
  if (latencies.empty()) {
    v.first_violation = p.successful_only
                            ? "no calls to measure: no call succeeded"
                            : "no calls to measure";
  }
  return v;
}

// ---- deadlines ------------------------------------------------------------

absl::Status ParseDeadlines(const Validator& v, const FieldPath& at,
                            const Property& p, const LoadedScenario&,
                            PropertySpec* out) {
  if (auto st = v.Duration(Sub(at, "slack"), p.deadlines().slack(), &out->slack,
                           false, absl::Milliseconds(1));
      !st.ok())
    return st;
  out->label = "every call completes by its deadline";
  return absl::OkStatus();
}

Verdict CheckDeadlines(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  int64_t late = 0;
  absl::Duration worst = -absl::InfiniteDuration();
  for (const ScenarioCall& c : in.observed.calls) {
    const absl::Duration over = c.record.latency - c.deadline;
    worst = std::max(worst, over);
    if (over > p.slack && late++ == 0) {
      v.first_violation = "first late: " + CallText(c, in);
      v.first_at = c.record.started;
    }
  }
  v.holds = late == 0 && !in.observed.calls.empty();
  if (in.observed.calls.empty()) v.first_violation = "no calls to measure";
  v.measured = absl::StrCat(late, " calls late; latest completion ",
                            in.observed.calls.empty() ? "-" : Ms(worst),
                            " relative to its deadline");
  v.bound = absl::StrCat("<= deadline + ", Ms(p.slack));
  return v;
}

// ---- clock_spread ---------------------------------------------------------

absl::Status ParseClockSpread(const Validator& v, const FieldPath& at,
                              const Property& p, const LoadedScenario&,
                              PropertySpec* out) {
  if (auto st = v.Duration(Sub(at, "at_most"), p.clock_spread().at_most(),
                           &out->at_most, true);
      !st.ok())
    return st;
  out->label = absl::StrCat("server clock spread <= ",
                            absl::FormatDuration(out->at_most));
  return absl::OkStatus();
}

// Each reply estimates its server's offset (Cristian): server time minus the
// client's clock at the middle of the round trip; per server, the median.
Verdict CheckClockSpread(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  std::map<int, std::vector<int64_t>> offsets;
  for (const ScenarioCall& c : in.observed.calls) {
    if (!c.record.status.ok()) continue;
    const absl::Time middle = c.record.started_wall + c.record.latency / 2;
    offsets[c.record.server_id].push_back(c.record.server_time_unix_nanos -
                                          absl::ToUnixNanos(middle));
  }
  std::vector<std::string> parts;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (auto& [id, list] : offsets) {
    std::sort(list.begin(), list.end());
    const int64_t median = list[list.size() / 2];
    lo = std::min(lo, median);
    hi = std::max(hi, median);
    parts.push_back(
        absl::StrCat("servidor ", id, " ", Ms(absl::Nanoseconds(median))));
  }
  const absl::Duration spread =
      offsets.empty() ? absl::ZeroDuration() : absl::Nanoseconds(hi - lo);
  v.holds = !offsets.empty() && spread <= p.at_most;
  v.measured =
      absl::StrCat("spread ", Ms(spread),
                   " (median offsets: ", absl::StrJoin(parts, ", "), ")");
  v.bound = absl::StrCat("<= ", Ms(p.at_most));
  if (!v.holds) {
    v.first_violation = offsets.empty()
                            ? "no calls to measure: no call succeeded"
                            : in.run_label;
  }
  return v;
}

const std::vector<PropertyKind>& Table() {
  static const std::vector<PropertyKind> kinds = {
      {Property::kBalancedShare, "balanced_share", kCallRecords,
       ParseBalancedShare, CheckBalancedShare},
      {Property::kCircuitBreaker, "circuit_breaker",
       kBalancerLog | kAttemptTimes, ParseCircuitBreaker, CheckCircuitBreaker},
      {Property::kSuccessRate, "success_rate", kCallRecords, ParseSuccessRate,
       CheckSuccessRate},
      {Property::kLatency, "latency", kCallRecords, ParseLatencyBound,
       CheckLatencyBound},
      {Property::kDeadlines, "deadlines", kCallRecords, ParseDeadlines,
       CheckDeadlines},
      {Property::kClockSpread, "clock_spread", kCallRecords | kServerClocks,
       ParseClockSpread, CheckClockSpread},
      {Property::kAvailability, "availability", kCallRecords,
       ParseAvailability, CheckAvailability},
      {Property::kAttempts, "attempts", kBalancerLog, ParseAttempts,
       CheckAttempts},
  };
  return kinds;
}

}  // namespace

const std::vector<PropertyKind>& PropertyKinds() { return Table(); }

const PropertyKind& PropertyKindOf(Property::KindCase kind) {
  for (const PropertyKind& k : Table()) {
    if (k.kind == kind) return k;
  }
  SALUDO_CHECK(false && "property kind missing from the table");
  return Table().front();
}

absl::Status LoadProperties(const Validator& v, LoadedScenario* out) {
  for (int i = 0; i < out->proto.properties_size(); ++i) {
    const Property& p = out->proto.properties(i);
    const FieldPath at = {{"properties", i}};
    if (p.kind_case() == Property::KIND_NOT_SET) {
      std::vector<std::string> names;
      for (const PropertyKind& k : Table()) names.push_back(k.name);
      return v.Error(at, "expected one of " + absl::StrJoin(names, ", "));
    }
    const PropertyKind& kind = PropertyKindOf(p.kind_case());
    PropertySpec spec;
    spec.kind = p.kind_case();
    if (auto st = kind.parse(v, Sub(at, kind.name), p, *out, &spec); !st.ok())
      return st;
    out->properties.push_back(spec);
  }
  return absl::OkStatus();
}

std::vector<Verdict> CheckProperties(
    const CheckInput& in, uint32_t evidence,
    const std::function<std::string(uint32_t)>& why_missing) {
  std::vector<Verdict> verdicts;
  for (const PropertySpec& p : in.scenario.properties) {
    const PropertyKind& kind = PropertyKindOf(p.kind);
    Verdict v;
    if (const uint32_t missing = kind.needs & ~evidence; missing != 0) {
      v.skipped = true;
      v.measured = "not checked: " + why_missing(missing);
    } else {
      v = kind.check(p, in);
    }
    v.kind = p.kind;
    v.property = p.label;
    verdicts.push_back(std::move(v));
  }
  return verdicts;
}

}  // namespace saludo::scenario
