#include "sim/scenario/runner.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace saludo::sim {
namespace {

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.3fms", absl::ToDoubleMilliseconds(d));
}

std::string RunLabel(const ScenarioRun& run) {
  return run.world == nullptr ? "live" : absl::StrCat("seed ", run.seed);
}

std::string CallText(const ScenarioCall& c, const ScenarioRun& run) {
  return absl::StrCat(
      "call #", c.record.index + 1, " of ", c.client, " started at ",
      absl::FormatDuration(c.record.started), ": ",
      c.record.status.ok() ? absl::StrCat("servidor ", c.record.server_id)
                           : absl::StatusCodeToString(c.record.status.code()),
      " after ", Ms(c.record.latency), " (", RunLabel(run), ")");
}

Verdict CheckBalancedShare(const LoadedScenario::Property& p,
                           const LoadedScenario& s, const ScenarioRun& run) {
  Verdict v;
  v.property = p.label;
  std::map<int, std::string> name_of_id;
  for (const auto& b : s.backends) name_of_id[b.server_id] = b.name;
  std::map<std::string, int64_t> count;
  int64_t total = 0;
  for (const ScenarioCall& c : run.calls) {
    if (!c.record.status.ok()) continue;
    if (c.record.started < p.from || c.record.started >= p.until) continue;
    const std::string& name = name_of_id[c.record.server_id];
    if (std::find(p.backends.begin(), p.backends.end(), name) ==
        p.backends.end()) {
      continue;
    }
    ++count[name];
    ++total;
  }
  double weight_sum = 0;
  for (double w : p.weights) weight_sum += w;
  std::vector<std::string> measured, bound;
  double worst = -1;
  for (size_t i = 0; i < p.backends.size(); ++i) {
    const double share =
        total == 0 ? 0 : static_cast<double>(count[p.backends[i]]) / total;
    const double expected = p.weights[i] / weight_sum;
    measured.push_back(absl::StrFormat("%s %.3f (%d calls)", p.backends[i],
                                       share, count[p.backends[i]]));
    bound.push_back(
        absl::StrFormat("%s %.3f±%.3f", p.backends[i], expected, p.tolerance));
    const double deviation = std::abs(share - expected);
    if (deviation > p.tolerance && deviation > worst) {
      worst = deviation;
      v.holds = false;
      v.first_violation = absl::StrFormat(
          "%s got %.3f of %d calls in [%s, %s), expected %.3f (seed %d)",
          p.backends[i], share, total, absl::FormatDuration(p.from),
          absl::FormatDuration(p.until), expected, run.seed);
    }
  }
  if (total == 0) {
    v.holds = false;
    v.first_violation = "no successful call in the window";
  }
  v.measured = absl::StrJoin(measured, ", ");
  v.bound = absl::StrJoin(bound, ", ");
  return v;
}

Verdict CheckCircuitBreaker(const LoadedScenario::Property& p,
                            const LoadedScenario& s, const ScenarioRun& run) {
  Verdict v;
  v.property = p.label;
  // Per backend address, in time order: attempts starting, and attempts
  // ending in failure (502/504) or otherwise. A breaker opens when the
  // max_fails-th failure in a row ends; no attempt may start while it is
  // open (fail_timeout). Conservative: nginx's counter is not reset by
  // every success, so it may open more often than this check assumes.
  struct Event {
    absl::Duration at;
    int kind;  // 0 = failure ended, 1 = other end, 2 = start
  };
  std::map<std::string, std::vector<Event>> events;
  for (const TwinLogEntry& e : run.nginx_log) {
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
  int64_t opened = 0, violations = 0;
  for (const auto& [name, up] : s.nginx.upstreams) {
    for (const nginx::UpstreamPeer& peer : up.peers) {
      if (peer.max_fails == 0 || up.peers.size() == 1) continue;
      auto& list = events[peer.address];
      std::stable_sort(list.begin(), list.end(),
                       [](const Event& a, const Event& b) {
                         return a.at != b.at ? a.at < b.at : a.kind < b.kind;
                       });
      int failures_in_a_row = 0;
      absl::Duration open_from = absl::InfiniteDuration();
      absl::Duration open_until = -absl::InfiniteDuration();
      for (const Event& e : list) {
        if (e.kind == 2) {
          if (e.at > open_from && e.at < open_until) {
            ++violations;
            if (v.first_violation.empty()) {
              v.first_violation = absl::StrCat(
                  "nginx sent a call to ", peer.address, " at ",
                  absl::FormatDuration(e.at), ", inside its fail_timeout (",
                  absl::FormatDuration(open_from), " to ",
                  absl::FormatDuration(open_until), ") (seed ", run.seed, ")");
            }
          }
          continue;
        }
        failures_in_a_row = e.kind == 0 ? failures_in_a_row + 1 : 0;
        if (failures_in_a_row >= peer.max_fails) {
          ++opened;
          open_from = e.at;
          open_until = e.at + peer.fail_timeout;
          failures_in_a_row = 0;
        }
      }
    }
  }
  v.holds = violations == 0;
  v.measured = absl::StrCat(violations, " calls inside an open breaker (",
                            opened, " openings)");
  v.bound = "0";
  return v;
}

}  // namespace

