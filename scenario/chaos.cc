#include "scenario/chaos.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/random.h"
#include "scenario/faults.h"
#include "sim/distribution.h"

namespace saludo::scenario {
namespace {

using absl::FormatDuration;

constexpr double kMaxPerMinute = 600;  // ten a second: more is a typo

// The kinds a seed may draw, and whether each lasts a drawn time.
bool Drawable(Fault::KindCase kind) {
  return kind != Fault::kRestart && kind != Fault::kClearFaults &&
         kind != Fault::KIND_NOT_SET;
}

// Nodes named in `names` (all backends if empty), checked to exist.
absl::Status Nodes(const Validator& v, const FieldPath& at,
                   const google::protobuf::RepeatedPtrField<std::string>& names,
                   const LoadedScenario& s, bool backends_only,
                   std::vector<std::string>* out) {
  std::set<std::string> backends, all = {kNginxNode};
  for (const auto& b : s.backends) {
    backends.insert(b.name);
    all.insert(b.name);
  }
  for (const auto& c : s.clients) all.insert(c.name);
  if (names.empty()) {
    for (const auto& b : s.backends) out->push_back(b.name);
    return absl::OkStatus();
  }
  const std::set<std::string>& allowed = backends_only ? backends : all;
  for (const std::string& n : names) {
    if (!allowed.count(n)) {
      return v.Error(at, absl::StrCat("unknown ",
                                      backends_only ? "backend" : "node", " \"",
                                      n, "\": expected one of ",
                                      absl::StrJoin(allowed, ", ")));
    }
    out->push_back(n);
  }
  return absl::OkStatus();
}

absl::Status Rate(const Validator& v, const FieldPath& at, double per_minute,
                  double* out) {
  if (!(per_minute > 0 && per_minute <= kMaxPerMinute)) {
    return v.Error(at, "per_minute must be in (0, 600]");
  }
  *out = per_minute;
  return absl::OkStatus();
}

// The kind's own fields, checked as in `faults` (a length is the drawn
// duration, not a field).
absl::Status ParseKind(const Validator& v, const FieldPath& at,
                       const Fault& fault, ScenarioFault* parsed) {
  const Fault::KindCase k = fault.kind_case();
  if (!Drawable(k)) {
    std::vector<std::string> names;
    for (const FaultKind& kind : FaultKinds()) {
      if (Drawable(kind.kind)) names.push_back(kind.name);
    }
    return v.Error(at, "expected one of " + absl::StrJoin(names, ", "));
  }
  Fault check = fault;
  if (std::string* d = MutableDurationField(&check)) *d = "0s";
  const FaultKind& table = FaultKindOf(k);
  parsed->kind = k;
  return table.parse(v, Sub(at, table.name), check, parsed);
}

absl::Status LoadKind(const Validator& v, int i, const ChaosFault& f,
                      LoadedScenario* out) {
  const FieldPath at = {{"chaos", -1}, {"faults", i}};
  ChaosSpec::Kind kind;
  kind.fault = f.fault();
  const Fault::KindCase k = f.fault().kind_case();
  ScenarioFault parsed;
  if (auto st = ParseKind(v, Sub(at, "fault"), f.fault(), &parsed); !st.ok()) {
    return st;
  }
  if (auto st = Rate(v, Sub(at, "per_minute"), f.per_minute(),
                     &kind.per_minute);
      !st.ok()) {
    return st;
  }
  if (k != Fault::kClockJump) {
    if (!f.has_duration()) {
      return v.Error(Sub(at, "duration"), "missing: how long each one lasts");
    }
    if (auto st = ParseLatency(v, Sub(at, "duration"), f.duration(),
                               &kind.duration);
        !st.ok()) {
      return st;
    }
  }
  const bool backends_only = FaultKindOf(k).backends_only;
  if (auto st = Nodes(v, Sub(at, "nodes"), f.nodes(), *out, backends_only,
                      &kind.nodes);
      !st.ok()) {
    return st;
  }
  for (const std::string& node : kind.nodes) {
    if (auto st = CheckFaultNode(v, Sub(at, "nodes"), Sub(at, "nodes"), parsed,
                                 node, *out);
        !st.ok()) {
      return st;
    }
  }
  out->chaos.faults.push_back(kind);
  return absl::OkStatus();
}

absl::Status LoadCut(const Validator& v, int i, const ChaosPartition& p,
                     LoadedScenario* out) {
  const FieldPath at = {{"chaos", -1}, {"partitions", i}};
  ChaosSpec::Cut cut;
  cut.one_way = p.one_way();
  if (auto st = Rate(v, Sub(at, "per_minute"), p.per_minute(),
                     &cut.per_minute);
      !st.ok()) {
    return st;
  }
  if (!p.has_duration()) {
    return v.Error(Sub(at, "duration"), "missing: how long each one lasts");
  }
  if (auto st = ParseLatency(v, Sub(at, "duration"), p.duration(),
                             &cut.duration);
      !st.ok()) {
    return st;
  }
  if (auto st = Nodes(v, Sub(at, "backends"), p.backends(), *out, true,
                      &cut.backends);
      !st.ok()) {
    return st;
  }
  out->chaos.partitions.push_back(cut);
  return absl::OkStatus();
}

}  // namespace

absl::Status LoadChaos(const Validator& v, LoadedScenario* out) {
  if (!out->proto.has_chaos()) return absl::OkStatus();
  const Chaos& c = out->proto.chaos();
  const FieldPath at = {{"chaos", -1}};
  for (int i = 0; i < c.faults_size(); ++i) {
    if (auto st = LoadKind(v, i, c.faults(i), out); !st.ok()) return st;
  }
  for (int i = 0; i < c.partitions_size(); ++i) {
    if (auto st = LoadCut(v, i, c.partitions(i), out); !st.ok()) return st;
  }
  if (out->chaos.empty()) {
    return v.Error(at, "expected at least one of faults, partitions");
  }
  if (c.max_down() < 0 || c.max_down() > 10000) {
    return v.Error(Sub(at, "max_down"), "expected a number in [0, 10000]");
  }
  out->chaos.max_down = c.max_down();
  out->chaos.swarm = c.swarm();
  if (auto st = v.Duration(Sub(at, "start"), c.start(), &out->chaos.start,
                           false);
      !st.ok()) {
    return st;
  }
  if (auto st = v.Duration(Sub(at, "end"), c.end(), &out->chaos.end, false,
                           out->duration);
      !st.ok()) {
    return st;
  }
  if (out->chaos.start >= out->chaos.end || out->chaos.end > out->duration) {
    return v.Error(Sub(at, "end"),
                   absl::StrCat("expected start < end <= the duration (",
                                FormatDuration(out->duration), ")"));
  }
  return absl::OkStatus();
}

namespace {

constexpr size_t kMaxDrawnEvents = 10000;

// One drawn event: source `source` (kinds, then partitions) at `at` on `node`
// for `length`.
struct Event {
  absl::Duration at;
  size_t source;
  std::string node;
  absl::Duration length;
};

absl::Duration Seconds(double s) {
  return absl::Nanoseconds(std::llround(std::min(s, 9.2e9) * 1e9));
}

// The sources this seed enables: all, or a random half (at least one).
std::vector<bool> Enabled(const ChaosSpec& c, runtime::Random& r) {
  const size_t n = c.faults.size() + c.partitions.size();
  std::vector<bool> on(n, true);
  if (!c.swarm) return on;
  bool any = false;
  for (size_t i = 0; i < n; ++i) any |= (on[i] = r.Bernoulli(0.5));
  if (!any) on[r.NextBelow(n)] = true;
  return on;
}

// Poisson arrivals of every enabled source in [start, end), by time.
std::vector<Event> Arrivals(const ChaosSpec& c, runtime::Random& r) {
  const std::vector<bool> on = Enabled(c, r);
  std::vector<Event> events;
  for (size_t i = 0; i < on.size(); ++i) {
    if (!on[i]) continue;
    const bool fault = i < c.faults.size();
    const double per_minute = fault ? c.faults[i].per_minute
                                    : c.partitions[i - c.faults.size()].per_minute;
    const auto& nodes = fault ? c.faults[i].nodes
                              : c.partitions[i - c.faults.size()].backends;
    const sim::Distribution& length =
        fault ? c.faults[i].duration : c.partitions[i - c.faults.size()].duration;
    absl::Duration t = c.start;
    while (events.size() < kMaxDrawnEvents) {
      t += Seconds(sim::StandardExponential(r) * 60 / per_minute);
      if (t >= c.end) break;
      const std::string& node = nodes[r.NextBelow(nodes.size())];
      events.push_back({t, i, node,
                        std::min(length.Sample(r), absl::Hours(24))});
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) {
                     return a.at != b.at ? a.at < b.at : a.source < b.source;
                   });
  return events;
}

// Adds `templ` (a Fault of the chaos section) to `out` at `at` on `node`.
Fault* AddFault(const Fault& templ, absl::Duration at, const std::string& node,
                Scenario* out) {
  Fault* f = out->add_faults();
  *f = templ;
  f->set_at(FormatDuration(at));
  f->set_node(node);
  return f;
}

// The fault that undoes `kind` after its time, or KIND_NOT_SET.
Fault Undo(Fault::KindCase kind) {
  Fault undo;
  switch (kind) {
    case Fault::kCrash:
    case Fault::kCrashOnCall:
      undo.mutable_restart();
      break;
    case Fault::kSlow:
    case Fault::kErrors:
      undo.mutable_clear_faults();
      break;
    case Fault::kClockOffset:
      undo.mutable_clock_offset()->set_by("0s");
      break;
    case Fault::kClockDrift:
      undo.mutable_clock_drift()->set_ppm(0);
      break;
    default:
      break;
  }
  return undo;
}

// Puts one drawn fault (and what undoes it) into `out`; its words in `what`.
void Materialize(const ChaosSpec::Kind& k, const Event& e,
                 absl::Duration duration, Scenario* out,
                 std::vector<std::string>* what) {
  const Fault::KindCase kind = k.fault.kind_case();
  Fault* f = AddFault(k.fault, e.at, e.node, out);
  if (std::string* d = MutableDurationField(f)) *d = FormatDuration(e.length);
  std::string text = FormatDuration(e.at) + " " + e.node + ": " +
                     FaultKindOf(kind).name;
  const Fault undo = Undo(kind);
  if (kind != Fault::kClockJump) {
    absl::StrAppend(&text, " for ", FormatDuration(e.length));
  }
  if (undo.kind_case() != Fault::KIND_NOT_SET && e.at + e.length <= duration) {
    AddFault(undo, e.at + e.length, e.node, out);
  }
  what->push_back(text);
}

}  // namespace

DrawnTimeline DrawChaos(const LoadedScenario& s, uint64_t seed) {
  DrawnTimeline drawn;
  drawn.proto = s.proto;
  drawn.proto.clear_chaos();
  if (s.chaos.empty()) return drawn;
  runtime::Random r = runtime::Random::ForComponent(seed, "chaos");
  const std::vector<Event> events = Arrivals(s.chaos, r);
  std::map<std::string, absl::Duration> busy_until;  // crashed or paused
  std::map<std::string, absl::Duration> down_until;  // ... or hung
  const size_t kinds = s.chaos.faults.size();
  for (const Event& e : events) {
    if (e.source >= kinds) {
      const ChaosSpec::Cut& cut = s.chaos.partitions[e.source - kinds];
      Partition* p = drawn.proto.mutable_network()->add_partitions();
      p->set_a(kNginxNode);
      p->set_b(e.node);
      p->set_start(FormatDuration(e.at));
      p->set_duration(FormatDuration(std::max(e.length, absl::Nanoseconds(1))));
      p->set_one_way(cut.one_way);
      drawn.what.push_back(absl::StrCat(
          FormatDuration(e.at), " ", cut.one_way ? "one-way " : "",
          "partition nginx / ", e.node, " for ", FormatDuration(e.length)));
      continue;
    }
    const ChaosSpec::Kind& k = s.chaos.faults[e.source];
    const Fault::KindCase kind = k.fault.kind_case();
    if (busy_until[e.node] > e.at) continue;  // down or paused: skip
    const bool crashes = kind == Fault::kCrash || kind == Fault::kCrashOnCall;
    const bool downs = crashes || kind == Fault::kPause || kind == Fault::kHang;
    if (downs && s.chaos.max_down > 0) {
      int others = 0;
      for (const auto& [node, until] : down_until) {
        others += node != e.node && until > e.at;
      }
      if (others >= s.chaos.max_down) continue;  // keep enough healthy
    }
    if (downs) down_until[e.node] = e.at + e.length;
    if (crashes || kind == Fault::kPause) busy_until[e.node] = e.at + e.length;
    Materialize(k, e, s.duration, &drawn.proto, &drawn.what);
  }
  return drawn;
}

}  // namespace saludo::scenario
