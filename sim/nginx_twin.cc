#include "sim/nginx_twin.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

// $remote_port: the kernel picks a client's port live, so no run can match
// it; the twin uses one fixed value (documented in docs/NGINX_TWIN.md).
constexpr int kRemotePort = 40000;

// CRC-32 (IEEE 802.3), as nginx's ngx_crc32_*.
uint32_t Crc32Update(uint32_t crc, absl::string_view data) {
  static const auto* table = [] {
    auto* t = new uint32_t[256];
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  for (unsigned char ch : data) crc = table[(crc ^ ch) & 0xff] ^ (crc >> 8);
  return crc;
}

int64_t FloorSeconds(absl::Duration d) {
  return absl::ToInt64Seconds(absl::Floor(d, absl::Seconds(1)));
}

}  // namespace

absl::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kAnswered: return "answered";
    case AttemptOutcome::kRefused: return "refused";
    case AttemptOutcome::kReset: return "reset";
    case AttemptOutcome::kConnectTimeout: return "connect timeout";
    case AttemptOutcome::kReadTimeout: return "read timeout";
    case AttemptOutcome::kCallerGone: return "caller gone";
  }
  return "?";
}

std::string TwinLogEntry::Format() const {
  std::vector<std::string> statuses;
  for (int s : upstream_status) {
    statuses.push_back(s == 0 ? "-" : absl::StrCat(s));
  }
  return absl::StrFormat(
      "%d upstream=%s upstream_status=%s request_time=%.3f", status,
      absl::StrJoin(upstream_addr, ", "), absl::StrJoin(statuses, ", "),
      std::floor(absl::ToDoubleSeconds(request_time) * 1000) / 1000);
}

// One upstream server's balancing state (nginx's ngx_http_upstream_rr_peer_t).
struct NginxTwin::Peer {
  const nginx::UpstreamPeer* conf;
  NodeId node;
  int64_t current_weight = 0;
  int64_t effective_weight;
  int64_t weight;
  int fails = 0;
  int64_t accessed = 0;  // whole epoch seconds
  int64_t checked = 0;
  int conns = 0;
  int64_t fail_timeout_s;

  bool Full() const { return conf->max_conns > 0 && conns >= conf->max_conns; }
  // What holds between any two events (rr's invariants): the effective
  // weight within [0, weight], connections counted within max_conns, the
  // last check never before the last failure.
  void CheckInvariants() const {
    SALUDO_CHECK(weight >= 1);
    SALUDO_CHECK(effective_weight >= 0 && effective_weight <= weight);
    SALUDO_CHECK(conns >= 0);
    SALUDO_CHECK(conf->max_conns == 0 || conns <= conf->max_conns);
    SALUDO_CHECK(fails >= 0);
    SALUDO_CHECK(accessed <= checked);
  }
  // rr:546-563: max_fails reached and fail_timeout not yet over.
  bool Failed(int64_t now) const {
    return conf->max_fails > 0 && fails >= conf->max_fails &&
           now - checked <= fail_timeout_s;
  }
};

struct NginxTwin::PeerSet {
  std::vector<Peer> peers;
  bool single = false;
  int non_down = 0;
  int64_t total_weight = 0;
  bool is_backup = false;
};

struct NginxTwin::UpstreamState {
  const nginx::Upstream* conf;
  PeerSet primary;
  PeerSet backup;
  runtime::Random random{0};
  // hash ... consistent: the ketama points (hash, peer index in primary),
  // sorted by hash, one per distinct hash.
  std::vector<std::pair<uint32_t, size_t>> points;
  // Idle keepalive connections, oldest first: (peer, backend incarnation).
  // A vector whose first `idle_head` entries are gone: a connection is
  // mostly taken from near the newest end (a short move), and the oldest
  // leaves in O(1), the gone ones compacted now and then.
  std::vector<std::pair<Peer*, uint64_t>> idle;
  size_t idle_head = 0;
  size_t idle_size() const { return idle.size() - idle_head; }
  void DropOldestIdle() {
    SALUDO_CHECK(idle_head < idle.size());
    ++idle_head;
    if (idle_head >= 64 && 2 * idle_head >= idle.size()) {
      idle.erase(idle.begin(), idle.begin() + idle_head);
      idle_head = 0;
    }
  }
};

