#include "sim/network.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

const uint64_t kEmptyHash = HashBytes("");

class SimChannel final : public runtime::Channel {
 public:
  SimChannel(Network* network, NodeId from, NodeId to, int port)
      : network_(network), from_(from), to_(to), port_(port) {}

  void Call(const std::string& method, std::string request,
            const runtime::CallOptions& options,
            runtime::CallDone done) override {
    network_->StartCall(from_, to_, method, std::move(request), options,
                        std::move(done), port_);
  }

 private:
  Network* const network_;
  const NodeId from_;
  const NodeId to_;
  const int port_;
};

}  // namespace

void SimServer::Register(const std::string& method, runtime::Handler handler) {
  const bool inserted = handlers_.emplace(method, std::move(handler)).second;
  SALUDO_CHECK(inserted);
}

void SimServer::RegisterStream(const std::string& method,
                               runtime::StreamHandler handler) {
  SALUDO_CHECK(handlers_.count(method) == 0);
  const bool inserted = streams_.emplace(method, std::move(handler)).second;
  SALUDO_CHECK(inserted);
}

const runtime::StreamHandler* SimServer::FindStream(
    const std::string& method) const {
  auto it = streams_.find(method);
  return it == streams_.end() ? nullptr : &it->second;
}

const runtime::Handler* SimServer::Find(const std::string& method) const {
  if (last_found_ != nullptr && last_found_->first == method) {
    return &last_found_->second;
  }
  auto it = handlers_.find(method);
  if (it != handlers_.end()) {
    last_found_ = &*it;  // map entries keep their address until Clear
    return &it->second;
  }
  return fallback_ ? &fallback_ : nullptr;
}

void SimServer::Clear() {
  last_found_ = nullptr;
  handlers_.clear();
  streams_.clear();
  fallback_ = nullptr;
}

Node::Node(Simulator* sim, NodeId id, std::string name, absl::Time wall_epoch)
    : id_(id),
      name_(std::move(name)),
      peer_("sim:" + name_),
      clock_(sim, wall_epoch,
             [this](std::function<void()> work) { Execute(std::move(work)); }) {
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
  link_slots_.clear();  // a pair that used the default may have its own now
}

const std::string* Network::Intern(absl::string_view method) {
  // The interned copy itself (a proxy forwarding a call), or the method the
  // last call had: no lookup.
  if (last_method_ != nullptr && ((method.data() == last_method_->data() &&
                                   method.size() == last_method_->size()) ||
                                  *last_method_ == method)) {
    return last_method_;
  }
  auto it = methods_.find(method);
  if (it == methods_.end()) it = methods_.emplace(method).first;
  last_method_ = &*it;
  return last_method_;
}

