// The simulator's nginx: a twin of nginx 1.22's gRPC proxying, configured by
// the same file the live stack runs. It reproduces (see
// docs/NGINX_UPSTREAM.md, whose section numbers are cited in
// nginx_twin.cc): smooth weighted round robin with nginx's tie-breaking,
// max_fails/fail_timeout accounting on nginx's whole-second clock with its
// probe rule, effective-weight decay and recovery, backup and down servers,
// max_conns, the try budget and grpc_next_upstream_tries, which failures are
// retried (for gRPC only those before the request was sent) and which are
// counted, grpc_next_upstream_timeout, connect and read timeouts, "no live
// upstreams", least_conn, random [two], hash and ip_hash, upstream keepalive,
// and what the gRPC client finally sees, with and without error_page mapping.
#ifndef SALUDO_SIM_NGINX_TWIN_H_
#define SALUDO_SIM_NGINX_TWIN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nginx/config/twin_config.h"
#include "runtime/random.h"
#include "runtime/slot_table.h"
#include "runtime/timers.h"
#include "sim/network.h"
#include "sim/simulator.h"

namespace saludo::sim {

// How an attempt to a backend ended, as the twin saw it.
enum class AttemptOutcome : uint8_t {
  kAnswered,        // a reply (any status) came back
  kRefused,         // RST to the SYN: the backend is down
  kReset,           // the connection broke after sending (a crash)
  kConnectTimeout,  // grpc_connect_timeout passed (a partition, a lost SYN)
  kReadTimeout,     // grpc_read_timeout passed (a hang, a lost message)
  kCallerGone,      // the client gave up first (nginx logs 499)
};
absl::string_view AttemptOutcomeName(AttemptOutcome outcome);

// One line of nginx's access log as the twin writes it (nginx.conf's
// `upstream_log` format), and what the log line does not show.
struct TwinLogEntry {
  int status = 0;  // what nginx logged: 200, 204 (error_page), 499, 502, 504
  // Per attempt. Most calls make one, kept inline (no allocation); a retry
  // allocates. An entry is 192 bytes (256 when two were inline).
  template <typename T>
  using PerAttempt = absl::InlinedVector<T, 1>;
  PerAttempt<std::string> upstream_addr;   // per attempt, or the group name
  PerAttempt<int> upstream_status;         // per attempt (0 logs as "-")
  PerAttempt<absl::Duration> attempt_at;   // true time each attempt began
  PerAttempt<absl::Duration> attempt_end;  // ... and when it was released
  // The client's call (its network call id, as the event log names it).
  uint64_t call = 0;
  PerAttempt<uint64_t> attempt_call;  // per attempt begun: its network id
  PerAttempt<AttemptOutcome> attempt_outcome;  // per attempt ended
  absl::Duration request_time;
  // "$status upstream=$upstream_addr upstream_status=$upstream_status
  //  request_time=$request_time"
  std::string Format() const;
};

class NginxTwin {
 public:
  // Serves every call that reaches node `self`. `backends` maps each upstream
  // server address as written in the configuration ("127.0.0.1:3001") to the
  // node that answers there. Fails if an address has no node.
  static absl::StatusOr<std::unique_ptr<NginxTwin>> Create(
      Simulator* sim, Network* network, NodeId self, nginx::TwinConfig config,
      const std::map<std::string, NodeId>& backends);
  ~NginxTwin();

  const std::vector<TwinLogEntry>& access_log() const { return access_log_; }
  // Moves the access log out (access_log() is empty afterwards).
  std::vector<TwinLogEntry> TakeAccessLog() {
    return std::exchange(access_log_, {});
  }
  // A hint: `calls` more calls are coming (a load's known count). The access
  // log's capacity grows by that many entries (at most 65,536 a hint), so it
  // need not move its entries (192 bytes each) as it fills.
  void ExpectCalls(size_t calls);
  const nginx::TwinConfig& config() const { return config_; }
  const std::map<std::string, NodeId>& backends() const { return backends_; }

  // Crash and restart of the nginx node: balancing state is lost.
  void Reset();

  struct Peer;  // one upstream server's balancing state (nginx_twin.cc)

 private:
  struct PeerSet;
  struct UpstreamState;
  struct Request;
  enum class Failure { kError, kTimeout };