// One client call through nginx.
struct NginxTwin::Request {
  uint64_t id;
  uint64_t server_call_id;
  const std::string* method;  // the network's interned copy
  std::string bytes;  // until an attempt sends them (Observer::Connected)
  runtime::Responder respond;
  const nginx::GrpcRoute* route;
  UpstreamState* upstream;
  PeerSet* set;             // the primary list, or the backups after it
  absl::InlinedVector<bool, 16> tried;  // per peer of `set`
  int tries;
  // hash state, kept across the request's retries as nginx keeps it.
  uint64_t hash_value = 0;  // hash: the sum so far; consistent: the point
  int hash_rehash = 0;
  int hash_tries = 0;
  bool hash_started = false;
  absl::Duration start;  // nginx node's monotonic clock
  // The attempt in progress.
  Peer* peer = nullptr;
  uint64_t attempt = 0;
  uint64_t connection_incarnation = 0;  // of the backend, for the cache
  std::shared_ptr<const runtime::Metadata> metadata;  // the caller's headers
  int server_port = 0;  // the listen port the call arrived at
  bool sent = false;
  runtime::TimerId timer = 0;
  bool done = false;
  TwinLogEntry log;
};

NginxTwin::NginxTwin(Simulator* sim, Network* network, NodeId self,
                     nginx::TwinConfig config)
    : sim_(sim), network_(network), self_(self), config_(std::move(config)) {}

NginxTwin::~NginxTwin() = default;

absl::StatusOr<std::unique_ptr<NginxTwin>> NginxTwin::Create(
    Simulator* sim, Network* network, NodeId self, nginx::TwinConfig config,
    const std::map<std::string, NodeId>& backends) {
  for (const auto& [name, up] : config.upstreams) {
    for (const nginx::UpstreamPeer& p : up.peers) {
      if (!backends.count(p.address)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "upstream \"", name, "\" server ", p.address, " (",
            p.where.file.empty() ? config.path : nginx::FormatLocation(p.where),
            ") is not a node of the simulation"));
      }
    }
  }
  std::unique_ptr<NginxTwin> twin(
      new NginxTwin(sim, network, self, std::move(config)));
  twin->backends_ = backends;
  twin->Reset();
  network->node(self).server().SetFallback(
      [t = twin.get()](const runtime::ServerCall& call, std::string request,
                       runtime::Responder respond) {
        t->Handle(call, std::move(request), std::move(respond));
      });
  return twin;
}

namespace {

// The ketama points of hash ... consistent (defined below).
std::vector<std::pair<uint32_t, size_t>> KetamaPoints(
    const std::vector<NginxTwin::Peer>& peers);

}  // namespace

void NginxTwin::Reset() {
  for (uint64_t id : in_flight_.Ids()) in_flight_.Erase(id);
  upstreams_.clear();
  last_route_method_ = nullptr;  // its upstream's state is gone
  for (const auto& [name, up] : config_.upstreams) {
    auto state = std::make_unique<UpstreamState>();
    state->conf = &up;
    state->random = sim_->RandomFor(
        absl::StrCat("nginx:", network_->node(self_).name(), ":", name));
    for (const nginx::UpstreamPeer& p : up.peers) {
      Peer peer;
      peer.conf = &p;
      peer.node = backends_.at(p.address);
      peer.weight = p.weight;
      peer.effective_weight = p.weight;
      peer.fail_timeout_s = FloorSeconds(p.fail_timeout);
      PeerSet& set = p.backup ? state->backup : state->primary;
      set.peers.push_back(peer);
      set.non_down += p.down ? 0 : 1;
      set.total_weight += p.weight;
    }
    state->backup.is_backup = true;
    if (up.method == nginx::BalanceMethod::kHash && up.hash_consistent) {
      state->points = KetamaPoints(state->primary.peers);
    }
    // rr:79, rr:148: one primary and no backups.
    state->primary.single =
        state->primary.peers.size() == 1 && state->backup.peers.empty();
    upstreams_[name] = std::move(state);
  }
}

