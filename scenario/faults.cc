#include "scenario/faults.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "scenario/services.h"
#include "services/fault_state.h"

namespace saludo::scenario {
namespace {

using absl::FormatDuration;

absl::Status NoFields(const Validator&, const FieldPath&, const Fault&,
                      ScenarioFault*) {
  return absl::OkStatus();
}

// A duration a service or node holds for, bounded like the control service
// bounds it (services::kMaxFaultDuration).
absl::Status Bounded(const Validator& v, const FieldPath& at,
                     const std::string& text, absl::Duration* out) {
  if (auto s = v.Duration(at, text, out, true); !s.ok()) return s;
  if (*out > services::kMaxFaultDuration) {
    return v.Error(at, absl::StrCat("at most ",
                                    FormatDuration(services::kMaxFaultDuration),
                                    ", got ", text));
  }
  return absl::OkStatus();
}

// Clock shifts within a year, as the control service accepts them.
absl::Status Shift(const Validator& v, const FieldPath& at,
                   const std::string& text, absl::Duration* out) {
  if (auto s = v.SignedDuration(at, text, out); !s.ok()) return s;
  if (absl::AbsDuration(*out) > absl::Hours(24 * 366)) {
    return v.Error(
        at, absl::StrCat("expected at most a year either way, got ", text));
  }
  return absl::OkStatus();
}

// A link fault's own fields (the peer is checked against the nodes later).
absl::Status ParseLink(const Validator& v, const FieldPath& at,
                       const LinkFault& l, bool spike, ScenarioFault* out) {
  out->peer = l.peer().empty() ? kNginxNode : l.peer();
  out->one_way = l.one_way();
  if (auto st = Bounded(v, Sub(at, "duration"), l.duration(), &out->duration);
      !st.ok()) {
    return st;
  }
  if (spike) {
    if (!l.has_latency()) {
      return v.Error(Sub(at, "latency"), "missing: the latency meanwhile");
    }
    return ParseLatency(v, Sub(at, "latency"), l.latency(), &out->latency);
  }
  if (!(l.loss() > 0 && l.loss() <= 1)) {
    return v.Error(Sub(at, "loss"), "expected a probability in (0, 1]");
  }
  out->loss = l.loss();
  return absl::OkStatus();
}

std::string LinkWords(const ScenarioFault& f) {
  return absl::StrCat(f.one_way ? " to " : " with ", f.peer, " for ",
                      FormatDuration(f.duration));
}

// The table. Captureless lambdas are plain functions: the array is
// initialised before any code runs.
const FaultKind kKinds[] = {
    {Fault::kCrash, "crash", false, Health::kRefuses, Lasts::kUntilRestart,
     NoFields,
     [](const ScenarioFault&) { return std::string("crash"); },
     [](const ScenarioFault& f, Target& t) { return t.Crash(f.node, f.at); }},
    {Fault::kRestart, "restart", false, Health::kUnaffected, Lasts::kNothing,
     NoFields,
     [](const ScenarioFault&) { return std::string("restart"); },
     [](const ScenarioFault& f, Target& t) {
       return t.Restart(f.node, f.at);
     }},
    {Fault::kPause, "pause", false, Health::kLosesSent, Lasts::kDuration,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return Bounded(v, Sub(at, "duration"), p.pause().duration(),
                      &out->duration);
     },
     [](const ScenarioFault& f) {
       return "pause " + FormatDuration(f.duration);
     },
     [](const ScenarioFault& f, Target& t) {
       return t.Pause(f.node, f.at, f.duration);
     }},
    {Fault::kHang, "hang", true, Health::kLosesSent, Lasts::kDuration,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return Bounded(v, Sub(at, "duration"), p.hang().duration(),
                      &out->duration);
     },
     [](const ScenarioFault& f) {
       return "hang " + FormatDuration(f.duration);
     },
     [](const ScenarioFault& f, Target& t) {
       return t.Hang(f.node, f.at, f.duration);
     }},
    {Fault::kSlow, "slow", true, Health::kLosesSent, Lasts::kUntilCleared,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return Bounded(v, Sub(at, "delay"), p.slow().delay(), &out->delay);
     },
     [](const ScenarioFault& f) { return "slow " + FormatDuration(f.delay); },
     [](const ScenarioFault& f, Target& t) {
       return t.Slow(f.node, f.at, f.delay);
     }},
    {Fault::kErrors, "errors", true, Health::kAnswers, Lasts::kUntilCleared,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       if (!ParseStatusCode(p.errors().code(), &out->code)) {
         return v.Error(at, absl::StrCat("code \"", p.errors().code(),
                                         "\": expected a gRPC status name "
                                         "such as UNAVAILABLE or INTERNAL"));
       }
       if (!(p.errors().rate() > 0 && p.errors().rate() <= 1)) {
         return v.Error(at, "rate must be in (0, 1]");
       }
       out->rate = p.errors().rate();
       return absl::OkStatus();
     },
     [](const ScenarioFault& f) {
       return absl::StrCat("errors ", absl::StatusCodeToString(f.code),
                           " rate ", f.rate);
     },
     [](const ScenarioFault& f, Target& t) {
       return t.Errors(f.node, f.at, f.code, f.rate);
     }},
    {Fault::kClockOffset, "clock_offset", false, Health::kUnaffected,
     Lasts::kUntilNext,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return Shift(v, at, p.clock_offset().by(), &out->shift);
     },
     [](const ScenarioFault& f) {
       return "clock offset " + FormatDuration(f.shift);
     },
     [](const ScenarioFault& f, Target& t) {
       return t.ClockOffset(f.node, f.at, f.shift);
     }},
    {Fault::kClockDrift, "clock_drift", false, Health::kUnaffected,
     Lasts::kUntilNext,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       if (!(p.clock_drift().ppm() > -1e6 && p.clock_drift().ppm() <= 1e6)) {
         return v.Error(at, "ppm must be in (-1000000, 1000000]");
       }
       out->ppm = p.clock_drift().ppm();
       return absl::OkStatus();
     },
     [](const ScenarioFault& f) {
       return absl::StrCat("clock drift ", f.ppm, " ppm");
     },
     [](const ScenarioFault& f, Target& t) {
       return t.ClockDrift(f.node, f.at,
                           static_cast<int64_t>(std::llround(f.ppm * 1000)));
     }},
    {Fault::kClockJump, "clock_jump", false, Health::kUnaffected,
     Lasts::kOneSecond,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return Shift(v, at, p.clock_jump().by(), &out->shift);
     },
     [](const ScenarioFault& f) {
       return "clock jump " + FormatDuration(f.shift);
     },
     [](const ScenarioFault& f, Target& t) {
       return t.ClockJump(f.node, f.at, f.shift);
     }},
    {Fault::kClearFaults, "clear_faults", true, Health::kUnaffected,
     Lasts::kNothing, NoFields,
     [](const ScenarioFault&) { return std::string("clear faults"); },
     [](const ScenarioFault& f, Target& t) {
       return t.ClearFaults(f.node, f.at);
     }},
    {Fault::kCrashOnCall, "crash_on_call", true, Health::kLosesSent,
     Lasts::kUntilRestart, NoFields,
     [](const ScenarioFault&) { return std::string("crash on its next call"); },
     [](const ScenarioFault& f, Target& t) {
       return t.CrashOnCall(f.node, f.at);
     }},
    {Fault::kLatencySpike, "latency_spike", false, Health::kLosesSent,
     Lasts::kDuration,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return ParseLink(v, at, p.latency_spike(), true, out);
     },
     [](const ScenarioFault& f) {
       return "latency spike " + f.latency.ToString() + LinkWords(f);
     },
     [](const ScenarioFault& f, Target& t) {
       Target::LinkChange change;
       change.latency = f.latency;
       return t.ChangeLink(f.node, f.peer, f.at, f.duration, change,
                           f.one_way);
     }},
    {Fault::kLossBurst, "loss_burst", false, Health::kLosesSent,
     Lasts::kDuration,
     [](const Validator& v, const FieldPath& at, const Fault& p,
        ScenarioFault* out) {
       return ParseLink(v, at, p.loss_burst(), false, out);
     },
     [](const ScenarioFault& f) {
       return absl::StrCat("loss burst ", f.loss, LinkWords(f));
     },
     [](const ScenarioFault& f, Target& t) {
       Target::LinkChange change;
       change.loss = f.loss;
       return t.ChangeLink(f.node, f.peer, f.at, f.duration, change,
                           f.one_way);
     }},
};