Network::LinkSlot& Network::FillSlot(NodeId from, NodeId to) {
  const size_t n = nodes_.size();
  SALUDO_CHECK(from >= 0 && to >= 0 && static_cast<size_t>(from) < n &&
               static_cast<size_t>(to) < n);
  if (link_slots_.size() != n * n) link_slots_.assign(n * n, LinkSlot{});
  LinkSlot& slot = link_slots_[static_cast<size_t>(from) * n + to];
  if (slot.model == nullptr) {
    slot.model = &Link(from, to);
    slot.random = &LinkRandom(from, to);
  }
  return slot;
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

std::unique_ptr<runtime::Channel> Network::Channel(NodeId from, NodeId to,
                                                   int port) {
  return std::make_unique<SimChannel>(this, from, to, port);
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

bool Network::Transmit(NodeId from, NodeId to, int64_t* latency_ns) {
  if (Blocked(from, to)) return false;
  LinkSlot& slot = SlotFor(from, to);
  const LinkModel& link = *slot.model;
  runtime::Random& random = *slot.random;
  if (link.loss > 0 && random.Bernoulli(link.loss)) return false;
  *latency_ns = link.latency.SampleNs(random);
  return true;
}

void Network::StartCall(NodeId client_node, NodeId server_node,
                        const std::string& method, std::string request,
                        const runtime::CallOptions& options,
                        runtime::CallDone done, int port) {
  StartCallOrStream(client_node, server_node, method, std::move(request),
                    options, std::move(done), nullptr, port);
}

void Network::StartStream(NodeId client_node, NodeId server_node,
                          const std::string& method, std::string request,
                          const runtime::CallOptions& options,
                          std::function<void(std::string)> on_message,
                          runtime::CallDone done) {
  auto stream = std::make_unique<StreamPart>();
  stream->on_message = std::move(on_message);
  StartCallOrStream(client_node, server_node, method, std::move(request),
                    options, std::move(done), std::move(stream), 0);
}

void Network::StartCallOrStream(NodeId client_node, NodeId server_node,
                                const std::string& method,
                                std::string request,
                                const runtime::CallOptions& options,
                                runtime::CallDone done,
                                std::unique_ptr<StreamPart> stream, int port) {
  const uint64_t id = ++next_call_id_;
  Call& call = calls_.Insert(id);
  call.port = port;
  if (!options.metadata.empty()) {
    metadata_.emplace(
        id, std::make_shared<const runtime::Metadata>(options.metadata));
  }
  if (stream != nullptr) {
    call.kind = Kind::kStream;
    call.stream = std::move(stream);
  }
  call.client = client_node;
  call.server = server_node;
  call.client_incarnation = node(client_node).incarnation_;
  call.method = Intern(method);
  const uint64_t request_hash = HashBytes(request);
  call.done = std::move(done);
  sim_->Record(EventKind::kCallStart, client_node, server_node, id, 0,
               request_hash);
  if (options.timeout != absl::InfiniteDuration()) {
    call.deadline_timer =
        node(client_node).clock().NotifyAfter(options.timeout, this, id);
  }
  SendRequest(id, std::move(request), request_hash);
}

void Network::OnTimer(uint64_t call_id) {
  Complete(call_id, absl::DeadlineExceededError("Deadline Exceeded"), "",
           kEmptyHash);
}

void Network::SendRequest(uint64_t call_id, std::string&& request,
                          uint64_t request_hash) {
  Call& call = calls_.At(call_id);
  const NodeId from = call.client;
  const NodeId to = call.server;
  LinkSlot& slot = SlotFor(from, to);
  const bool duplicate = slot.model->duplicate > 0 &&
                         slot.random->Bernoulli(slot.model->duplicate);
  const int copies = duplicate ? 2 : 1;
  int sent = 0;
  for (int copy = 0; copy < copies; ++copy) {
    int64_t latency_ns;
    if (!Transmit(from, to, &latency_ns)) {
      sim_->Record(EventKind::kRequestDropped, from, to, call_id);
      continue;
    }
    if (copy == 1) {
      sim_->Record(EventKind::kRequestDuplicated, from, to, call_id);
    }
    ++sent;
    // The last copy takes the bytes; a duplicate's first one copies them.
    std::string bytes = copy + 1 < copies ? request : std::move(request);
    sim_->AfterNs(latency_ns, [this, call_id, request_hash,
                               bytes = std::move(bytes)]() mutable {
      DeliverRequest(call_id, std::move(bytes), request_hash);
    });
  }
  if (sent == 0) FinishServer(calls_.At(call_id));
}

void Network::SetCancelHandler(uint64_t server_call_id,
                               std::function<void()> on_cancel) {
  if (Call* call = calls_.Find(server_call_id)) {
    call->on_cancel = std::move(on_cancel);
  }
}

void Network::SendCancel(uint64_t call_id) {
  Call& call = calls_.At(call_id);
  if (!Serving(call)) return;
  int64_t latency_ns;
  if (!Transmit(call.client, call.server, &latency_ns)) return;
  const NodeId server = call.server;
  const uint64_t incarnation = call.server_incarnation;
  sim_->AfterNs(latency_ns, [this, call_id, server, incarnation] {
    node(server).Execute([this, call_id, incarnation] {
      Call* call = calls_.Find(call_id);
      if (call == nullptr || ServerFinished(*call)) return;
      if (node(call->server).incarnation() != incarnation) return;
      sim_->Record(EventKind::kCancel, call->server, call->client, call_id);
      // As gRPC does: the call is over for the server; a later answer goes
      // nowhere, and whatever held it is told to let go.
      FinishServer(*call);
      std::function<void()> on_cancel = std::move(call->on_cancel);
      call->on_cancel = nullptr;
      EraseIfFinished(call_id);
      if (on_cancel) on_cancel();
    });
  });
}

uint64_t Network::StartAttempt(NodeId from, NodeId to,
                               const std::string& method,
                               absl::string_view request,
                               uint64_t reused_incarnation,
                               AttemptObserver* observer, uint64_t tag) {
  SALUDO_CHECK(observer != nullptr);
  const bool reuse_connection = reused_incarnation != kNewConnection;
  const uint64_t id = ++next_call_id_;
  Call& call = calls_.Insert(id);
  const uint64_t request_hash = HashBytes(request);
  call.BecomeAttempt(
      AttemptPart{observer, tag, reused_incarnation, request_hash});
  call.client = from;
  call.server = to;
  call.client_incarnation = node(from).incarnation_;
  call.method = Intern(method);
  sim_->Record(EventKind::kConnect, from, to, id, reuse_connection ? 1 : 0,
               request_hash);
  auto connected = [this, id, from] {
    node(from).Execute([this, id] {
      Call* call = calls_.Find(id);
      if (call == nullptr || ClientDone(*call)) return;
      if (node(call->client).incarnation() != call->client_incarnation) {
        return;
      }
      sim_->Record(EventKind::kConnected, call->client, call->server, id);
      std::string request =
          call->attempt.observer->Connected(call->attempt.tag);
      // The observer may have abandoned the attempt.
      call = calls_.Find(id);
      if (call == nullptr || ClientDone(*call)) return;
      SendRequest(id, std::move(request), call->attempt.request_hash);
    });
  };
  if (reuse_connection) {
    sim_->After(absl::ZeroDuration(), std::move(connected));
    return id;
  }
  int64_t syn_latency_ns;
  if (!Transmit(from, to, &syn_latency_ns)) {
    sim_->Record(EventKind::kRequestDropped, from, to, id);
    FinishServer(calls_.At(id));
    return id;
  }
  sim_->AfterNs(syn_latency_ns, [this, id, from, to,
                                 connected = std::move(connected)]() mutable {
    Call* call = calls_.Find(id);
    if (call == nullptr) return;
    // The kernel answers the SYN even while the process is paused.
    if (!node(to).up()) {
      sim_->Record(EventKind::kRefused, to, from, id);
      SendFailure(id, Failure::kRefused);
      return;
    }
    int64_t ack_latency_ns;
    if (!Transmit(to, from, &ack_latency_ns)) {
      sim_->Record(EventKind::kReplyDropped, to, from, id);
      FinishServer(*call);
      EraseIfFinished(id);
      return;
    }
    sim_->AfterNs(ack_latency_ns, std::move(connected));
  });
  return id;
}

void Network::AbandonAttempt(uint64_t attempt_id) {
  Call* call = calls_.Find(attempt_id);
  if (call == nullptr || ClientDone(*call)) return;
  FinishClient(*call);
  sim_->Record(EventKind::kAbandon, call->client, call->server, attempt_id);
  SendCancel(attempt_id);
  EraseIfFinished(attempt_id);
}

void Network::DeliverRequest(uint64_t call_id, std::string&& request,
                             uint64_t request_hash) {
  Call* found = calls_.Find(call_id);
  if (found == nullptr) return;
  Call& call = *found;
  Node& server = node(call.server);
  // A reused connection whose process is gone: the new one (or the kernel)
  // answers with a reset.
  const uint64_t reused = call.reused_incarnation();
  const bool stale = reused != kNewConnection && reused != server.incarnation();
  if (!server.up() || stale) {
    if (ServerFinished(call)) return;  // a duplicate of a refused request
    // An attempt's connection was established: the peer crashed since.
    const bool established = call.kind == Kind::kAttempt;
    sim_->Record(established ? EventKind::kReset : EventKind::kRefused,
                 call.server, call.client, call_id);
    SendFailure(call_id, established ? Failure::kReset : Failure::kRefused);
    return;
  }
  Arrive(call, server.incarnation_);
  const uint32_t incarnation = server.incarnation_;
  server.Execute([this, call_id, incarnation, request_hash,
                  request = std::move(request)]() mutable {
    Call* found = calls_.Find(call_id);
    if (found == nullptr) return;
    Call& call = *found;
    Node& server = node(call.server);
    if (server.incarnation() != incarnation) return;
    sim_->Record(EventKind::kRequestDelivered, call.server, call.client,
                 call_id, 0, request_hash);
    const size_t limit = server.server().max_request_bytes();
    if (limit > 0 && request.size() > limit) {
      if (ServerFinished(call)) return;  // a duplicate: answered already
      SendReply(call_id,
                absl::ResourceExhaustedError(absl::StrCat(
                    "received message larger than max (", request.size(),
                    " vs. ", limit, ")")),
                "", EventKind::kReplySent);
      return;
    }
    Serve(call_id, incarnation, std::move(request));
  });
}

void Network::Serve(uint64_t call_id, uint64_t incarnation,
                    std::string&& request) {
  Call& call = calls_.At(call_id);
  const SimServer& server = node(call.server).server();
  const runtime::Handler* handler = nullptr;
  const runtime::StreamHandler* stream_handler = nullptr;
  if (call.kind == Kind::kStream) {
    stream_handler = server.FindStream(*call.method);
  } else {
    handler = server.Find(*call.method);
  }
  if (handler == nullptr && stream_handler == nullptr) {
    if (ServerFinished(call)) return;  // a duplicate: answered already
    const bool proxy = call.kind == Kind::kStream && server.has_fallback();
    SendReply(call_id,
              absl::UnimplementedError(
                  proxy ? "the simulated proxy forwards unary calls only: " +
                              *call.method + " is a stream"
                        : "unknown method " + *call.method),
              "", EventKind::kReplySent);
    return;
  }
  runtime::ServerCall server_call;
  server_call.method = *call.method;
  server_call.peer = node(call.client).peer();
  server_call.id = call_id;
  server_call.loopback = true;  // every node models a host on loopback
  if (!metadata_.empty()) {
    auto it = metadata_.find(call_id);
    if (it != metadata_.end()) server_call.metadata = it->second;
  }
  server_call.local_port = call.port;
  server_call.set_on_cancel = [this, call_id](runtime::OnCancel on_cancel) {
    SetCancelHandler(call_id, std::move(on_cancel));
  };
  if (stream_handler != nullptr) {
    if (ServerFinished(call)) return;  // a duplicate: one stream per call
    ServeStream(call_id, incarnation, *stream_handler, std::move(request),
                std::move(server_call));
    return;
  }
  // The call and the process serving it in one word, so the responder's
  // capture fits std::function's own storage (no allocation per call).
  constexpr int kIncarnationBits = 24;
  constexpr uint64_t kIncarnationMask = (uint64_t{1} << kIncarnationBits) - 1;
  SALUDO_CHECK(call_id < (uint64_t{1} << (64 - kIncarnationBits)) &&
               incarnation <= kIncarnationMask);
  const uint64_t served = call_id << kIncarnationBits | incarnation;
  (*handler)(server_call, std::move(request),
             [this, served](absl::Status status, std::string reply) {
               const uint64_t call_id = served >> kIncarnationBits;
               Call* call = calls_.Find(call_id);
               if (call == nullptr || ServerFinished(*call)) return;
               if (node(call->server).incarnation() !=
                   (served & kIncarnationMask)) {
                 return;  // the process that got the call is gone
               }
               SendReply(call_id, std::move(status), std::move(reply),
                         EventKind::kReplySent);
             });
}

// The server's half of a simulated stream. Single-threaded, like the rest of
// the simulator; a write or finish after the call is over (or after its
// server crashed) goes nowhere.
class Network::SimServerStream final : public runtime::ServerStream {
 public:
  SimServerStream(Network* network, uint64_t call_id, uint64_t incarnation)
      : network_(network), call_id_(call_id), incarnation_(incarnation) {}

  void Write(std::string message) override {
    if (Live()) network_->SendStreamMessage(call_id_, std::move(message));
  }

  void Finish(absl::Status status) override {
    if (!Live()) return;
    network_->SendReply(call_id_, std::move(status), "",
                        EventKind::kReplySent);
  }

 private:
  bool Live() const {
    Call* call = network_->calls_.Find(call_id_);
    return call != nullptr && !ServerFinished(*call) &&
           network_->node(call->server).incarnation() == incarnation_;
  }

  Network* const network_;
  const uint64_t call_id_;
  const uint64_t incarnation_;
};

void Network::ServeStream(uint64_t call_id, uint64_t incarnation,
                          const runtime::StreamHandler& handler,
                          std::string request,
                          runtime::ServerCall server_call) {
  auto stream = std::make_shared<SimServerStream>(this, call_id, incarnation);
  runtime::StreamReader reader = handler(server_call, stream);
  if (reader.on_message) reader.on_message(std::move(request));
  if (reader.on_half_close) reader.on_half_close();
}

void Network::SendStreamMessage(uint64_t call_id, std::string message) {
  Call& call = calls_.At(call_id);
  if (call.stream->stalled) return;
  int64_t latency_ns;
  if (!Transmit(call.server, call.client, &latency_ns)) {
    sim_->Record(EventKind::kReplyDropped, call.server, call.client, call_id);
    call.stream->stalled = true;
    return;
  }
  const NodeId client = call.client;
  sim_->AfterNs(InOrder(call, latency_ns), [this, call_id, client,
                                            message =
                                                std::move(message)]() mutable {
    node(client).Execute([this, call_id, message = std::move(message)] {
      Call* call = calls_.Find(call_id);
      if (call == nullptr || ClientDone(*call)) return;
      if (node(call->client).incarnation() != call->client_incarnation) {
        return;
      }
      std::function<void(std::string)> on_message = call->stream->on_message;
      if (on_message) on_message(message);
    });
  });
}

int64_t Network::InOrder(Call& call, int64_t latency_ns) {
  if (call.stream == nullptr) return latency_ns;
  const int64_t now = sim_->now_ns();
  const int64_t arrival =
      std::max(now + latency_ns, call.stream->last_arrival_ns);
  call.stream->last_arrival_ns = arrival;
  return arrival - now;
}

void Network::SendReply(uint64_t call_id, absl::Status&& status,
                        std::string&& reply, EventKind sent_kind) {
  Call& call = calls_.At(call_id);
  FinishServer(call);
  call.on_cancel = nullptr;
  call.reply_hash = HashBytes(reply);
  sim_->Record(sent_kind, call.server, call.client, call_id,
               static_cast<int32_t>(runtime::CodeOf(status)), call.reply_hash);
  int64_t latency_ns;
  const bool stalled = call.stream != nullptr && call.stream->stalled;
  if (stalled || !Transmit(call.server, call.client, &latency_ns)) {
    sim_->Record(EventKind::kReplyDropped, call.server, call.client, call_id);
    EraseIfFinished(call_id);
    return;
  }
  // The closures hold what the record cannot (56 bytes: they stay inline in
  // their event slots); a call that is over by the time they run has
  // nothing left to complete.
  sim_->AfterNs(InOrder(call, latency_ns),
                [this, call_id, status = std::move(status),
                 reply = std::move(reply)]() mutable {
                  const Call* call = calls_.Find(call_id);
                  if (call == nullptr) return;
                  node(call->client)
                      .Execute([this, call_id, status = std::move(status),
                                reply = std::move(reply)]() mutable {
                        const Call* call = calls_.Find(call_id);
                        if (call == nullptr) return;
                        Complete(call_id, std::move(status), std::move(reply),
                                 call->reply_hash);
                      });
                });
}

void Network::SendFailure(uint64_t call_id, Failure failure) {
  Call& call = calls_.At(call_id);
  FinishServer(call);
  call.on_cancel = nullptr;
  int64_t latency_ns;
  if (!Transmit(call.server, call.client, &latency_ns)) {
    EraseIfFinished(call_id);
    return;
  }
  const NodeId client = call.client;
  sim_->AfterNs(latency_ns, [this, call_id, client, failure] {
    node(client).Execute([this, call_id, failure] {
      Call* found = calls_.Find(call_id);
      if (found == nullptr) return;
      if (found->kind == Kind::kAttempt) {
        Call& call = *found;
        if (ClientDone(call) ||
            node(call.client).incarnation() != call.client_incarnation) {
          EraseIfFinished(call_id);
          return;
        }
        FinishClient(call);
        AttemptObserver* observer =
            std::exchange(call.attempt.observer, nullptr);
        const uint64_t tag = call.attempt.tag;
        EraseIfFinished(call_id);
        if (failure == Failure::kRefused) {
          observer->Refused(tag);
        } else {
          observer->Reset(tag);
        }
        return;
      }
      Complete(call_id,
               absl::UnavailableError(failure == Failure::kRefused
                                          ? "connection refused"
                                          : "connection reset by peer"),
               "", kEmptyHash);
    });
  });
}

void Network::Complete(uint64_t call_id, absl::Status&& status,
                       std::string&& reply, uint64_t reply_hash) {
  Call* found = calls_.Find(call_id);
  if (found == nullptr) return;
  Call& call = *found;
  if (ClientDone(call)) {
    EraseIfFinished(call_id);
    return;
  }
  if (node(call.client).incarnation() != call.client_incarnation) return;
  FinishClient(call);
  if (call.deadline_timer != 0) {
    node(call.client).clock().Cancel(call.deadline_timer);
  }
  sim_->Record(EventKind::kCallDone, call.client, call.server, call_id,
               static_cast<int32_t>(runtime::CodeOf(status)), reply_hash);
  if (call.kind == Kind::kAttempt) {
    AttemptObserver* observer = std::exchange(call.attempt.observer, nullptr);
    const uint64_t tag = call.attempt.tag;
    EraseIfFinished(call_id);
    observer->Replied(tag, std::move(status), std::move(reply));
    return;
  }
  if (runtime::CodeOf(status) == absl::StatusCode::kDeadlineExceeded &&
      !ServerFinished(call)) {
    SendCancel(call_id);
  }
  runtime::CallDone done = std::move(call.done);
  EraseIfFinished(call_id);
  done(std::move(status), std::move(reply));
}

void Network::EraseIfFinished(uint64_t call_id) {
  const Call* call = calls_.Find(call_id);
  if (call == nullptr) return;
  if (ClientDone(*call) && ServerFinished(*call)) {
    calls_.Erase(call_id);
    if (!metadata_.empty()) metadata_.erase(call_id);
  }
}

void Network::Arrive(Call& call, uint32_t server_incarnation) {
  if (call.server_side == ServerSide::kTravelling) {
    call.server_side = ServerSide::kServing;
  }
  call.server_incarnation = server_incarnation;
}

void Network::FinishServer(Call& call) {
  SALUDO_CHECK(call.server_side != ServerSide::kFinished);
  call.server_side = ServerSide::kFinished;
}

void Network::FinishClient(Call& call) {
  SALUDO_CHECK(call.client_side == ClientSide::kWaiting);
  // An attempt reports to its observer exactly once, while it waits.
  SALUDO_CHECK(call.kind != Kind::kAttempt || call.attempt.observer != nullptr);
  call.client_side = ClientSide::kDone;
}

void Network::Crash(NodeId id) {
  Node& n = node(id);
  if (!n.up_) return;
  const uint64_t old_incarnation = n.incarnation_;
  n.up_ = false;
  n.paused_ = false;
  n.ended_at_.resize(n.incarnation_ + 1, absl::InfiniteDuration());
  n.ended_at_[n.incarnation_] = sim_->now();
  SALUDO_CHECK(n.incarnation_ < UINT32_MAX);  // Call keeps 32 bits of it
  ++n.incarnation_;
  n.deferred_.clear();
  n.clock_.ResetProcess();
  n.server_.Clear();
  sim_->Record(EventKind::kCrash, id);
  std::vector<uint64_t> reset;
  for (uint64_t call_id : calls_.Ids()) {  // in id order, as before
    Call& call = calls_.At(call_id);
    // The caller is gone: nothing will ever complete for it.
    if (call.client == id) call.client_side = ClientSide::kDone;
    if (call.server == id && Serving(call) &&
        call.server_incarnation == old_incarnation) {
      reset.push_back(call_id);
    }
    EraseIfFinished(call_id);
  }
  for (uint64_t call_id : reset) {
    Call& call = calls_.At(call_id);
    sim_->Record(EventKind::kReset, id, call.client, call_id);
    SendFailure(call_id, Failure::kReset);
  }
  if (on_crash) on_crash(id);
}

void Network::Restart(NodeId id) {
  Node& n = node(id);
  if (n.up_) Crash(id);
  n.up_ = true;
  sim_->Record(EventKind::kRestart, id);
  if (on_restart) on_restart(id);
}

void Network::Pause(NodeId id) {
  Node& n = node(id);
  if (!n.up_ || n.paused_) return;
  n.paused_ = true;
  sim_->Record(EventKind::kPause, id);
}

void Network::Resume(NodeId id) {
  Node& n = node(id);
  if (!n.paused_) return;
  n.paused_ = false;
  sim_->Record(EventKind::kResume, id);
  std::vector<Callback> work = std::move(n.deferred_);
  n.deferred_.clear();
  for (auto& w : work) n.Execute(std::move(w));
}

}  // namespace saludo::sim
