// The simulated network: nodes (each with its clock, timers and server
// registry), one-way links with latency distributions, loss and duplication,
// partitions over time windows, and node faults (crash, restart, pause).
// Requests and replies cross it as serialized bytes and complete with gRPC
// status codes, as they do live.
//
// Connection outcomes a proxy can tell apart:
//   node down at arrival      -> refused: UNAVAILABLE after a round trip
//   partition or lost message -> nothing: the caller's deadline decides
//   server crashes mid-call   -> reset: UNAVAILABLE after the return latency
//   service hangs or errors   -> whatever the service does (FaultState)
#ifndef SALUDO_SIM_NETWORK_H_
#define SALUDO_SIM_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/check.h"
#include "runtime/random.h"
#include "runtime/rpc.h"
#include "runtime/slot_table.h"
#include "runtime/timers.h"
#include "sim/callback.h"
#include "sim/distribution.h"
#include "sim/node_clock.h"
#include "sim/simulator.h"

namespace saludo::sim {

using NodeId = int32_t;

struct LinkModel {
  Distribution latency = Distribution::Fixed(absl::Microseconds(50));
  double loss = 0;       // probability that a message is lost
  double duplicate = 0;  // probability that a request is delivered twice
};

// A node's server side: handlers by method, and an optional catch-all (for
// proxies such as the load balancer).
class SimServer final : public runtime::HandlerRegistry {
 public:
  void Register(const std::string& method, runtime::Handler handler) override;
  void RegisterStream(const std::string& method,
                      runtime::StreamHandler handler) override;
  void SetFallback(runtime::Handler handler) { fallback_ = std::move(handler); }
  bool has_fallback() const { return fallback_ != nullptr; }
  // The handler for `method`, or nullptr.
  const runtime::Handler* Find(const std::string& method) const;
  // The streaming handler for `method`, or nullptr.
  const runtime::StreamHandler* FindStream(const std::string& method) const;
  void Clear();
  // Requests larger than this get RESOURCE_EXHAUSTED from the transport
  // (0: no limit, as for a proxy).
  void SetMaxRequestBytes(size_t bytes) { max_request_bytes_ = bytes; }
  size_t max_request_bytes() const { return max_request_bytes_; }

 private:
  std::map<std::string, runtime::Handler> handlers_;
  std::map<std::string, runtime::StreamHandler> streams_;
  runtime::Handler fallback_;
  size_t max_request_bytes_ = 0;
  // The entry of handlers_ Find found last (a server mostly gets calls of
  // one method: one string comparison instead of a walk down the map).
  mutable const std::pair<const std::string, runtime::Handler>* last_found_ =
      nullptr;
};

class Node {
 public:
  Node(Simulator* sim, NodeId id, std::string name, absl::Time wall_epoch);

  NodeId id() const { return id_; }
  const std::string& name() const { return name_; }
  // How a server sees a call from this node: ServerCall::peer.
  const std::string& peer() const { return peer_; }
  NodeClock& clock() { return clock_; }
  SimServer& server() { return server_; }
  bool up() const { return up_; }
  bool paused() const { return paused_; }
  uint64_t incarnation() const { return incarnation_; }
  // When incarnation `i` ended (its crash), or infinite if it has not.
  absl::Duration ended_at(uint64_t i) const {
    return i < ended_at_.size() ? ended_at_[i] : absl::InfiniteDuration();
  }

  // Runs `work` on this node now; while paused it waits for Resume; when the
  // node is down it is dropped. `work` is anything a Callback is made from:
  // it becomes one only if it has to wait (the common case calls it as it
  // is, with nothing wrapped, moved or destroyed on the way).
  template <typename F>
  void Execute(F&& work) {
    if (!up_) return;
    if (paused_) {
      deferred_.emplace_back(std::forward<F>(work));
      return;
    }
    work();
  }

 private:
  friend class Network;
  const NodeId id_;
  const std::string name_;
  const std::string peer_;  // "sim:" + name_
  NodeClock clock_;
  SimServer server_;
  bool up_ = true;
  bool paused_ = false;
  uint32_t incarnation_ = 0;              // Crash checks it never wraps
  std::vector<absl::Duration> ended_at_;  // by incarnation
  std::vector<Callback> deferred_;
};

class Network final : private runtime::TimerTarget {
 public:
  // REQUIRES: `sim` outlives this object.
  explicit Network(Simulator* sim);
  ~Network();

