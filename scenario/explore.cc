#include "scenario/explore.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nginx/config/twin_config.h"
#include "proto/saludo_method.h"
#include "scenario/loader.h"
#include "scenario/model.h"

namespace saludo::scenario {
namespace {

using absl::FormatDuration;

constexpr absl::Duration kMaxRun = absl::Hours(1);

absl::Status CheckOptions(const ExploreOptions& o) {
  if (o.duration <= absl::ZeroDuration() || o.duration > kMaxRun) {
    return absl::InvalidArgumentError("--duration must be in (0, 1h]");
  }
  if (o.deadline <= absl::ZeroDuration() || o.deadline > kMaxRun) {
    return absl::InvalidArgumentError("--deadline must be in (0, 1h]");
  }
  if (o.concurrency < 1 || o.concurrency > 1000) {
    return absl::InvalidArgumentError("--concurrency must be in [1, 1000]");
  }
  if (o.attempts_at_most < 1 || o.attempts_at_most > 100) {
    return absl::InvalidArgumentError("--max_attempts must be in [1, 100]");
  }
  return absl::OkStatus();
}

// The routes that pass to a known upstream: first the one the explore
// client's calls (/Saludo/saludar) take, as the twin picks it, which the
// latency bound and balanced shares follow; then the others in file order
// (their upstreams need backends too). Empty if no route serves the calls.
std::vector<const nginx::GrpcRoute*> Routes(const nginx::TwinConfig& c) {
  const nginx::GrpcRoute* saludo = nginx::RouteFor(c, kSaludarMethod);
  if (saludo == nullptr || c.upstreams.count(saludo->upstream) == 0) return {};
  std::vector<const nginx::GrpcRoute*> routes = {saludo};
  for (const nginx::ServerBlock& server : c.servers) {
    for (const nginx::GrpcRoute& route : server.routes) {
      if (&route != saludo && c.upstreams.count(route.upstream)) {
        routes.push_back(&route);
      }
    }
  }
  return routes;
}

// One backend per distinct server address of the upstreams routes use.
void AddBackends(const nginx::TwinConfig& c,
                 const std::vector<const nginx::GrpcRoute*>& routes,
                 Topology* topology) {
  std::set<std::string> seen;
  for (const nginx::GrpcRoute* route : routes) {
    for (const nginx::UpstreamPeer& peer :
         c.upstreams.at(route->upstream).peers) {
      if (!seen.insert(peer.address).second) continue;
      Backend* b = topology->add_backends();
      const int id = topology->backends_size();
      b->set_name(absl::StrCat("server", id));
      b->set_server_id(id);
      b->set_address(peer.address);
    }
  }
}

// The longest a call can take through `route`: each try a connect and a
// read timeout, as many tries as allowed (no new try after
// grpc_next_upstream_timeout), and never past the client's deadline.
absl::Duration MaxCallTime(const nginx::TwinConfig& c,
                            const nginx::GrpcRoute& route,
                            absl::Duration deadline) {
  const int peers = static_cast<int>(c.upstreams.at(route.upstream).peers.size());
  const int tries = route.next_upstream_tries == 0
                        ? peers
                        : std::min(peers, route.next_upstream_tries);
  const absl::Duration per_try = route.connect_timeout + route.read_timeout;
  absl::Duration bound = per_try * tries;
  if (route.next_upstream_timeout > absl::ZeroDuration()) {
    bound = std::min(bound, route.next_upstream_timeout + per_try);
  }
  return std::min(bound + absl::Milliseconds(50), deadline);
}

// Balanced shares by weight among the upstream's primaries, over the
// fault-free start; only for round robin, where shares are exact.
void AddBalancedShare(const nginx::Upstream& up, const Topology& topology,
                      absl::Duration until, Scenario* out,
                      std::vector<std::string>* notes) {
  if (up.method != nginx::BalanceMethod::kRoundRobin) {
    notes->push_back(absl::StrCat(
        "no balanced-share property: upstream ", up.name,
        " does not balance by round robin, so shares are not fixed by the "
        "weights"));
    return;
  }
  BalancedShare share;
  for (const nginx::UpstreamPeer& peer : up.peers) {
    if (peer.backup || peer.down) continue;
    for (const Backend& b : topology.backends()) {
      if (b.address() != peer.address) continue;
      share.add_backends(b.name());
      share.add_weights(peer.weight);
    }
  }
  if (share.backends_size() < 2) {
    notes->push_back(absl::StrCat("no balanced-share property: upstream ",
                                  up.name, " has fewer than two primaries"));
    return;
  }
  share.set_tolerance(0.05);
  share.set_until(FormatDuration(until));
  *out->add_properties()->mutable_balanced_share() = share;
}

// `faults_from`: when the fault space starts (shares are checked before).
void AddProperties(const nginx::TwinConfig& c,
                   const std::vector<const nginx::GrpcRoute*>& routes,
                   const ExploreOptions& o, absl::Duration faults_from,
                   Scenario* out, std::vector<std::string>* notes) {
  out->add_properties()->mutable_deadlines();
  out->add_properties()->mutable_availability();
  out->add_properties()->mutable_attempts()->set_at_most(o.attempts_at_most);
  bool breaker = false;
  for (const nginx::GrpcRoute* route : routes) {
    const nginx::Upstream& up = c.upstreams.at(route->upstream);
    for (const nginx::UpstreamPeer& peer : up.peers) {
      breaker |= peer.max_fails > 0 && up.peers.size() > 1;
    }
  }
  if (breaker) out->add_properties()->mutable_circuit_breaker();
  LatencyBound* latency = out->add_properties()->mutable_latency();
  latency->set_percentile(100);
  latency->set_at_most(
      FormatDuration(MaxCallTime(c, *routes.front(), o.deadline)));
  const bool other_upstreams = std::any_of(
      routes.begin(), routes.end(), [&](const nginx::GrpcRoute* route) {
        return route->upstream != routes.front()->upstream;
      });
  if (other_upstreams) {
    notes->push_back(absl::StrCat(
        "the latency bound and balanced shares follow the location the "
        "calls to ", kSaludarMethod, " take (", routes.front()->location,
        ")"));
  }
  if (faults_from <= absl::ZeroDuration()) {
    notes->push_back(
        "no balanced-share property: the fault space starts at 0s");
    return;
  }
  AddBalancedShare(c.upstreams.at(routes.front()->upstream), out->topology(),
                   faults_from, out, notes);
}

// The topology: the backends, nginx with the file, a closed-loop client.
void AddTopology(const std::string& nginx_path, const nginx::TwinConfig& c,
                 const std::vector<const nginx::GrpcRoute*>& routes,
                 const ExploreOptions& o, Scenario* s) {
  std::error_code ec;
  Topology* t = s->mutable_topology();
  t->set_nginx_config(
      std::filesystem::absolute(nginx_path, ec).lexically_normal().string());
  AddBackends(c, routes, t);
  Load* load = t->add_clients()->mutable_load();
  t->mutable_clients(0)->set_name("client");
  load->mutable_closed_loop()->set_concurrency(o.concurrency);
  load->set_duration(FormatDuration(o.duration));
  load->set_deadline(FormatDuration(o.deadline));
  // A LAN: 1-3 ms a hop, so a call takes a few milliseconds.
  Range* hop = s->mutable_network()
                   ->mutable_default_link()
                   ->mutable_latency()
                   ->mutable_uniform();
  hop->set_low("1ms");
  hop->set_high("3ms");
}

}  // namespace

std::string DefaultExploreChaos(int backends, absl::Duration duration) {
  const absl::Duration start = absl::Trunc(duration / 6, absl::Milliseconds(1));
  return absl::StrCat(
      R"(faults { fault { crash {} } per_minute: 2 duration { uniform { low: "1s" high: "5s" } } }
faults { fault { crash_on_call {} } per_minute: 1 duration { uniform { low: "1s" high: "5s" } } }
faults { fault { hang {} } per_minute: 2 duration { uniform { low: "2s" high: "15s" } } }
faults { fault { pause {} } per_minute: 1 duration { uniform { low: "1s" high: "5s" } } }
faults { fault { slow { delay: "300ms" } } per_minute: 2 duration { fixed: "3s" } }
faults { fault { errors { code: "UNAVAILABLE" rate: 0.2 } } per_minute: 1 duration { fixed: "2s" } }
faults { fault { latency_spike { latency { fixed: "2s" } } } per_minute: 1 duration { fixed: "3s" } }
faults { fault { clock_jump { by: "500ms" } } per_minute: 1 }
partitions { per_minute: 1 duration { uniform { low: "1s" high: "5s" } } }
)",
      "max_down: ", std::max(1, backends - 1), "\nstart: \"",
      FormatDuration(start), "\"\n");
}