NginxTwin::Routed NginxTwin::RouteFor(const std::string* method, int port) {
  if (method != last_route_method_ || port != last_route_port_) {
    last_routed_.route = nginx::RouteFor(config_, *method, port);
    const nginx::GrpcRoute* route = last_routed_.route;
    last_routed_.upstream = route != nullptr && !route->upstream.empty()
                                ? upstreams_.at(route->upstream).get()
                                : nullptr;
    last_route_method_ = method;
    last_route_port_ = port;
  }
  return last_routed_;
}

void NginxTwin::ExpectCalls(size_t calls) {
  constexpr size_t kMaxAhead = size_t{1} << 16;
  // Room for these on top of what is reserved already (two loads that start
  // together each add theirs).
  access_log_.reserve(access_log_.capacity() + std::min(calls, kMaxAhead));
}

int64_t NginxTwin::NowSeconds() {
  // ngx_time(): the node's wall clock in whole seconds.
  return network_->node(self_).clock().NowUnixSeconds();
}

void NginxTwin::Handle(const runtime::ServerCall& call, std::string request,
                       runtime::Responder respond) {
  const uint64_t id = ++next_request_id_;
  Request& req = in_flight_.Insert(id);
  req.id = id;
  req.server_call_id = call.id;
  req.method = network_->Intern(call.method);
  req.bytes = std::move(request);
  req.respond = std::move(respond);
  req.start = network_->node(self_).clock().Monotonic();
  req.server_port =
      call.local_port != 0 ? call.local_port : nginx::DefaultPort(config_);
  const Routed routed = RouteFor(req.method, req.server_port);
  req.route = routed.route;
  req.upstream = routed.upstream;  // null when the route has none
  req.metadata = call.metadata;
  if (req.route == nullptr || req.route->upstream.empty()) {
    // No location, or one that answers itself (`return`, static files):
    // nginx logs "-" for the upstream and its status.
    const nginx::ErrorAnswer answer = nginx::OwnAnswer(req.route);
    req.log.upstream_addr.push_back("-");
    req.log.upstream_status.push_back(0);
    End(req, answer.http_status)(nginx::ClientStatusFor(answer), "");
    return;
  }
  // client_max_body_size: a larger body (the gRPC frame: 5 bytes and the
  // message) gets nginx's own 413; no upstream is tried.
  if (req.route->client_max_body_size > 0 &&
      static_cast<int64_t>(req.bytes.size()) + 5 >
          req.route->client_max_body_size) {
    req.log.upstream_addr.push_back("-");
    req.log.upstream_status.push_back(0);
    Finish(req, 413);
    return;
  }
  req.set = &req.upstream->primary;
  req.tried.assign(req.set->peers.size(), false);
  // rr:299 and up:810-814: the try budget.
  req.tries = req.upstream->primary.non_down + req.upstream->backup.non_down;
  if (req.route->next_upstream_tries > 0 &&
      req.tries > req.route->next_upstream_tries) {
    req.tries = req.route->next_upstream_tries;
  }
  // The client gives up (deadline): nginx logs 499 and releases the peer as
  // a success (section 4).
  network_->SetCancelHandler(call.id, [this, id] {
    Request* req = in_flight_.Find(id);
    if (req == nullptr || req->done) return;
    if (req->peer != nullptr) {
      network_->node(self_).clock().Cancel(req->timer);
      network_->AbandonAttempt(req->attempt);
      req->log.upstream_status.push_back(0);
      req->log.attempt_end.push_back(sim_->now());
      req->log.attempt_outcome.push_back(AttemptOutcome::kCallerGone);
      Release(*req, req->peer, /*failed=*/false);
      req->peer = nullptr;
    }
    req->done = true;
    End(*req, 499);  // nobody to answer
  });
  Attempt(req);
}

bool NginxTwin::Eligible(const Request& req, const PeerSet& set,
                         size_t i) const {
  const Peer& p = set.peers[i];
  if (req.tried[i] || p.conf->down || p.Full()) return false;
  return true;
}