  // Adds a node; its wall clock starts at `wall_epoch` (plus any faults).
  NodeId AddNode(const std::string& name,
                 absl::Time wall_epoch = absl::FromUnixSeconds(1767225600));
  Node& node(NodeId id) { return *nodes_.at(id); }
  size_t node_count() const { return nodes_.size(); }
  // The id of the node called `name`, or -1.
  NodeId Find(const std::string& name) const;

  // Links are one-way; unset links use the default.
  void SetDefaultLink(const LinkModel& link) { default_link_ = link; }
  void SetLink(NodeId from, NodeId to, const LinkModel& link);
  const LinkModel& Link(NodeId from, NodeId to) const;

  // Messages from `from` to `to` (and back too unless `one_way`) are lost
  // during [start, end).
  void AddPartition(NodeId from, NodeId to, absl::Duration start,
                    absl::Duration end, bool one_way);
  bool Blocked(NodeId from, NodeId to) const;

  // A client channel from node `from` to node `to`; calls on it arrive at
  // `port` (ServerCall::local_port: a proxy with several listen ports tells
  // them apart; 0: unspecified).
  std::unique_ptr<runtime::Channel> Channel(NodeId from, NodeId to,
                                            int port = 0);

  // Node faults. Crash: the node stops at once, its timers and pending work
  // are dropped, calls it was serving are reset, calls it made never
  // complete. `on_crash` / `on_restart` let the owner destroy and rebuild the
  // node's process state (restart = fresh state).
  void Crash(NodeId id);
  void Restart(NodeId id);
  void Pause(NodeId id);
  void Resume(NodeId id);
  std::function<void(NodeId)> on_crash;
  std::function<void(NodeId)> on_restart;

  // Starts a call as `client_node` would through a Channel. If the caller's
  // deadline passes first, the server side is told (a cancellation crosses
  // the link) and may react through SetCancelHandler.
  void StartCall(NodeId client_node, NodeId server_node,
                 const std::string& method, std::string request,
                 const runtime::CallOptions& options, runtime::CallDone done,
                 int port = 0);

  // Starts a server-streaming call (e.g. grpc.health.v1.Health/Watch): the
  // request, then a half close. `on_message` runs on the client node for
  // each message the server writes, in order; `done` runs once, after them,
  // with the server's status (or the deadline, a reset, a refusal). A stream
  // is one connection: a message lost on the link (loss, partition) stalls
  // it for good, as a dead TCP connection does, and the deadline decides.
  // Only a node's own streaming handlers serve it (the nginx twin forwards
  // unary calls only): otherwise UNIMPLEMENTED.
  void StartStream(NodeId client_node, NodeId server_node,
                   const std::string& method, std::string request,
                   const runtime::CallOptions& options,
                   std::function<void(std::string)> on_message,
                   runtime::CallDone done);

  // For handlers that care (a proxy): runs `on_cancel` on the server node if
  // the caller gives up on call `server_call_id` (ServerCall::id) before it
  // was answered.
  void SetCancelHandler(uint64_t server_call_id,
                        std::function<void()> on_cancel);

  // A proxy's attempt at the transport level, so it can tell the outcomes
  // apart the way nginx does. Each method gets the `tag` the proxy gave
  // StartAttempt; they run on `from`, never inside the call that started the
  // attempt, and at most one of Refused/Replied/Reset runs.
  class AttemptObserver {
   public:
    virtual ~AttemptObserver() = default;
    // The connection is up and the request is being sent: returns its bytes
    // (the ones StartAttempt hashed). Until then the proxy keeps them, to try
    // another peer if this one fails first.
    virtual std::string Connected(uint64_t tag) = 0;
    // RST in answer to the SYN.
    virtual void Refused(uint64_t tag) = 0;
    virtual void Replied(uint64_t tag, absl::Status status,
                         std::string reply) = 0;
    // The connection broke after the request was sent.
    virtual void Reset(uint64_t tag) = 0;
  };
  // Opens a connection from `from` to `to` and sends the request once
  // connected (its bytes come from the observer's Connected then; `request`,
  // the same bytes, is only hashed here); a lost SYN or SYN-ACK means no
  // callback at all: the proxy's
  // connect timer decides. With `reused_incarnation` (kNewConnection: none)
  // it reuses a connection established with that incarnation of `to`: no
  // handshake, and if that process is gone by the time the request arrives
  // (crashed, or restarted as a new one), the connection resets.
  // REQUIRES: `observer` outlives the attempt (until an outcome or
  // AbandonAttempt).
  static constexpr uint64_t kNewConnection = ~uint64_t{0};
  uint64_t StartAttempt(NodeId from, NodeId to, const std::string& method,
                        absl::string_view request, uint64_t reused_incarnation,
                        AttemptObserver* observer, uint64_t tag);
  // The proxy gave up (a timeout): no more callbacks; a server that already
  // has the request sees a cancellation.
  void AbandonAttempt(uint64_t attempt_id);

