#include "sim/world.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/check.h"
#include "services/fault_state.h"
#include "services/saludo_server.h"
#include "sim/nginx_twin.h"

namespace saludo::sim {

World::World(uint64_t seed, bool keep_log)
    : sim_(seed, keep_log), network_(&sim_) {
  network_.on_crash = [this](NodeId id) { Kill(id); };
  network_.on_restart = [this](NodeId id) { Boot(id); };
}

World::~World() = default;

NodeId World::AddHost(const std::string& name, runtime::BootFn boot) {
  SALUDO_CHECK(boot != nullptr);
  const NodeId id = network_.AddNode(name);
  hosts_[id].boot = std::move(boot);
  Boot(id);
  return id;
}

NodeId World::AddServer(const std::string& name, int server_id) {
  services::SaludoServerOptions options;
  options.server_id = server_id;
  return AddHost(name, services::SaludoServerBoot(options));
}

void World::Boot(NodeId id) {
  if (auto twin = twins_.find(id); twin != twins_.end()) {
    // nginx restarted: balancing state starts over.
    auto created = NginxTwin::Create(
        &sim_, &network_, id, twin->second->config(), twin->second->backends());
    SALUDO_CHECK(created.ok());
    twin->second = std::move(*created);
    return;
  }
  auto it = hosts_.find(id);
  if (it == hosts_.end()) return;  // clients keep no state
  Node& node = network_.node(id);
  SALUDO_CHECK(node.up());
  SALUDO_CHECK(it->second.process == nullptr);  // one incarnation at a time
  runtime::HostContext context;
  context.name = node.name();
  context.clock = &node.clock();
  context.timers = &node.clock();
  context.registry = &node.server();
  context.admin = &node.server();
  // A host's transport refuses what gRPC refuses live.
  node.server().SetMaxRequestBytes(runtime::kMaxRequestBytes);
  context.seed = sim_.RandomFor(absl::StrCat("process:", node.name(), "#",
                                             node.incarnation()))
                     .Next();
  context.connect = [this, id](const std::string& target) {
    const NodeId to = network_.Find(target);
    SALUDO_CHECK(to >= 0 && "connect: no node of that name");
    return network_.Channel(id, to);
  };
  // A crash from inside the host ends this incarnation right after the
  // current event (not inside the handler: the crash destroys the service).
  context.crash = [this, id, incarnation = node.incarnation()] {
    sim_.After(absl::ZeroDuration(), [this, id, incarnation] {
      if (network_.node(id).incarnation() == incarnation) network_.Crash(id);
    });
  };
  it->second.process = it->second.boot(context);
  SALUDO_CHECK(it->second.process != nullptr);
}

void World::Kill(NodeId id) {
  if (auto it = hosts_.find(id); it != hosts_.end()) {
    it->second.process.reset();
  }
}

absl::StatusOr<NodeId> World::AddNginxTwin(
    const std::string& name, nginx::TwinConfig config,
    const std::map<std::string, NodeId>& backends, absl::Time wall_epoch) {
  const NodeId id = network_.AddNode(name, wall_epoch);
  absl::StatusOr<std::unique_ptr<NginxTwin>> twin =
      NginxTwin::Create(&sim_, &network_, id, std::move(config), backends);
  if (!twin.ok()) return twin.status();
  twins_[id] = std::move(*twin);
  return id;
}

NginxTwin* World::twin(NodeId node) {
  auto it = twins_.find(node);
  return it == twins_.end() ? nullptr : it->second.get();
}

NodeId World::AddClient(const std::string& name) {
  const NodeId id = network_.AddNode(name);
  clients_[id];
  return id;
}

void World::StartLoad(NodeId client, NodeId target, client::LoadOptions options,
                      absl::Duration at, int port) {
  ClientNode& c = clients_.at(client);
  ++c.bursts_started;
  if (NginxTwin* lb = twin(target)) {
    lb->ExpectCalls(client::RecordsToReserve(options));
  }
  sim_.At(at, [this, client, target, options, port] {
    network_.node(client).Execute([this, client, target, options, port] {
      ClientNode& c = clients_.at(client);
      c.channels.push_back(network_.Channel(client, target, port));
      c.loads.push_back(std::make_unique<client::LoadClient>(
          &network_.node(client).clock(), c.channels.back().get(), options,
          &network_.node(client).clock()));
      c.loads.back()->Start([this, client](std::vector<client::CallRecord> r) {
        ClientNode& c = clients_.at(client);
        if (c.records.empty()) {
          c.records = std::move(r);  // the first load's: no record moves
        } else {
          c.records.insert(c.records.end(), std::make_move_iterator(r.begin()),
                           std::make_move_iterator(r.end()));
        }
        ++c.bursts_done;
      });
    });
  });
}

const std::vector<client::CallRecord>& World::records(NodeId client) const {
  return clients_.at(client).records;
}

std::vector<client::CallRecord> World::TakeRecords(NodeId client) {
  return std::exchange(clients_.at(client).records, {});
}

bool World::load_done(NodeId client) const {
  const ClientNode& c = clients_.at(client);
  return c.bursts_done == c.bursts_started;
}

services::FaultState* World::faults(NodeId server) {
  auto* saludo = host<services::SaludoServer>(server);
  return saludo == nullptr ? nullptr : &saludo->faults();
}

runtime::Clock* World::server_clock(NodeId server) {
  auto* saludo = host<services::SaludoServer>(server);
  return saludo == nullptr ? nullptr : &saludo->clock();
}

void World::Note(EventKind kind, NodeId node, const std::string& detail) {
  // The detail itself is not hashed: its hash is the payload.
  sim_.RecordWithDetail(kind, node, -1, 0, 0, HashBytes(detail),
                        [&detail] { return detail; });
}

void World::CrashAt(NodeId node, absl::Duration at) {
  sim_.At(at, [this, node] { network_.Crash(node); });
}

void World::RestartAt(NodeId node, absl::Duration at) {
  sim_.At(at, [this, node] { network_.Restart(node); });
}

void World::PauseAt(NodeId node, absl::Duration at, absl::Duration duration) {
  sim_.At(at, [this, node] { network_.Pause(node); });
  sim_.At(at + duration, [this, node] { network_.Resume(node); });
}

void World::ApplyFaults(NodeId server, const control::Faults& faults,
                        const std::string& what) {
  services::FaultState* state = this->faults(server);
  if (state == nullptr) return;  // down: nothing to apply it to
  SALUDO_CHECK(services::FaultState::Validate(faults).ok());
  Note(EventKind::kFault, server, what);
  state->Set(faults);
}

void World::HangAt(NodeId server, absl::Duration at, absl::Duration duration) {
  sim_.At(at, [this, server, duration] {
    control::Faults f;
    f.set_hang_nanos(absl::ToInt64Nanoseconds(duration));
    ApplyFaults(server, f,
                absl::StrCat("hang ", absl::FormatDuration(duration)));
  });
}

void World::SlowAt(NodeId server, absl::Duration at, absl::Duration delay) {
  sim_.At(at, [this, server, delay] {
    control::Faults f;
    f.set_reply_delay_nanos(absl::ToInt64Nanoseconds(delay));
    ApplyFaults(server, f, absl::StrCat("slow ", absl::FormatDuration(delay)));
  });
}

void World::ErrorsAt(NodeId server, absl::Duration at, absl::StatusCode code,
                     double rate) {
  sim_.At(at, [this, server, code, rate] {
    control::Faults f;
    f.set_error_rate(rate);
    f.set_error_code(static_cast<int>(code));
    ApplyFaults(
        server, f,
        absl::StrCat("errors ", absl::StatusCodeToString(code), " ", rate));
  });
}

void World::SetServiceFaultsAt(NodeId server, absl::Duration at,
                               const control::Faults& faults,
                               const std::string& what) {
  sim_.At(at,
          [this, server, faults, what] { ApplyFaults(server, faults, what); });
}

void World::ClearServiceFaultsAt(NodeId server, absl::Duration at) {
  sim_.At(at, [this, server] {
    if (services::FaultState* state = faults(server)) {
      Note(EventKind::kFault, server, "clear");
      state->Clear();
    }
  });
}

void World::ClockOffsetAt(NodeId node, absl::Duration at,
                          absl::Duration offset) {
  sim_.At(at, [this, node, offset] {
    Note(EventKind::kClock, node,
         absl::StrCat("offset ", absl::FormatDuration(offset)));
    network_.node(node).clock().SetHardwareOffset(offset);
  });
}

void World::DriftAt(NodeId node, absl::Duration at, int64_t drift_ppb) {
  sim_.At(at, [this, node, drift_ppb] {
    Note(EventKind::kClock, node, absl::StrCat("drift ", drift_ppb, "ppb"));
    network_.node(node).clock().SetDriftPpb(drift_ppb);
  });
}

void World::JumpAt(NodeId node, absl::Duration at, absl::Duration delta) {
  sim_.At(at, [this, node, delta] {
    Note(EventKind::kClock, node,
         absl::StrCat("jump ", absl::FormatDuration(delta)));
    network_.node(node).clock().Jump(delta);
  });
}

void World::BeginLinkChange(NodeId from, NodeId to,
                            const LinkChange& change) {
  auto [it, first] = changed_links_.try_emplace({from, to});
  if (first) it->second.base = network_.Link(from, to);
  it->second.changes.push_back(change);
  SetChangedLink(from, to, it->second);
}

void World::SetChangedLink(NodeId from, NodeId to, const ChangedLink& link) {
  LinkModel m = link.base;
  for (const LinkChange& c : link.changes) {
    if (c.latency) m.latency = *c.latency;
    if (c.loss) m.loss = *c.loss;
  }
  network_.SetLink(from, to, m);
}

void World::EndLinkChange(NodeId from, NodeId to, uint64_t id) {
  auto it = changed_links_.find({from, to});
  SALUDO_CHECK(it != changed_links_.end());  // each change ends once
  std::vector<LinkChange>& changes = it->second.changes;
  const size_t before = changes.size();
  changes.erase(std::remove_if(changes.begin(), changes.end(),
                               [&](const LinkChange& c) { return c.id == id; }),
                changes.end());
  SALUDO_CHECK(changes.size() + 1 == before);
  SetChangedLink(from, to, it->second);
  if (changes.empty()) changed_links_.erase(it);
}

void World::ChangeLinkAt(NodeId a, NodeId b, absl::Duration at,
                         absl::Duration duration,
                         std::optional<Distribution> latency,
                         std::optional<double> loss, bool one_way) {
  sim_.At(at, [this, a, b, duration, latency, loss, one_way] {
    const LinkChange change{next_link_change_++, latency, loss};
    Note(EventKind::kFault, a,
         absl::StrCat(one_way ? "link to " : "link with ",
                      network_.node(b).name(), ":",
                      latency ? " latency " + latency->ToString() : "",
                      loss ? absl::StrCat(" loss ", *loss) : "", " for ",
                      absl::FormatDuration(duration)));
    BeginLinkChange(a, b, change);
    if (!one_way) BeginLinkChange(b, a, change);
    sim_.After(duration, [this, a, b, id = change.id, one_way] {
      Note(EventKind::kFault, a,
           absl::StrCat("link with ", network_.node(b).name(), " restored"));
      EndLinkChange(a, b, id);
      if (!one_way) EndLinkChange(b, a, id);
    });
  });
}

void World::PartitionAt(NodeId a, NodeId b, absl::Duration at,
                        absl::Duration duration, bool one_way) {
  network_.AddPartition(a, b, at, at + duration, one_way);
  sim_.At(at, [this, a, b, one_way] {
    Note(EventKind::kFault, a,
         absl::StrCat(one_way ? "partition one-way to " : "partition with ",
                      network_.node(b).name()));
  });
}

void World::Run(absl::Duration until) { sim_.RunUntil(until); }

}  // namespace saludo::sim