NginxTwin::Peer* NginxTwin::PickRoundRobin(Request& req, PeerSet& set) {
  // Section 1, rr:521-596.
  const int64_t now = NowSeconds();
  Peer* best = nullptr;
  size_t best_index = 0;
  int64_t total = 0;
  for (size_t i = 0; i < set.peers.size(); ++i) {
    if (!Eligible(req, set, i)) continue;
    Peer& p = set.peers[i];
    if (p.Failed(now)) {
      continue;
    }
    p.current_weight += p.effective_weight;
    total += p.effective_weight;
    if (p.effective_weight < p.weight) ++p.effective_weight;
    if (best == nullptr || p.current_weight > best->current_weight) {
      best = &p;
      best_index = i;
    }
  }
  if (best == nullptr) return nullptr;
  SALUDO_CHECK(!req.tried[best_index] && total >= 0);
  req.tried[best_index] = true;
  best->current_weight -= total;
  if (now - best->checked > best->fail_timeout_s) best->checked = now;
  return best;
}

NginxTwin::Peer* NginxTwin::PickLeastConn(Request& req, PeerSet& set) {
  // Section 5, lc:99-288: fewest conns per weight; ties by SWRR from the
  // first tied peer.
  const int64_t now = NowSeconds();
  Peer* best = nullptr;
  size_t best_index = 0;
  bool many = false;
  for (size_t i = 0; i < set.peers.size(); ++i) {
    if (!Eligible(req, set, i)) continue;
    Peer& p = set.peers[i];
    if (p.Failed(now)) {
      continue;
    }
    if (best == nullptr || p.conns * best->weight < best->conns * p.weight) {
      best = &p;
      best_index = i;
      many = false;
    } else if (p.conns * best->weight == best->conns * p.weight) {
      many = true;
    }
  }
  if (best == nullptr) return nullptr;
  int64_t total = 0;
  if (many) {
    const int64_t best_conns = best->conns;
    const int64_t best_weight = best->weight;
    for (size_t i = best_index; i < set.peers.size(); ++i) {
      if (!Eligible(req, set, i)) continue;
      Peer& p = set.peers[i];
      if (p.conns * best_weight != best_conns * p.weight) continue;
      if (p.Failed(now)) {
        continue;
      }
      p.current_weight += p.effective_weight;
      total += p.effective_weight;
      if (p.effective_weight < p.weight) ++p.effective_weight;
      if (p.current_weight > best->current_weight) {
        best = &p;
        best_index = i;
      }
    }
  }
  best->current_weight -= total;
  if (now - best->checked > best->fail_timeout_s) best->checked = now;
  req.tried[best_index] = true;
  return best;
}

namespace {

// The peer whose share of the total weight contains `w` (w < total weight).
size_t PeerAtWeight(const std::vector<NginxTwin::Peer>& peers, uint64_t w);

}  // namespace

NginxTwin::Peer* NginxTwin::TakeDrawn(Request& req, PeerSet& set, size_t chosen,
                                      int64_t now) {
  // No usable draw in 20: round robin (rnd, hash and iph all fall back).
  if (chosen == set.peers.size()) return PickRoundRobin(req, set);
  Peer& p = set.peers[chosen];
  if (now - p.checked > p.fail_timeout_s) p.checked = now;
  req.tried[chosen] = true;
  return &p;
}

NginxTwin::Peer* NginxTwin::PickRandom(Request& req, PeerSet& set) {
  // Section 5, rnd:203-403: weighted draws (from the simulation's PRNG),
  // up to 20, then round robin.
  const int64_t now = NowSeconds();
  runtime::Random& random = req.upstream->random;
  auto draw = [&]() -> size_t {
    return PeerAtWeight(
        set.peers, random.NextBelow(static_cast<uint64_t>(set.total_weight)));
  };
  auto usable = [&](size_t i) {
    const Peer& p = set.peers[i];
    return Eligible(req, set, i) && !p.Failed(now);
  };
  size_t chosen = set.peers.size();
  if (!req.upstream->conf->random_two) {
    for (int tries = 0; tries < 20; ++tries) {
      size_t i = draw();
      if (usable(i)) {
        chosen = i;
        break;
      }
    }
  } else {
    // Two distinct usable peers; keep the second unless it has strictly more
    // connections per weight than the first.
    size_t first = set.peers.size();
    for (int tries = 0; tries < 20; ++tries) {
      size_t i = draw();
      if (!usable(i)) continue;
      if (first == set.peers.size()) {
        first = i;
        continue;
      }
      if (i == first) continue;
      const Peer& a = set.peers[first];
      const Peer& b = set.peers[i];
      chosen = (b.conns * a.weight > a.conns * b.weight) ? first : i;
      break;
    }
  }
  return TakeDrawn(req, set, chosen, now);
}