std::string KindNames(bool backends_only) {
  std::vector<std::string> names;
  for (const FaultKind& k : kKinds) {
    if (!backends_only || k.backends_only) names.push_back(k.name);
  }
  return absl::StrJoin(names, ", ");
}

// Reads faults[i] (not yet checked against the rest of the timeline).
absl::Status LoadFault(const Validator& v, int i,
                       const std::set<std::string>& nodes,
                       LoadedScenario* out) {
  const Fault& f = out->proto.faults(i);
  const FieldPath at = {{"faults", i}};
  ScenarioFault fault;
  fault.node = f.node();
  fault.kind = f.kind_case();
  if (auto st = v.Duration(Sub(at, "at"), f.at(), &fault.at, true); !st.ok())
    return st;
  if (fault.at > out->duration) {
    return v.Error(Sub(at, "at"),
                   absl::StrCat("after the end of the scenario (",
                                FormatDuration(out->duration), ")"));
  }
  if (!nodes.count(f.node())) {
    return v.Error(Sub(at, "node"), absl::StrCat("unknown node \"", f.node(),
                                                 "\": expected one of ",
                                                 absl::StrJoin(nodes, ", ")));
  }
  if (f.kind_case() == Fault::KIND_NOT_SET) {
    return v.Error(at, "expected one of " + KindNames(false));
  }
  const FaultKind& kind = FaultKindOf(f.kind_case());
  if (auto st = kind.parse(v, Sub(at, kind.name), f, &fault); !st.ok())
    return st;
  if (auto st = CheckFaultNode(v, Sub(Sub(at, kind.name), "peer"),
                               Sub(at, "node"), fault, f.node(), *out);
      !st.ok()) {
    return st;
  }
  out->faults.push_back(fault);
  return absl::OkStatus();
}

