#include "sim/network.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

const uint64_t kEmptyHash = HashBytes("");

class SimChannel final : public runtime::Channel {
 public:
  SimChannel(Network* network, NodeId from, NodeId to)
      : network_(network), from_(from), to_(to) {}

  void Call(const std::string& method, std::string request,
            const runtime::CallOptions& options,
            runtime::CallDone done) override {
    network_->StartCall(from_, to_, method, std::move(request), options,
                        std::move(done));
  }

 private:
  Network* const network_;
  const NodeId from_;
  const NodeId to_;
};

}  // namespace

void SimServer::Register(const std::string& method, runtime::Handler handler) {
  const bool inserted = handlers_.emplace(method, std::move(handler)).second;
  SALUDO_CHECK(inserted);
}

const runtime::Handler* SimServer::Find(const std::string& method) const {
  auto it = handlers_.find(method);
  if (it != handlers_.end()) return &it->second;
  return fallback_ ? &fallback_ : nullptr;
}

void SimServer::Clear() {
  handlers_.clear();
  fallback_ = nullptr;
}

Node::Node(Simulator* sim, NodeId id, std::string name, absl::Time wall_epoch)
    : sim_(sim),
      id_(id),
      name_(std::move(name)),
      clock_(sim, wall_epoch,
             [this](std::function<void()> work) { Execute(std::move(work)); }) {
}

void Node::Execute(std::function<void()> work) {
  if (!up_) return;
  if (paused_) {
    deferred_.push_back(std::move(work));
    return;
  }
  work();
}

Network::Network(Simulator* sim) : sim_(sim) {}

Network::~Network() = default;

NodeId Network::AddNode(const std::string& name, absl::Time wall_epoch) {
  SALUDO_CHECK(Find(name) == -1);
  const NodeId id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back(std::make_unique<Node>(sim_, id, name, wall_epoch));
  sim_->node_names().push_back(name);
  return id;
}

NodeId Network::Find(const std::string& name) const {
  for (const auto& n : nodes_) {
    if (n->name() == name) return n->id();
  }
  return -1;
}

void Network::SetLink(NodeId from, NodeId to, const LinkModel& link) {
  links_[{from, to}] = link;
}

const LinkModel& Network::Link(NodeId from, NodeId to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? default_link_ : it->second;
}

void Network::AddPartition(NodeId from, NodeId to, absl::Duration start,
                           absl::Duration end, bool one_way) {
  partitions_.push_back(Partition{from, to, absl::ToInt64Nanoseconds(start),
                                  absl::ToInt64Nanoseconds(end), one_way});
}

bool Network::Blocked(NodeId from, NodeId to) const {
  const int64_t now = sim_->now_ns();
  for (const Partition& p : partitions_) {
    if (now < p.start_ns || now >= p.end_ns) continue;
    if (p.from == from && p.to == to) return true;
    if (!p.one_way && p.from == to && p.to == from) return true;
  }
  return false;
}

std::unique_ptr<runtime::Channel> Network::Channel(NodeId from, NodeId to) {
  return std::make_unique<SimChannel>(this, from, to);
}

runtime::Random& Network::LinkRandom(NodeId from, NodeId to) {
  auto it = link_random_.find({from, to});
  if (it == link_random_.end()) {
    it = link_random_
             .emplace(std::make_pair(from, to),
                      sim_->RandomFor(absl::StrCat("link:", node(from).name(),
                                                   "->", node(to).name())))
             .first;
  }
  return it->second;
}

bool Network::Transmit(NodeId from, NodeId to, absl::Duration* latency) {
  if (Blocked(from, to)) return false;
  const LinkModel& link = Link(from, to);
  runtime::Random& random = LinkRandom(from, to);
  if (link.loss > 0 && random.Bernoulli(link.loss)) return false;
  *latency = link.latency.Sample(random);
  return true;
}

void Network::StartCall(NodeId client_node, NodeId server_node,
                        const std::string& method, std::string request,
                        const runtime::CallOptions& options,
                        runtime::CallDone done) {
  const uint64_t id = ++next_call_id_;
  Call& call = calls_[id];
  call.client = client_node;
  call.server = server_node;
  call.client_incarnation = node(client_node).incarnation();
  call.method = method;
  call.request_hash = HashBytes(request);
  call.done = std::move(done);
  sim_->Record(MakeEvent(EventKind::kCallStart, client_node, server_node, id, 0,
                         call.request_hash));
  if (options.timeout != absl::InfiniteDuration()) {
    call.deadline_timer =
        node(client_node).clock().RunAfter(options.timeout, [this, id] {
          Complete(id, absl::DeadlineExceededError("Deadline Exceeded"), "",
                   kEmptyHash);
        });
  }
  const LinkModel& link = Link(client_node, server_node);
  const bool duplicate =
      link.duplicate > 0 &&
      LinkRandom(client_node, server_node).Bernoulli(link.duplicate);
  for (int copy = 0; copy < (duplicate ? 2 : 1); ++copy) {
    absl::Duration latency;
    if (!Transmit(client_node, server_node, &latency)) {
      sim_->Record(
          MakeEvent(EventKind::kRequestDropped, client_node, server_node, id));
      if (copy == 0 && !duplicate) calls_[id].server_finished = true;
      continue;
    }
    if (copy == 1) {
      sim_->Record(MakeEvent(EventKind::kRequestDuplicated, client_node,
                             server_node, id));
    }
    sim_->After(latency, [this, id, request] { DeliverRequest(id, request); });
  }
}