bool ScenarioRun::ok() const {
  for (const Verdict& v : verdicts) {
    if (!v.holds && !v.skipped) return false;
  }
  return true;
}

void TruncateScenario(LoadedScenario* s, absl::Duration limit) {
  if (s->duration <= limit) return;
  s->duration = limit;
  for (auto& c : s->clients) {
    c.load.duration = std::max(absl::ZeroDuration(),
                               std::min(c.load.duration, limit - c.start));
  }
  std::vector<ScenarioFault> kept;
  for (const ScenarioFault& f : s->faults) {
    if (f.at <= limit) kept.push_back(f);
  }
  s->faults = std::move(kept);
  for (auto& p : s->properties) p.until = std::min(p.until, limit);
}

std::vector<Verdict> CheckProperties(const LoadedScenario& s,
                                     const ScenarioRun& run) {
  std::vector<Verdict> verdicts;
  for (const LoadedScenario::Property& p : s.properties) {
    switch (p.kind) {
      case scenario::Property::kBalancedShare:
        verdicts.push_back(CheckBalancedShare(p, s, run));
        break;
      case scenario::Property::kCircuitBreaker:
        verdicts.push_back(CheckCircuitBreaker(p, s, run));
        break;
      case scenario::Property::kSuccessRate: {
        Verdict v;
        v.property = p.label;
        int64_t ok = 0, total = 0;
        const ScenarioCall* first_failure = nullptr;
        for (const ScenarioCall& c : run.calls) {
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
          v.first_violation =
              first_failure != nullptr
                  ? "first failed: " + CallText(*first_failure, run)
                  : "no calls";
        }
        verdicts.push_back(v);
        break;
      }
      case scenario::Property::kLatency: {
        Verdict v;
        v.property = p.label;
        std::vector<absl::Duration> latencies;
        const ScenarioCall* first_slow = nullptr;
        for (const ScenarioCall& c : run.calls) {
          if (p.successful_only && !c.record.status.ok()) continue;
          latencies.push_back(c.record.latency);
          if (c.record.latency > p.at_most && first_slow == nullptr)
            first_slow = &c;
        }
        std::sort(latencies.begin(), latencies.end());
        absl::Duration measured = absl::ZeroDuration();
        if (!latencies.empty()) {
          size_t rank = static_cast<size_t>(
              std::ceil(p.percentile / 100 * latencies.size()));
          measured = latencies[std::max<size_t>(rank, 1) - 1];
        }
        v.holds = !latencies.empty() && measured <= p.at_most;
        v.measured = absl::StrCat("p", p.percentile, " = ", Ms(measured),
                                  " over ", latencies.size(), " calls");
        v.bound = absl::StrCat("<= ", Ms(p.at_most));
        if (!v.holds && first_slow != nullptr) {
          v.first_violation =
              "first over the bound: " + CallText(*first_slow, run);
        }
        verdicts.push_back(v);
        break;
      }
      case scenario::Property::kDeadlines: {
        Verdict v;
        v.property = p.label;
        int64_t late = 0;
        absl::Duration worst = -absl::InfiniteDuration();
        for (const ScenarioCall& c : run.calls) {
          const absl::Duration over = c.record.latency - c.deadline;
          worst = std::max(worst, over);
          if (over > p.slack) {
            if (late++ == 0)
              v.first_violation = "first late: " + CallText(c, run);
          }
        }
        v.holds = late == 0;
        v.measured = absl::StrCat(late, " calls late; latest completion ",
                                  run.calls.empty() ? "-" : Ms(worst),
                                  " relative to its deadline");
        v.bound = absl::StrCat("<= deadline + ", Ms(p.slack));
        verdicts.push_back(v);
        break;
      }
      case scenario::Property::kClockSpread: {
        Verdict v;
        v.property = p.label;
        // Each reply estimates its server's offset (Cristian): server time
        // minus the client's clock at the middle of the round trip.
        std::map<int, std::vector<int64_t>> offsets;
        for (const ScenarioCall& c : run.calls) {
          if (!c.record.status.ok()) continue;
          const absl::Time middle =
              c.record.started_wall + c.record.latency / 2;
          offsets[c.record.server_id].push_back(
              c.record.server_time_unix_nanos - absl::ToUnixNanos(middle));
        }
        std::vector<std::string> parts;
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (auto& [id, list] : offsets) {
          std::sort(list.begin(), list.end());
          const int64_t median = list[list.size() / 2];
          lo = std::min(lo, median);
          hi = std::max(hi, median);
          parts.push_back(absl::StrCat("servidor ", id, " ",
                                       Ms(absl::Nanoseconds(median))));
        }
        const absl::Duration spread =
            offsets.empty() ? absl::ZeroDuration() : absl::Nanoseconds(hi - lo);
        v.holds = !offsets.empty() && spread <= p.at_most;
        v.measured =
            absl::StrCat("spread ", Ms(spread),
                         " (median offsets: ", absl::StrJoin(parts, ", "), ")");
        v.bound = absl::StrCat("<= ", Ms(p.at_most));
        if (!v.holds) v.first_violation = absl::StrCat("seed ", run.seed);
        verdicts.push_back(v);
        break;
      }
      case scenario::Property::KIND_NOT_SET:
        break;
    }
  }
  return verdicts;
}