NginxTwin::Peer* NginxTwin::PickHash(Request& req, PeerSet& set) {
  // Section 5, hash:162-282 and iph:96-240; loopback clients are 127.0.0.1.
  const int64_t now = NowSeconds();
  const nginx::Upstream& conf = *req.upstream->conf;
  auto usable = [&](size_t i) {
    const Peer& p = set.peers[i];
    return Eligible(req, set, i) && !p.Failed(now);
  };
  auto peer_at = [&](uint64_t w) { return PeerAtWeight(set.peers, w); };
  size_t chosen = set.peers.size();
  if (conf.method == nginx::BalanceMethod::kIpHash) {
    const unsigned char addr[3] = {127, 0, 0};
    uint64_t hash = 89;
    for (int tries = 0; tries < 20; ++tries) {
      for (unsigned char b : addr) hash = (hash * 113 + b) % 6271;
      size_t i = peer_at(hash % set.total_weight);
      if (usable(i)) {
        chosen = i;
        break;
      }
    }
    return TakeDrawn(req, set, chosen, now);
  }
  nginx::RequestFacts facts;
  facts.uri = *req.method;
  facts.server_port = req.server_port;
  facts.remote_port = kRemotePort;
  facts.headers = req.metadata.get();
  const std::string key = nginx::EvaluateHashKey(conf.hash_key, facts);
  // nginx 1.22 (checked against it: //tests:nginx_differential_test): an
  // empty key falls back to round robin, consistent or not.
  if (key.empty()) return PickRoundRobin(req, set);
  if (conf.hash_consistent) return PickConsistent(req, set, key, now);
  if (req.hash_tries > 20) return PickRoundRobin(req, set);
  // The sum and the rehash count carry over to the request's next try.
  while (true) {
    uint32_t crc = 0xffffffffu;
    if (req.hash_rehash > 0) crc = Crc32Update(crc, absl::StrCat(req.hash_rehash));
    crc = Crc32Update(crc, key) ^ 0xffffffffu;
    req.hash_value += (crc >> 16) & 0x7fff;
    ++req.hash_rehash;
    const size_t i = peer_at(req.hash_value % set.total_weight);
    if (usable(i)) {
      chosen = i;
      break;
    }
    if (++req.hash_tries > 20) return PickRoundRobin(req, set);
  }
  return TakeDrawn(req, set, chosen, now);
}

NginxTwin::Peer* NginxTwin::PickConsistent(Request& req, PeerSet& set,
                                           const std::string& key,
                                           int64_t now) {
  const auto& points = req.upstream->points;
  if (points.empty()) return nullptr;
  if (!req.hash_started) {
    // The first point at or after crc32(key).
    const uint32_t hash = Crc32Update(0xffffffffu, key) ^ 0xffffffffu;
    req.hash_value = std::lower_bound(points.begin(), points.end(),
                                      std::make_pair(hash, size_t{0})) -
                     points.begin();
    req.hash_started = true;
  }
  while (true) {
    const std::string& server =
        set.peers[points[req.hash_value % points.size()].second].conf->address;
    // Among the peers of that server, smooth weighted round robin.
    size_t best = set.peers.size();
    int64_t total = 0;
    for (size_t i = 0; i < set.peers.size(); ++i) {
      Peer& p = set.peers[i];
      if (p.conf->address != server || !Eligible(req, set, i) || p.Failed(now)) {
        continue;
      }
      p.current_weight += p.effective_weight;
      total += p.effective_weight;
      if (p.effective_weight < p.weight) ++p.effective_weight;
      if (best == set.peers.size() ||
          p.current_weight > set.peers[best].current_weight) {
        best = i;
      }
    }
    if (best != set.peers.size()) {
      set.peers[best].current_weight -= total;
      Peer& p = set.peers[best];
      if (now - p.checked > p.fail_timeout_s) p.checked = now;
      req.tried[best] = true;
      return &p;
    }
    ++req.hash_value;
    // Every point tried: "no live upstreams" (no round robin fallback).
    if (++req.hash_tries >= static_cast<int>(points.size())) return nullptr;
  }
}