  // The one copy of `method` every call of it points to (a call record holds
  // a pointer, not a string of its own), for as long as the network lives;
  // a ServerCall's `method` views it, so a proxy can keep the pointer too.
  const std::string* Intern(absl::string_view method);

  uint64_t calls_started() const { return next_call_id_; }
  size_t calls_in_flight() const { return calls_.size(); }

 private:
  // A call, or a proxy's attempt, as two sides with explicit states. Every
  // change goes through one of the transition functions below, which check
  // the state it leaves.
  enum class Kind : uint8_t {
    kCall,     // a Channel's call: completes with a status
    kAttempt,  // a proxy's attempt: reports to its AttemptObserver
    kStream,   // a server-streaming call: messages, then a status
  };
  enum class ServerSide : uint8_t {
    kTravelling,  // the request (or the SYN) is on its way
    kServing,     // it reached a live server; a handler has it
    kFinished,    // replied, refused, reset, or every copy lost
  };
  enum class ClientSide : uint8_t {
    kWaiting,  // the caller waits for an outcome
    kDone,     // completed, gave up, or the caller crashed
  };
  // What a streaming call has beyond a unary one.
  struct StreamPart {
    std::function<void(std::string)> on_message;
    // When the last message sent reaches the client: later ones never
    // overtake it (one connection, in order).
    int64_t last_arrival_ns = 0;
    bool stalled = false;  // a message was lost: nothing more arrives
  };
  class SimServerStream;
  // What an attempt has where a call has its completion callback.
  struct AttemptPart {
    AttemptObserver* observer = nullptr;  // null once it has reported
    uint64_t tag = 0;
    uint64_t reused_incarnation = kNewConnection;
    // Hashed once when it starts, recorded again when it is connected and
    // its request is sent (a call's travels with its request instead).
    uint64_t request_hash = 0;
  };
  // The small fields come first, packed into 24 bytes (a node has fewer
  // than 2^32 incarnations); the method is a pointer to one shared copy; a
  // call's callback and an attempt's observer share their bytes (200 -> 184
  // -> 168 bytes; 176 with the reply's hash, which keeps the reply's
  // closures inline; 168 with 32-bit incarnations; 144 with the union).
  struct Call {
    Call() : done() {}
    ~Call() {
      if (kind == Kind::kAttempt) {
        std::destroy_at(&attempt);
      } else {
        std::destroy_at(&done);
      }
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    // Makes a new call an attempt. REQUIRES: kind is kCall.
    void BecomeAttempt(const AttemptPart& part) {
      SALUDO_CHECK(kind == Kind::kCall);
      std::destroy_at(&done);
      new (&attempt) AttemptPart(part);
      kind = Kind::kAttempt;
    }
    // The reused connection's incarnation; kNewConnection for a new one and
    // for whatever is not an attempt.
    uint64_t reused_incarnation() const {
      return kind == Kind::kAttempt ? attempt.reused_incarnation
                                    : kNewConnection;
    }

    Kind kind = Kind::kCall;
    ServerSide server_side = ServerSide::kTravelling;
    ClientSide client_side = ClientSide::kWaiting;
    NodeId client;
    NodeId server;
    int port = 0;  // the caller's target
    uint32_t client_incarnation;
    uint32_t server_incarnation = 0;  // set when the request arrives
    runtime::TimerId deadline_timer = 0;
    const std::string* method = nullptr;  // Intern()ed
    uint64_t reply_hash = 0;              // set when the reply is sent
    union {
      runtime::CallDone done;  // kCall and kStream
      AttemptPart attempt;     // kAttempt
    };
    std::function<void()> on_cancel;     // set by the server's handler
    std::unique_ptr<StreamPart> stream;  // streams only
  };
  // Refused: RST to the SYN. Reset: the connection broke (crash).
  enum class Failure { kRefused, kReset };
  struct Partition {
    NodeId from, to;
    int64_t start_ns, end_ns;
    bool one_way;
  };

