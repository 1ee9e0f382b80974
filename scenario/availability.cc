#include "scenario/availability.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "scenario/faults.h"

namespace saludo::scenario {
namespace {

using absl::FormatDuration;

// What nginx's configuration says about one backend.
struct BackendRules {
  std::string name;
  int max_fails = 1;
  absl::Duration fail_timeout = absl::Seconds(10);
  nginx::GrpcRoute route;  // the first that passes to its upstream
};

std::vector<BackendRules> Rules(const LoadedScenario& s) {
  std::vector<BackendRules> rules;
  for (const auto& b : s.backends) {
    BackendRules r;
    r.name = b.name;
    std::string group;
    for (const auto& [name, up] : s.nginx.upstreams) {
      for (const nginx::UpstreamPeer& peer : up.peers) {
        if (peer.address != b.address || !group.empty()) continue;
        group = name;
        r.max_fails = peer.max_fails;
        r.fail_timeout = peer.fail_timeout;
      }
    }
    bool found = false;
    for (const nginx::ServerBlock& server : s.nginx.servers) {
      for (const nginx::GrpcRoute& route : server.routes) {
        if (route.upstream != group || found) continue;
        r.route = route;
        found = true;
      }
    }
    rules.push_back(r);
  }
  return rules;
}

// Why a failed call was not the configuration's doing, or kAvoidable.
enum Reason {
  kAvoidable,
  kOutside,     // a fault outside nginx and its backends (nginx, a client)
  kAnswered,    // the service answered with an injected error
  kInFlight,    // a fault began while it was in flight
  kNoHealthy,   // no backend was healthy when it started
  kLearning,    // sent before nginx could notice the backend went bad
  kProbe,       // one of nginx's probes of a failing backend
  kReasons,
};
constexpr const char* kReasonWords[kReasons] = {
    "avoidable",
    "a fault outside nginx's backends",
    "the service's own error answer",
    "in flight when a fault began",
    "no healthy backend",
    "sent before nginx could notice",
    "nginx's probes of a failing backend",
};

bool Harms(const FaultWindow& w) {
  return w.health == Health::kRefuses || w.health == Health::kLosesSent;
}

class Classifier {
 public:
  // `slack`: how late a fault may have taken effect (Observations).
  Classifier(const LoadedScenario& s, absl::Duration slack)
      : windows_(FaultWindows(s)), rules_(Rules(s)), slack_(slack) {}

  Reason Classify(const ScenarioCall& c);
  // The setting to blame for an avoidable failure of `c`, if one explains it.
  std::string Cause(const ScenarioCall& c) const;
  // The backends healthy when `c` started, in words.
  std::string HealthyAt(absl::Duration t) const;

 private:
  // The backend `w` bears on (nginx's side of it), or "" if none.
  std::string BackendOf(const FaultWindow& w) const;
  const BackendRules* RulesOf(const std::string& backend) const;
  bool Healthy(const BackendRules& r, absl::Duration t) const;
  bool Probe(absl::Duration t);