absl::StatusOr<ExploredScenario> ExploreScenario(
    const std::string& nginx_path, const ExploreOptions& o) {
  if (absl::Status st = CheckOptions(o); !st.ok()) return st;
  absl::StatusOr<nginx::TwinConfig> config = nginx::LoadTwinConfig(nginx_path);
  if (!config.ok()) return config.status();
  const std::vector<const nginx::GrpcRoute*> routes = Routes(*config);
  if (routes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        nginx_path, ": no location passes ", kSaludarMethod,
        " to an upstream (grpc_pass): nothing to explore"));
  }
  ExploredScenario result;
  Scenario& s = result.proto;
  s.set_name(absl::StrCat(
      "explore ", std::filesystem::path(nginx_path).filename().string()));
  s.set_default_seed(1);
  s.set_duration(FormatDuration(o.duration));
  AddTopology(nginx_path, *config, routes, o, &s);
  const std::string chaos_path =
      o.chaos_text.empty() ? "(the default fault space)" : o.chaos_path;
  const std::string chaos_text =
      o.chaos_text.empty()
          ? DefaultExploreChaos(s.topology().backends_size(), o.duration)
          : o.chaos_text;
  if (absl::Status st =
          ParseTextProto(chaos_text, chaos_path, s.mutable_chaos());
      !st.ok()) {
    return st;
  }
  absl::Duration faults_from = absl::ZeroDuration();
  if (!ParseScenarioDuration(s.chaos().start(), &faults_from)) {
    faults_from = absl::ZeroDuration();  // "" or bad: the loader reports it
  }
  AddProperties(*config, routes, o, faults_from, &s, &result.notes);
  return result;
}

}  // namespace saludo::scenario