// The timeline as a whole, per node in time order. `order` is the faults'
// indexes sorted by time (stable).
absl::Status CheckTimeline(const Validator& v, const LoadedScenario& s,
                           const std::vector<size_t>& order) {
  std::map<std::string, bool> down;
  std::map<std::string, bool> may_be_down;  // a crash_on_call since

  std::map<std::string, absl::Duration> paused_until;
  std::map<std::tuple<std::string, int, int64_t>, size_t> same;
  for (size_t k : order) {
    const ScenarioFault& f = s.faults[k];
    const FieldPath at = {{"faults", static_cast<int>(k)}};
    auto key = std::make_tuple(f.node, static_cast<int>(f.kind),
                               absl::ToInt64Nanoseconds(f.at));
    if (auto it = same.find(key); it != same.end()) {
      return v.Error(at, absl::StrCat("contradicts faults[", it->second,
                                      "]: the same kind of fault on the same "
                                      "node at the same time"));
    }
    same[key] = k;
    const bool is_down = down[f.node];
    if (f.kind == Fault::kCrash && is_down) {
      return v.Error(
          at, absl::StrCat(f.node, " is already down at ", FormatDuration(f.at),
                           ": restart it first"));
    }
    if (f.kind == Fault::kRestart && !is_down && !may_be_down[f.node]) {
      return v.Error(
          at, absl::StrCat(f.node, " is not down at ", FormatDuration(f.at),
                           ": expected a crash before the restart"));
    }
    if (f.kind == Fault::kCrash || f.kind == Fault::kPause) {
      auto p = paused_until.find(f.node);
      if (p != paused_until.end() && f.at < p->second) {
        return v.Error(
            at, absl::StrCat(f.node, " is paused until ",
                             FormatDuration(p->second), ": a pause and a ",
                             f.kind == Fault::kCrash ? "crash" : "pause",
                             " cannot overlap"));
      }
    }
    if (f.kind == Fault::kCrash) down[f.node] = true;
    if (f.kind == Fault::kCrashOnCall) may_be_down[f.node] = true;
    if (f.kind == Fault::kRestart) down[f.node] = may_be_down[f.node] = false;
    if (f.kind == Fault::kPause) paused_until[f.node] = f.at + f.duration;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const FaultKind> FaultKinds() { return kKinds; }

const FaultKind& FaultKindOf(Fault::KindCase kind) {
  for (const FaultKind& k : kKinds) {
    if (k.kind == kind) return k;
  }
  SALUDO_CHECK(false && "fault kind missing from the table");
  return kKinds[0];
}

std::string ScenarioFault::Describe() const {
  const std::string what =
      kind == Fault::KIND_NOT_SET ? "?" : FaultKindOf(kind).describe(*this);
  return absl::StrCat(FormatDuration(at), " ", node, ": ", what);
}

absl::Status CheckFaultNode(const Validator& v, const FieldPath& peer_at,
                            const FieldPath& node_at,
                            const ScenarioFault& fault, const std::string& node,
                            const LoadedScenario& s) {
  std::set<std::string> nodes = {kNginxNode};
  std::map<std::string, std::string> backends;  // name -> service kind
  for (const auto& b : s.backends) {
    nodes.insert(b.name);
    backends[b.name] = b.service;
  }
  for (const auto& c : s.clients) nodes.insert(c.name);
  if (!fault.peer.empty() && (!nodes.count(fault.peer) || fault.peer == node)) {
    return v.Error(peer_at,
                   absl::StrCat("the link's other end (\"", fault.peer,
                                "\") must be another node than \"", node,
                                "\": one of ", absl::StrJoin(nodes, ", ")));
  }
  if (!FaultKindOf(fault.kind).backends_only) return absl::OkStatus();
  if (!backends.count(node)) {
    return v.Error(node_at,
                   absl::StrCat("\"", node, "\" is not a backend: ",
                                KindNames(true), " apply to backends only"));
  }
  if (!FindServiceKind(backends.at(node))->has_control) {
    return v.Error(node_at,
                   absl::StrCat("\"", node, "\" runs ", backends.at(node),
                                ", which has no control service: ",
                                KindNames(true), " need one"));
  }
  return absl::OkStatus();
}

namespace {

// When the fault at `k` of the (time-sorted) timeline stops being in force.
absl::Duration WindowEnd(const LoadedScenario& s, size_t k) {
  const ScenarioFault& f = s.faults[k];
  const Lasts lasts = FaultKindOf(f.kind).lasts;
  if (lasts == Lasts::kDuration) return f.at + f.duration;
  if (lasts == Lasts::kOneSecond) return f.at + absl::Seconds(1);
  for (size_t j = k + 1; j < s.faults.size(); ++j) {
    const ScenarioFault& g = s.faults[j];
    if (g.node != f.node) continue;
    const bool ends =
        lasts == Lasts::kUntilRestart ? g.kind == Fault::kRestart
        : lasts == Lasts::kUntilCleared
            ? g.kind == Fault::kClearFaults || g.kind == Fault::kCrash ||
                  g.kind == f.kind
            : g.kind == f.kind;  // kUntilNext
    if (ends) return g.at;
  }
  return absl::InfiniteDuration();
}

}  // namespace

std::string* MutableDurationField(Fault* f) {
  switch (f->kind_case()) {
    case Fault::kPause:
      return f->mutable_pause()->mutable_duration();
    case Fault::kHang:
      return f->mutable_hang()->mutable_duration();
    case Fault::kLatencySpike:
      return f->mutable_latency_spike()->mutable_duration();
    case Fault::kLossBurst:
      return f->mutable_loss_burst()->mutable_duration();
    default:
      SALUDO_CHECK(FaultKindOf(f->kind_case()).lasts != Lasts::kDuration);
      return nullptr;
  }
}

std::vector<FaultWindow> FaultWindows(const LoadedScenario& s) {
  std::vector<FaultWindow> windows;
  for (size_t k = 0; k < s.faults.size(); ++k) {
    const ScenarioFault& f = s.faults[k];
    const FaultKind& kind = FaultKindOf(f.kind);
    if (kind.lasts == Lasts::kNothing) continue;
    const bool undoes =
        (f.kind == Fault::kClockOffset && f.shift == absl::ZeroDuration()) ||
        (f.kind == Fault::kClockDrift && f.ppm == 0);
    if (undoes) continue;  // an offset or drift back to zero ends one
    windows.push_back({kind.name, f.node, f.peer, f.at, WindowEnd(s, k),
                       kind.health, f.code});
  }
  for (const auto& p : s.partitions) {
    windows.push_back({p.one_way ? "one-way partition" : "partition", p.a, p.b,
                       p.start, p.start + p.duration, Health::kLosesSent,
                       absl::StatusCode::kOk});
  }
  std::stable_sort(windows.begin(), windows.end(),
                   [](const FaultWindow& a, const FaultWindow& b) {
                     return a.start < b.start;
                   });
  return windows;
}

absl::Status LoadFaults(const Validator& v, LoadedScenario* out) {
  std::set<std::string> nodes = {kNginxNode};
  for (const auto& b : out->backends) nodes.insert(b.name);
  for (const auto& c : out->clients) nodes.insert(c.name);
  for (int i = 0; i < out->proto.faults_size(); ++i) {
    if (auto st = LoadFault(v, i, nodes, out); !st.ok()) return st;
  }
  std::vector<size_t> order(out->faults.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return out->faults[a].at < out->faults[b].at;
  });
  if (auto st = CheckTimeline(v, *out, order); !st.ok()) return st;
  std::vector<ScenarioFault> sorted;
  for (size_t k : order) sorted.push_back(out->faults[k]);
  out->faults = std::move(sorted);
  return absl::OkStatus();
}

}  // namespace saludo::scenario