  // Samples the latency of one message (ns), or returns false if it is lost.
  bool Transmit(NodeId from, NodeId to, int64_t* latency_ns);
  void StartCallOrStream(NodeId client_node, NodeId server_node,
                         const std::string& method, std::string request,
                         const runtime::CallOptions& options,
                         runtime::CallDone done,
                         std::unique_ptr<StreamPart> stream, int port);
  void DeliverRequest(uint64_t call_id, std::string&& request,
                      uint64_t request_hash);
  // Runs the server node's handler for a request that arrived.
  void Serve(uint64_t call_id, uint64_t incarnation, std::string&& request);
  void SendReply(uint64_t call_id, absl::Status&& status, std::string&& reply,
                 EventKind sent_kind);
  // Serves a stream's request with `handler` on the server node.
  void ServeStream(uint64_t call_id, uint64_t incarnation,
                   const runtime::StreamHandler& handler, std::string request,
                   runtime::ServerCall server_call);
  // Sends one message of a stream to its client (a Write).
  void SendStreamMessage(uint64_t call_id, std::string message);
  // The delay (ns) of a message of `call` sent now with link latency
  // `latency_ns`: later than every earlier message of a stream.
  int64_t InOrder(Call& call, int64_t latency_ns);
  // A call's deadline passed: `call_id` is the call's id.
  void OnTimer(uint64_t call_id) override;
  void Complete(uint64_t call_id, absl::Status&& status, std::string&& reply,
                uint64_t reply_hash);
  // Sends a refusal or reset from the server back to the client.
  void SendFailure(uint64_t call_id, Failure failure);
  // Sends the request (copies, if duplicated) of a call over the link.
  void SendRequest(uint64_t call_id, std::string&& request,
                   uint64_t request_hash);
  // The caller gave up: tell the server side.
  void SendCancel(uint64_t call_id);
  // Erases the call once both its sides are over (no-op if it is gone).
  void EraseIfFinished(uint64_t call_id);
  // Transitions. Arrive: travelling -> serving (a duplicate may arrive again
  // in any state; it is served again and its answer dropped).
  static void Arrive(Call& call, uint32_t server_incarnation);
  // Any -> finished (a second finish is a bug).
  static void FinishServer(Call& call);
  // Waiting -> done.
  static void FinishClient(Call& call);
  static bool Serving(const Call& call) {
    return call.server_side == ServerSide::kServing;
  }
  static bool ServerFinished(const Call& call) {
    return call.server_side == ServerSide::kFinished;
  }
  static bool ClientDone(const Call& call) {
    return call.client_side == ClientSide::kDone;
  }
  runtime::Random& LinkRandom(NodeId from, NodeId to);
  // A pair's link model and random stream, found by index on every message
  // instead of in two maps (std::map values keep their addresses; the
  // default link is updated in place).
  struct LinkSlot {
    const LinkModel* model = nullptr;  // null: not looked up yet
    runtime::Random* random = nullptr;
  };
  LinkSlot& SlotFor(NodeId from, NodeId to) {
    const size_t n = nodes_.size();
    const size_t i = static_cast<size_t>(from) * n + static_cast<size_t>(to);
    // The common case inline: both ids in range, the pair looked up before.
    if (static_cast<size_t>(from) < n && static_cast<size_t>(to) < n &&
        link_slots_.size() == n * n && link_slots_[i].model != nullptr) {
      return link_slots_[i];
    }
    return FillSlot(from, to);
  }
  // SlotFor the first time: checks the ids, sizes the table, looks up.
  LinkSlot& FillSlot(NodeId from, NodeId to);

  Simulator* const sim_;
  std::vector<std::unique_ptr<Node>> nodes_;
  LinkModel default_link_;
  std::map<std::pair<NodeId, NodeId>, LinkModel> links_;
  std::map<std::pair<NodeId, NodeId>, runtime::Random> link_random_;
  // [from * node_count + to]; emptied when a link is set or a node added.
  std::vector<LinkSlot> link_slots_;
  std::set<std::string, std::less<>> methods_;  // nodes never move
  const std::string* last_method_ = nullptr;  // the last one Intern()ed
  std::vector<Partition> partitions_;
  uint64_t next_call_id_ = 0;
  runtime::SlotTable<Call> calls_;
  // The metadata of the calls in calls_ that have any (few do: it is kept
  // here rather than in every call's record).
  std::map<uint64_t, std::shared_ptr<const runtime::Metadata>> metadata_;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_NETWORK_H_