  std::vector<FaultWindow> windows_;
  std::vector<BackendRules> rules_;
  absl::Duration slack_;
  std::map<std::string, std::vector<absl::Duration>> probes_;  // by backend
};

std::string Classifier::BackendOf(const FaultWindow& w) const {
  const bool node = RulesOf(w.node) != nullptr;
  const bool peer = RulesOf(w.peer) != nullptr;
  if (node && (w.peer.empty() || w.peer == kNginxNode)) return w.node;
  if (peer && w.node == kNginxNode) return w.peer;
  return "";
}

const BackendRules* Classifier::RulesOf(const std::string& backend) const {
  for (const BackendRules& r : rules_) {
    if (r.name == backend) return &r;
  }
  return nullptr;
}

// Healthy at `t`: no harmful fault in force on it, and none ended so
// recently that nginx may still hold it out: its last failure can come a
// connect and a read timeout after the fault ended, and it is held out for
// fail_timeout from then.
bool Classifier::Healthy(const BackendRules& r, absl::Duration t) const {
  const absl::Duration memory =
      r.max_fails > 0 ? r.fail_timeout + r.route.connect_timeout +
                            r.route.read_timeout
                      : absl::ZeroDuration();
  for (const FaultWindow& w : windows_) {
    if (Harms(w) && BackendOf(w) == r.name && w.start <= t &&
        t < w.end + slack_ + memory) {
      return false;
    }
  }
  return true;
}

std::string Classifier::HealthyAt(absl::Duration t) const {
  std::vector<std::string> names;
  for (const BackendRules& r : rules_) {
    if (Healthy(r, t)) names.push_back(r.name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// One of at most max_fails probes per fail_timeout of a backend that a
// harmful fault is in force on at `t`.
bool Classifier::Probe(absl::Duration t) {
  for (const BackendRules& r : rules_) {
    const bool failing = std::any_of(
        windows_.begin(), windows_.end(), [&](const FaultWindow& w) {
          return w.health == Health::kLosesSent && BackendOf(w) == r.name &&
                 w.start <= t && t < w.end + slack_;
        });
    if (!failing || r.max_fails == 0) continue;
    std::vector<absl::Duration>& sent = probes_[r.name];
    const int64_t recent = std::count_if(
        sent.begin(), sent.end(),
        [&](absl::Duration p) { return p > t - r.fail_timeout; });
    if (recent >= r.max_fails) continue;
    sent.push_back(t);
    return true;
  }
  return false;
}

Reason Classifier::Classify(const ScenarioCall& c) {
  const absl::Duration start = c.record.started;
  const absl::Duration end = start + c.record.latency;
  bool no_healthy = true;
  for (const BackendRules& r : rules_) no_healthy &= !Healthy(r, start);
  for (const FaultWindow& w : windows_) {
    const bool overlaps = w.start <= end && start < w.end + slack_;
    if (!overlaps) continue;
    if (w.health == Health::kAnswers &&
        w.code == c.record.status.code()) {
      return kAnswered;
    }
    if (!Harms(w)) continue;
    if (BackendOf(w).empty()) return kOutside;
    if (w.start + slack_ > start) return kInFlight;
  }
  if (no_healthy) return kNoHealthy;
  for (const FaultWindow& w : windows_) {
    const BackendRules* r = RulesOf(BackendOf(w));
    if (r == nullptr || w.health != Health::kLosesSent) continue;
    const absl::Duration learn = std::min(
        r->route.connect_timeout + r->route.read_timeout, c.deadline);
    if (w.start <= start && start < w.start + slack_ + learn) {
      return kLearning;
    }
  }
  return Probe(start) ? kProbe : kAvoidable;
}

std::string Classifier::Cause(const ScenarioCall& c) const {
  const absl::Duration t = c.record.started;
  for (const FaultWindow& w : windows_) {
    const BackendRules* r = RulesOf(BackendOf(w));
    if (r == nullptr || !Harms(w) || t < w.start || t >= w.end) continue;
    const nginx::GrpcRoute& route = r->route;
    if (w.health == Health::kRefuses &&
        (route.next_upstream & nginx::kNextError) == 0) {
      return "grpc_next_upstream without error: a refused connection is "
             "not retried";
    }
    if (w.health == Health::kRefuses && route.next_upstream_tries == 1) {
      return "grpc_next_upstream_tries 1: no second try";
    }
    if (w.health == Health::kLosesSent && route.read_timeout >= c.deadline) {
      return absl::StrCat("grpc_read_timeout ",
                          FormatDuration(route.read_timeout),
                          " >= the client deadline ",
                          FormatDuration(c.deadline),
                          ": nginx never counts the failure");
    }
    if (w.health == Health::kLosesSent && r->max_fails == 0) {
      return "max_fails=0: nginx never takes a failing backend out";
    }
  }
  return "";
}

}  // namespace

absl::Status ParseAvailability(const Validator&, const FieldPath&,
                               const Property&, const LoadedScenario&,
                               PropertySpec* out) {
  out->label = "availability";
  return absl::OkStatus();
}

Verdict CheckAvailability(const PropertySpec&, const CheckInput& in) {
  Verdict v;
  Classifier classifier(in.scenario, in.observed.timing_slack);
  int64_t count[kReasons] = {};
  int64_t failed = 0;
  for (const ScenarioCall& c : in.observed.calls) {
    if (c.record.status.ok()) continue;
    ++failed;
    const Reason reason = classifier.Classify(c);
    SALUDO_CHECK(reason >= 0 && reason < kReasons);
    if (reason == kAvoidable && count[kAvoidable] == 0) {
      v.first_at = c.record.started;
      v.cause = classifier.Cause(c);
      v.first_violation = absl::StrCat(
          "first lost: ", CallText(c, in), " while healthy: ",
          classifier.HealthyAt(c.record.started),
          v.cause.empty() ? "" : "; " + v.cause);
    }
    ++count[reason];
  }
  std::vector<std::string> excused;
  for (int r = kAvoidable + 1; r < kReasons; ++r) {
    if (count[r] > 0) excused.push_back(absl::StrCat(kReasonWords[r], " ", count[r]));
  }
  v.holds = count[kAvoidable] == 0;
  v.measured = absl::StrCat(count[kAvoidable], " of ", failed,
                            " failed calls lost with a healthy backend",
                            excused.empty() ? "" : " (excused: ",
                            absl::StrJoin(excused, ", "),
                            excused.empty() ? "" : ")");
  v.bound = "0";
  return v;
}

absl::Status ParseAttempts(const Validator& v, const FieldPath& at,
                           const Property& p, const LoadedScenario&,
                           PropertySpec* out) {
  if (p.attempts().at_most() < 1 || p.attempts().at_most() > 100) {
    return v.Error(Sub(at, "at_most"), "expected a number in [1, 100]");
  }
  out->attempts_at_most = p.attempts().at_most();
  out->label = absl::StrCat("attempts per call <= ", out->attempts_at_most);
  return absl::OkStatus();
}

Verdict CheckAttempts(const PropertySpec& p, const CheckInput& in) {
  Verdict v;
  std::set<std::string> groups;
  for (const auto& [name, up] : in.scenario.nginx.upstreams) {
    groups.insert(name);
  }
  int64_t over = 0;
  size_t most = 0;
  for (const sim::TwinLogEntry& e : in.observed.balancer) {
    const size_t attempts = std::count_if(
        e.upstream_addr.begin(), e.upstream_addr.end(),
        [&](const std::string& a) { return groups.count(a) == 0; });
    most = std::max(most, attempts);
    if (attempts <= static_cast<size_t>(p.attempts_at_most)) continue;
    if (over++ == 0) {
      v.first_violation = absl::StrCat("nginx tried ", attempts, " times: ",
                                       e.Format(), " (", in.run_label, ")");
      if (!e.attempt_at.empty()) v.first_at = e.attempt_at.front();
    }
  }
  v.holds = over == 0;
  v.measured = absl::StrCat(over, " calls over the bound; most attempts ",
                            most, " over ", in.observed.balancer.size(),
                            " calls");
  v.bound = absl::StrCat("<= ", p.attempts_at_most);
  return v;
}

}  // namespace saludo::scenario