  NginxTwin(Simulator* sim, Network* network, NodeId self,
            nginx::TwinConfig config);
  void Handle(const runtime::ServerCall& call, std::string request,
              runtime::Responder respond);
  // Takes the newest idle connection to `peer` that nginx still believes
  // open from the cache: the backend incarnation it was made with, or
  // Network::kNewConnection if there is none.
  uint64_t TakeIdleConnection(UpstreamState& upstream, Peer* peer);
  // What every attempt reports to, with its request's id as the tag (a
  // request that is over hears nothing).
  class Observer final : public Network::AttemptObserver {
   public:
    explicit Observer(NginxTwin* twin) : twin_(twin) {}
    std::string Connected(uint64_t request_id) override;
    void Refused(uint64_t request_id) override {
      twin_->Broken(request_id, AttemptOutcome::kRefused);
    }
    void Replied(uint64_t request_id, absl::Status status,
                 std::string reply) override;
    void Reset(uint64_t request_id) override {
      twin_->Broken(request_id, AttemptOutcome::kReset);
    }

   private:
    NginxTwin* const twin_;
  };
  // The attempt's connection was refused or reset.
  void Broken(uint64_t request_id, AttemptOutcome outcome);
  void Attempt(Request& req);
  void OnFailure(Request& req, Failure failure, AttemptOutcome outcome);
  // A connect or read timer of request `request_id` went off.
  void TimedOut(uint64_t request_id, AttemptOutcome outcome);
  // The connect or read timer's target: its arg is the request's id.
  class Timeout final : public runtime::TimerTarget {
   public:
    Timeout(NginxTwin* twin, AttemptOutcome outcome)
        : twin_(twin), outcome_(outcome) {}
    void OnTimer(uint64_t request_id) override {
      twin_->TimedOut(request_id, outcome_);
    }

   private:
    NginxTwin* const twin_;
    const AttemptOutcome outcome_;
  };
  // Answers the client with nginx's own error for `http_status`.
  void Finish(Request& req, int http_status);
  // Logs the request and removes it (`req` is gone afterwards); returns its
  // responder, for the caller to answer the client with.
  runtime::Responder End(Request& req, int status);
  Peer* Pick(Request& req);
  Peer* PickRoundRobin(Request& req, PeerSet& set);
  Peer* PickLeastConn(Request& req, PeerSet& set);
  Peer* PickRandom(Request& req, PeerSet& set);
  Peer* PickHash(Request& req, PeerSet& set);
  // hash ... consistent: ketama points, walked from crc32(key).
  Peer* PickConsistent(Request& req, PeerSet& set, const std::string& key,
                       int64_t now);
  // Takes the drawn peer (or falls back to round robin if none was usable).
  Peer* TakeDrawn(Request& req, PeerSet& set, size_t chosen, int64_t now);
  void Release(Request& req, Peer* peer, bool failed);
  bool Eligible(const Request& req, const PeerSet& set, size_t i) const;
  int64_t NowSeconds();
  // nginx::RouteFor and the state of the route's upstream (null: none),
  // remembering the last answer: the configuration never changes, and most
  // calls ask for the same method (interned: one pointer to compare) on the
  // same port.
  struct Routed {
    const nginx::GrpcRoute* route = nullptr;
    UpstreamState* upstream = nullptr;
  };
  Routed RouteFor(const std::string* method, int port);

  Simulator* const sim_;
  Network* const network_;
  const NodeId self_;
  const nginx::TwinConfig config_;
  std::map<std::string, NodeId> backends_;
  std::map<std::string, std::unique_ptr<UpstreamState>> upstreams_;
  std::vector<TwinLogEntry> access_log_;
  const std::string* last_route_method_ = nullptr;  // null: nothing cached
  int last_route_port_ = -1;
  Routed last_routed_;
  // Requests in progress, until they are logged.
  uint64_t next_request_id_ = 0;
  runtime::SlotTable<Request> in_flight_;
  Observer observer_{this};
  Timeout connect_timeout_{this, AttemptOutcome::kConnectTimeout};
  Timeout read_timeout_{this, AttemptOutcome::kReadTimeout};
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_NGINX_TWIN_H_
