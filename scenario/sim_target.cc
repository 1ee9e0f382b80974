#include "scenario/sim_target.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"
#include "scenario/services.h"

namespace saludo::scenario {
namespace {

sim::LinkModel ToLink(const LinkSpec& spec) {
  sim::LinkModel m;
  m.latency = spec.latency;
  m.loss = spec.loss;
  m.duplicate = spec.duplicate;
  return m;
}

// `calls` by start time; equal starts keep their order (as a stable sort,
// without moving each call O(n log n) times: only the keys are sorted, and
// a list already in order, as one client's is, is returned as it is).
std::vector<ScenarioCall> ByStart(std::vector<ScenarioCall> calls) {
  auto earlier = [](const ScenarioCall& a, const ScenarioCall& b) {
    return a.record.started < b.record.started;
  };
  if (std::is_sorted(calls.begin(), calls.end(), earlier)) return calls;
  std::vector<std::pair<absl::Duration, size_t>> keys;
  keys.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    keys.emplace_back(calls[i].record.started, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<ScenarioCall> sorted;
  sorted.reserve(calls.size());
  for (const auto& key : keys) sorted.push_back(std::move(calls[key.second]));
  return sorted;
}

}  // namespace

SimulatedTarget::SimulatedTarget(uint64_t seed, bool keep_log)
    : seed_(seed), world_(std::make_unique<sim::World>(seed, keep_log)) {}

SimulatedTarget::~SimulatedTarget() = default;

std::string SimulatedTarget::label() const {
  return absl::StrCat("seed ", seed_);
}

uint32_t SimulatedTarget::evidence() const {
  return kCallRecords | kBalancerLog | kAttemptTimes | kServerClocks;
}

std::string SimulatedTarget::WhyMissing(uint32_t) const {
  return "the simulator records every kind of evidence";
}

absl::Status SimulatedTarget::Build(const LoadedScenario& s) {
  SALUDO_CHECK(scenario_ == nullptr);  // built once
  scenario_ = &s;
  std::map<std::string, sim::NodeId> backends_by_address;
  for (const auto& b : s.backends) {
    const ServiceKind* kind = FindServiceKind(b.service);
    SALUDO_CHECK(kind != nullptr);  // the loader checked
    nodes_[b.name] = world_->AddHost(b.name, kind->boot(b.server_id));
    backends_by_address[b.address] = nodes_[b.name];
  }
  absl::StatusOr<sim::NodeId> nginx =
      world_->AddNginxTwin(kNginxNode, s.nginx, backends_by_address);
  if (!nginx.ok()) return nginx.status();
  nginx_ = *nginx;
  nodes_[kNginxNode] = nginx_;
  for (const auto& c : s.clients) {
    nodes_[c.name] = world_->AddClient(c.name);
    world_->StartLoad(nodes_[c.name], nginx_, c.load, c.start,
                      c.target_port);
  }
  return absl::OkStatus();
}

absl::Status SimulatedTarget::SetLinks(const LoadedScenario& s) {
  world_->network().SetDefaultLink(ToLink(s.default_link));
  for (const auto& l : s.links) {
    world_->network().SetLink(Node(l.from), Node(l.to), ToLink(l.link));
  }
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Partition(const std::string& a,
                                        const std::string& b, absl::Duration at,
                                        absl::Duration duration, bool one_way) {
  world_->PartitionAt(Node(a), Node(b), at, duration, one_way);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Crash(const std::string& node,
                                    absl::Duration at) {
  world_->CrashAt(Node(node), at);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Restart(const std::string& node,
                                      absl::Duration at) {
  world_->RestartAt(Node(node), at);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Pause(const std::string& node, absl::Duration at,
                                    absl::Duration duration) {
  world_->PauseAt(Node(node), at, duration);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Hang(const std::string& node, absl::Duration at,
                                   absl::Duration duration) {
  world_->HangAt(Node(node), at, duration);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Slow(const std::string& node, absl::Duration at,
                                   absl::Duration delay) {
  world_->SlowAt(Node(node), at, delay);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::Errors(const std::string& node, absl::Duration at,
                                     absl::StatusCode code, double rate) {
  world_->ErrorsAt(Node(node), at, code, rate);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::ClearFaults(const std::string& node,
                                          absl::Duration at) {
  world_->ClearServiceFaultsAt(Node(node), at);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::ClockOffset(const std::string& node,
                                          absl::Duration at,
                                          absl::Duration offset) {
  world_->ClockOffsetAt(Node(node), at, offset);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::ClockDrift(const std::string& node,
                                         absl::Duration at, int64_t drift_ppb) {
  world_->DriftAt(Node(node), at, drift_ppb);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::ClockJump(const std::string& node,
                                        absl::Duration at,
                                        absl::Duration delta) {
  world_->JumpAt(Node(node), at, delta);
  return absl::OkStatus();
}

absl::Status SimulatedTarget::CrashOnCall(const std::string& node,
                                          absl::Duration at) {
  control::Faults f;
  f.set_crash_on_call(true);
  world_->SetServiceFaultsAt(Node(node), at, f, "crash on call");
  return absl::OkStatus();
}

absl::Status SimulatedTarget::ChangeLink(const std::string& a,
                                         const std::string& b,
                                         absl::Duration at,
                                         absl::Duration duration,
                                         const LinkChange& change,
                                         bool one_way) {
  world_->ChangeLinkAt(Node(a), Node(b), at, duration, change.latency,
                       change.loss, one_way);
  return absl::OkStatus();
}

absl::StatusOr<Observations> SimulatedTarget::Run(absl::Duration until) {
  SALUDO_CHECK(scenario_ != nullptr);  // Build ran
  world_->Run(until);
  Observations o;
  // Every client's records, then one list sized for all of them (growing
  // it by doubling moved the calls again at each growth).
  std::vector<std::vector<client::CallRecord>> records;
  size_t total = 0;
  for (const auto& c : scenario_->clients) {
    records.push_back(world_->TakeRecords(nodes_.at(c.name)));
    total += records.back().size();
  }
  o.calls.reserve(total);
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& c = scenario_->clients[i];
    for (client::CallRecord& r : records[i]) {
      o.calls.push_back({c.name, std::move(r), c.load.deadline});
    }
  }
  o.calls = ByStart(std::move(o.calls));
  o.balancer = world_->twin(nginx_)->TakeAccessLog();
  o.has_trace_hash = true;
  o.trace_hash = world_->trace_hash();
  o.event_log = world_->sim().trace().log().ToVector();
  o.node_names = world_->sim().node_names();
  o.where = absl::StrCat("seed ", seed_, ", simulated ",
                         absl::FormatDuration(world_->sim().now()));
  if (!scenario_->nginx.unmodeled.empty()) {
    std::vector<std::string> names;
    for (const std::string& u : scenario_->nginx.unmodeled) {
      names.push_back(u.substr(0, u.find(' ')));
    }
    o.notes.push_back(
        absl::StrCat("not modelled by the nginx twin (", names.size(),
                     ", see --json): ", absl::StrJoin(names, " ")));
  }
  return o;
}

}  // namespace saludo::scenario