absl::StatusOr<ScenarioRun> RunScenario(const LoadedScenario& s, uint64_t seed,
                                        bool keep_log) {
  ScenarioRun run;
  run.seed = seed;
  run.world = std::make_unique<World>(seed, keep_log);
  World& world = *run.world;
  Network& net = world.network();
  auto to_link = [](const LinkSpec& spec) {
    LinkModel m;
    m.latency = spec.latency;
    m.loss = spec.loss;
    m.duplicate = spec.duplicate;
    return m;
  };
  net.SetDefaultLink(to_link(s.default_link));
  std::map<std::string, NodeId> backends_by_address;
  for (const auto& b : s.backends) {
    run.nodes[b.name] = world.AddServer(b.name, b.server_id);
    backends_by_address[b.address] = run.nodes[b.name];
  }
  absl::StatusOr<NodeId> nginx =
      world.AddNginxTwin(kNginxNode, s.nginx, backends_by_address);
  if (!nginx.ok()) return nginx.status();
  run.nginx = *nginx;
  run.nodes[kNginxNode] = *nginx;
  absl::Duration longest = absl::ZeroDuration();
  for (const auto& c : s.clients) {
    run.nodes[c.name] = world.AddClient(c.name);
    world.StartLoad(run.nodes[c.name], run.nginx, c.load, c.start);
    longest = std::max(longest, c.load.deadline);
  }
  for (const auto& l : s.links) {
    net.SetLink(run.nodes.at(l.from), run.nodes.at(l.to), to_link(l.link));
  }
  for (const auto& p : s.partitions) {
    world.PartitionAt(run.nodes.at(p.a), run.nodes.at(p.b), p.start, p.duration,
                      p.one_way);
  }
  for (const ScenarioFault& f : s.faults) {
    const NodeId node = run.nodes.at(f.node);
    switch (f.kind) {
      case scenario::Fault::kCrash:
        world.CrashAt(node, f.at);
        break;
      case scenario::Fault::kRestart:
        world.RestartAt(node, f.at);
        break;
      case scenario::Fault::kPause:
        world.PauseAt(node, f.at, f.duration);
        break;
      case scenario::Fault::kHang:
        world.HangAt(node, f.at, f.duration);
        break;
      case scenario::Fault::kSlow:
        world.SlowAt(node, f.at, f.delay);
        break;
      case scenario::Fault::kErrors:
        world.ErrorsAt(node, f.at, f.code, f.rate);
        break;
      case scenario::Fault::kClockOffset:
        world.ClockOffsetAt(node, f.at, f.shift);
        break;
      case scenario::Fault::kClockDrift:
        world.DriftAt(node, f.at,
                      static_cast<int64_t>(std::llround(f.ppm * 1000)));
        break;
      case scenario::Fault::kClockJump:
        world.JumpAt(node, f.at, f.shift);
        break;
      case scenario::Fault::kClearFaults:
        world.ClearServiceFaultsAt(node, f.at);
        break;
      case scenario::Fault::KIND_NOT_SET:
        break;
    }
  }
  // Loads stop starting calls at their duration; the ones in flight finish
  // within their deadline.
  absl::Duration end = s.duration;
  for (const auto& c : s.clients)
    end = std::max(end, c.start + c.load.duration);
  world.Run(end + longest + absl::Seconds(1));
  run.simulated = world.sim().now();
  for (const auto& c : s.clients) {
    for (const client::CallRecord& r : world.records(run.nodes[c.name])) {
      run.calls.push_back({c.name, r, c.load.deadline});
    }
  }
  std::stable_sort(run.calls.begin(), run.calls.end(),
                   [](const ScenarioCall& a, const ScenarioCall& b) {
                     return a.record.started < b.record.started;
                   });
  run.nginx_log = world.twin(run.nginx)->access_log();
  run.trace_hash = world.trace_hash();
  run.verdicts = CheckProperties(s, run);
  return run;
}

}  // namespace saludo::sim