void Network::DeliverRequest(uint64_t call_id, std::string request) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  Node& server = node(call.server);
  if (!server.up()) {
    if (call.server_finished) return;  // a duplicate of a refused request
    sim_->Record(
        MakeEvent(EventKind::kRefused, call.server, call.client, call_id));
    SendFailure(call_id, absl::UnavailableError("connection refused"));
    return;
  }
  call.arrived = true;
  call.server_incarnation = server.incarnation();
  const uint64_t incarnation = server.incarnation();
  server.Execute([this, call_id, incarnation,
                  request = std::move(request)]() mutable {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) return;
    Call& call = it->second;
    Node& server = node(call.server);
    if (server.incarnation() != incarnation) return;
    sim_->Record(MakeEvent(EventKind::kRequestDelivered, call.server,
                           call.client, call_id, 0, call.request_hash));
    const runtime::Handler* handler = server.server().Find(call.method);
    if (handler == nullptr) {
      SendReply(call_id,
                absl::UnimplementedError("unknown method " + call.method), "",
                EventKind::kReplySent);
      return;
    }
    runtime::ServerCall server_call{call.method,
                                    "sim:" + node(call.client).name()};
    (*handler)(
        server_call, std::move(request),
        [this, call_id, incarnation](absl::Status status, std::string reply) {
          auto it = calls_.find(call_id);
          if (it == calls_.end() || it->second.server_finished) return;
          if (node(it->second.server).incarnation() != incarnation) {
            return;
          }
          SendReply(call_id, std::move(status), std::move(reply),
                    EventKind::kReplySent);
        });
  });
}

void Network::SendReply(uint64_t call_id, absl::Status status,
                        std::string reply, EventKind sent_kind) {
  Call& call = calls_.at(call_id);
  call.server_finished = true;
  const uint64_t reply_hash = HashBytes(reply);
  sim_->Record(MakeEvent(sent_kind, call.server, call.client, call_id,
                         static_cast<int32_t>(status.code()), reply_hash));
  absl::Duration latency;
  if (!Transmit(call.server, call.client, &latency)) {
    sim_->Record(
        MakeEvent(EventKind::kReplyDropped, call.server, call.client, call_id));
    EraseIfFinished(calls_.find(call_id));
    return;
  }
  const NodeId client = call.client;
  sim_->After(latency, [this, call_id, client, reply_hash,
                        status = std::move(status),
                        reply = std::move(reply)]() mutable {
    node(client).Execute([this, call_id, reply_hash, status = std::move(status),
                          reply = std::move(reply)]() mutable {
      Complete(call_id, std::move(status), std::move(reply), reply_hash);
    });
  });
}

void Network::SendFailure(uint64_t call_id, absl::Status status) {
  Call& call = calls_.at(call_id);
  call.server_finished = true;
  absl::Duration latency;
  if (!Transmit(call.server, call.client, &latency)) {
    EraseIfFinished(calls_.find(call_id));
    return;
  }
  const NodeId client = call.client;
  sim_->After(latency, [this, call_id, client, status = std::move(status)] {
    node(client).Execute(
        [this, call_id, status] { Complete(call_id, status, "", kEmptyHash); });
  });
}

void Network::Complete(uint64_t call_id, absl::Status status, std::string reply,
                       uint64_t reply_hash) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  if (call.client_done) {
    EraseIfFinished(it);
    return;
  }
  if (node(call.client).incarnation() != call.client_incarnation) return;
  call.client_done = true;
  if (call.deadline_timer != 0) {
    node(call.client).clock().Cancel(call.deadline_timer);
  }
  sim_->Record(MakeEvent(EventKind::kCallDone, call.client, call.server,
                         call_id, static_cast<int32_t>(status.code()),
                         reply_hash));
  runtime::CallDone done = std::move(call.done);
  EraseIfFinished(it);
  done(std::move(status), std::move(reply));
}

void Network::EraseIfFinished(std::map<uint64_t, Call>::iterator it) {
  if (it == calls_.end()) return;
  if (it->second.client_done && it->second.server_finished) calls_.erase(it);
}

void Network::Crash(NodeId id) {
  Node& n = node(id);
  if (!n.up_) return;
  const uint64_t old_incarnation = n.incarnation_;
  n.up_ = false;
  n.paused_ = false;
  ++n.incarnation_;
  n.deferred_.clear();
  n.clock_.ResetProcess();
  n.server_.Clear();
  sim_->Record(MakeEvent(EventKind::kCrash, id));
  std::vector<uint64_t> reset;
  for (auto it = calls_.begin(); it != calls_.end();) {
    Call& call = it->second;
    if (call.client == id) call.client_done = true;
    if (call.server == id && call.arrived && !call.server_finished &&
        call.server_incarnation == old_incarnation) {
      reset.push_back(it->first);
    }
    auto next = std::next(it);
    EraseIfFinished(it);
    it = next;
  }
  for (uint64_t call_id : reset) {
    Call& call = calls_.at(call_id);
    sim_->Record(MakeEvent(EventKind::kReset, id, call.client, call_id));
    SendFailure(call_id, absl::UnavailableError("connection reset by peer"));
  }
  if (on_crash) on_crash(id);
}

void Network::Restart(NodeId id) {
  Node& n = node(id);
  if (n.up_) Crash(id);
  n.up_ = true;
  sim_->Record(MakeEvent(EventKind::kRestart, id));
  if (on_restart) on_restart(id);
}

void Network::Pause(NodeId id) {
  Node& n = node(id);
  if (!n.up_ || n.paused_) return;
  n.paused_ = true;
  sim_->Record(MakeEvent(EventKind::kPause, id));
}

void Network::Resume(NodeId id) {
  Node& n = node(id);
  if (!n.paused_) return;
  n.paused_ = false;
  sim_->Record(MakeEvent(EventKind::kResume, id));
  std::vector<std::function<void()>> work = std::move(n.deferred_);
  n.deferred_.clear();
  for (auto& w : work) n.Execute(std::move(w));
}

}  // namespace saludo::sim