namespace {

// nginx's ketama points: per peer, 160 per unit of weight, each the crc32 of
// HOST \0 PORT and the previous point's 4 bytes (little-endian); sorted,
// with repeated hashes dropped.
std::vector<std::pair<uint32_t, size_t>> KetamaPoints(
    const std::vector<NginxTwin::Peer>& peers) {
  std::vector<std::pair<uint32_t, size_t>> points;
  for (size_t i = 0; i < peers.size(); ++i) {
    const std::string& server = peers[i].conf->address;
    size_t colon = server.rfind(':');
    const bool has_port =
        colon != std::string::npos && colon + 1 < server.size() &&
        server.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    const std::string host = has_port ? server.substr(0, colon) : server;
    const std::string port = has_port ? server.substr(colon + 1) : "";
    uint32_t base = Crc32Update(0xffffffffu, host);
    base = Crc32Update(base, absl::string_view("\0", 1));
    base = Crc32Update(base, port);
    uint32_t prev = 0;
    for (int64_t j = 0; j < peers[i].weight * 160; ++j) {
      const char bytes[4] = {static_cast<char>(prev & 0xff),
                             static_cast<char>((prev >> 8) & 0xff),
                             static_cast<char>((prev >> 16) & 0xff),
                             static_cast<char>((prev >> 24) & 0xff)};
      const uint32_t hash =
          Crc32Update(base, absl::string_view(bytes, 4)) ^ 0xffffffffu;
      points.emplace_back(hash, i);
      prev = hash;
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  points.erase(std::unique(points.begin(), points.end(),
                           [](const auto& a, const auto& b) {
                             return a.first == b.first;
                           }),
               points.end());
  return points;
}

size_t PeerAtWeight(const std::vector<NginxTwin::Peer>& peers, uint64_t w) {
  size_t i = 0;
  while (w >= static_cast<uint64_t>(peers[i].weight)) {
    w -= peers[i].weight;
    ++i;
  }
  return i;
}

}  // namespace

NginxTwin::Peer* NginxTwin::Pick(Request& req) {
  SALUDO_CHECK(req.peer == nullptr && !req.done);  // one attempt at a time
  while (true) {
    PeerSet& set = *req.set;
    SALUDO_CHECK(req.tried.size() == set.peers.size());
    Peer* peer = nullptr;
    if (set.single) {
      // rr:449-460: a single server ignores fails and weights.
      Peer& p = set.peers[0];
      if (!p.conf->down && !p.Full()) peer = &p;
    } else if (!set.peers.empty()) {
      switch (req.upstream->conf->method) {
        case nginx::BalanceMethod::kRoundRobin:
          peer = PickRoundRobin(req, set);
          break;
        case nginx::BalanceMethod::kLeastConn:
          peer = PickLeastConn(req, set);
          break;
        case nginx::BalanceMethod::kRandom:
          peer = PickRandom(req, set);
          break;
        case nginx::BalanceMethod::kHash:
        case nginx::BalanceMethod::kIpHash:
          peer = PickHash(req, set);
          break;
      }
    }
    if (peer != nullptr) {
      SALUDO_CHECK(!peer->conf->down && !peer->Full());  // rr:546-563
      ++peer->conns;
      peer->CheckInvariants();
      return peer;
    }
    // rr:487-511: fall back to the backups, with a fresh `tried`.
    if (!set.is_backup && !req.upstream->backup.peers.empty()) {
      req.set = &req.upstream->backup;
      req.tried.assign(req.set->peers.size(), false);
      continue;
    }
    return nullptr;
  }
}

void NginxTwin::Release(Request& req, Peer* peer, bool failed) {
  // Section 2, rr:599-670.
  SALUDO_CHECK(peer->conns > 0);  // released once per pick
  --peer->conns;
  if (req.set->single) {
    req.tries = 0;
    return;
  }
  const int64_t now = NowSeconds();
  if (failed) {
    ++peer->fails;
    peer->accessed = now;
    peer->checked = now;
    if (peer->conf->max_fails > 0) {
      peer->effective_weight -= peer->weight / peer->conf->max_fails;
    }
    if (peer->effective_weight < 0) peer->effective_weight = 0;
  } else if (peer->accessed < peer->checked) {
    peer->fails = 0;
  }
  if (req.tries > 0) --req.tries;
  peer->CheckInvariants();
}

void NginxTwin::Attempt(Request& req) {
  Peer* peer = Pick(req);
  if (peer == nullptr) {
    // up:1552-1556: "no live upstreams"; NOLIVE is never retried.
    req.log.upstream_addr.push_back(req.upstream->conf->name);
    req.log.upstream_status.push_back(502);
    Finish(req, 502);
    return;
  }
  req.peer = peer;
  req.sent = false;
  req.log.upstream_addr.push_back(peer->conf->address);
  req.log.attempt_at.push_back(sim_->now());
  NodeClock& clock = network_->node(self_).clock();
  const uint64_t reused = TakeIdleConnection(*req.upstream, peer);
  // The backend process this attempt's connection is with (a new one is
  // made with the process up now).
  req.connection_incarnation = reused != Network::kNewConnection
                                   ? reused
                                   : network_->node(peer->node).incarnation();
  req.attempt = network_->StartAttempt(self_, peer->node, *req.method,
                                       req.bytes, reused, &observer_, req.id);
  req.log.attempt_call.push_back(req.attempt);
  if (reused == Network::kNewConnection) {
    // up:1648-1650: the connect timer.
    req.timer = clock.NotifyAfter(req.route->connect_timeout, &connect_timeout_,
                                  req.id);
  }
}

void NginxTwin::TimedOut(uint64_t request_id, AttemptOutcome outcome) {
  // A request is in flight until it is logged; a timer outliving it (it is
  // cancelled on every other end) finds nothing to do.
  Request* req = in_flight_.Find(request_id);
  if (req == nullptr) return;
  network_->AbandonAttempt(req->attempt);
  OnFailure(*req, Failure::kTimeout, outcome);
}

uint64_t NginxTwin::TakeIdleConnection(UpstreamState& upstream, Peer* peer) {
  // Section 6: a cached idle connection to this peer skips the handshake,
  // newest first. One whose backend process ended is closed by that process
  // (FIN/RST); nginx drops it when the close arrives, the link's minimum
  // latency later (never across a partition). Until then nginx still takes
  // it, and the request meets a reset after it was sent.
  auto& idle = upstream.idle;
  const Node& backend = network_->node(peer->node);
  for (size_t i = idle.size(); i > upstream.idle_head;) {
    --i;
    if (idle[i].first != peer) continue;
    const uint64_t incarnation = idle[i].second;
    idle.erase(idle.begin() + i);  // the ones before i are visited next
    if (backend.up() && backend.incarnation() == incarnation) {
      return incarnation;  // alive
    }
    const absl::Duration close_delay =
        network_->Link(peer->node, self_).latency.Lower();
    const bool close_seen =
        !network_->Blocked(peer->node, self_) &&
        sim_->now() >= backend.ended_at(incarnation) + close_delay;
    if (!close_seen) return incarnation;
  }
  return Network::kNewConnection;
}

std::string NginxTwin::Observer::Connected(uint64_t request_id) {
  NginxTwin& twin = *twin_;
  Request* req = twin.in_flight_.Find(request_id);
  // A request that is over abandoned its attempt, or saw it end: the network
  // reports nothing more of it.
  SALUDO_CHECK(req != nullptr && !req->done);
  NodeClock& clock = twin.network_->node(twin.self_).clock();
  clock.Cancel(req->timer);
  req->sent = true;  // up:2189-2210: set on the first write
  // up:2156-2163: the read timer runs from the end of sending.
  req->timer = clock.NotifyAfter(req->route->read_timeout, &twin.read_timeout_,
                                 request_id);
  // Sent, the request is never tried at another peer (OnFailure), so the
  // bytes go with it: no copy of them per attempt.
  return std::move(req->bytes);
}

void NginxTwin::Broken(uint64_t request_id, AttemptOutcome outcome) {
  Request* req = in_flight_.Find(request_id);
  if (req == nullptr || req->done) return;
  network_->node(self_).clock().Cancel(req->timer);
  OnFailure(*req, Failure::kError, outcome);
}

void NginxTwin::Observer::Replied(uint64_t request_id, absl::Status status,
                                  std::string reply) {
  NginxTwin& twin = *twin_;
  Request* req = twin.in_flight_.Find(request_id);
  if (req == nullptr || req->done) return;
  twin.network_->node(twin.self_).clock().Cancel(req->timer);
  Peer* peer = req->peer;
  req->peer = nullptr;
  twin.Release(*req, peer, /*failed=*/false);
  // A clean end of stream: the connection goes back to the cache.
  if (req->upstream->conf->keepalive > 0) {
    UpstreamState& upstream = *req->upstream;
    upstream.idle.emplace_back(peer, req->connection_incarnation);
    while (static_cast<int>(upstream.idle_size()) > upstream.conf->keepalive) {
      upstream.DropOldestIdle();
    }
  }
  req->log.upstream_status.push_back(200);
  req->log.attempt_end.push_back(twin.sim_->now());
  req->log.attempt_outcome.push_back(AttemptOutcome::kAnswered);
  req->done = true;
  twin.End(*req, 200)(std::move(status), std::move(reply));
}

void NginxTwin::OnFailure(Request& req, Failure failure,
                          AttemptOutcome outcome) {
  if (req.done || req.peer == nullptr) return;
  // Section 3, up:4276-4429: the peer is released as failed whether or not
  // nginx retries.
  req.log.upstream_status.push_back(failure == Failure::kTimeout ? 504 : 502);
  req.log.attempt_end.push_back(sim_->now());
  req.log.attempt_outcome.push_back(outcome);
  Peer* peer = req.peer;
  req.peer = nullptr;
  Release(req, peer, /*failed=*/true);
  const uint32_t flag =
      failure == Failure::kTimeout ? nginx::kNextTimeout : nginx::kNextError;
  const absl::Duration elapsed =
      network_->node(self_).clock().Monotonic() - req.start;
  const absl::Duration limit = req.route->next_upstream_timeout;
  if (req.tries == 0 || (req.route->next_upstream & flag) == 0 || req.sent ||
      (limit > absl::ZeroDuration() && elapsed >= limit)) {
    Finish(req, failure == Failure::kTimeout ? 504 : 502);
    return;
  }
  Attempt(req);
}

void NginxTwin::Finish(Request& req, int http_status) {
  SALUDO_CHECK(!req.done && req.peer == nullptr);  // answered once, released
  req.done = true;
  const nginx::ErrorAnswer answer = nginx::NginxAnswer(req.route, http_status);
  End(req, answer.http_status)(nginx::ClientStatusFor(answer), "");
}

runtime::Responder NginxTwin::End(Request& req, int status) {
  // One status per attempt that ended; every attempt began with an address.
  SALUDO_CHECK(req.log.attempt_end.size() <= req.log.attempt_at.size());
  SALUDO_CHECK(req.log.upstream_status.size() <= req.log.upstream_addr.size());
  SALUDO_CHECK(in_flight_.Find(req.id) == &req);
  SALUDO_CHECK(req.log.attempt_outcome.size() == req.log.attempt_end.size());
  SALUDO_CHECK(req.log.attempt_call.size() == req.log.attempt_at.size());
  req.log.status = status;
  req.log.call = req.server_call_id;
  req.log.request_time = network_->node(self_).clock().Monotonic() - req.start;
  // The event names the upstreams tried, "a,b" (one: no string is joined).
  const auto& upstreams = req.log.upstream_addr;
  const uint64_t upstreams_hash =
      upstreams.size() == 1 ? HashBytes(upstreams[0])
                            : HashBytes(absl::StrJoin(upstreams, ","));
  sim_->RecordWithDetail(EventKind::kNote, self_, -1, 0, status, upstreams_hash,
                         [&req] { return "nginx " + req.log.Format(); });
  access_log_.push_back(std::move(req.log));
  runtime::Responder respond = std::move(req.respond);
  in_flight_.Erase(req.id);  // the request is over: `req` is gone
  return respond;
}

}  // namespace saludo::sim
