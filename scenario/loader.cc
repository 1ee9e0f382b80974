#include "scenario/loader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "runtime/input_file.h"
#include "scenario/chaos.h"
#include "scenario/faults.h"
#include "scenario/properties.h"
#include "scenario/services.h"
#include "scenario/validator.h"

namespace saludo::scenario {
namespace {

using google::protobuf::TextFormat;

// Limits of what a scenario may ask for (a typo, not a test, beyond them).
constexpr absl::Duration kMaxScenarioDuration = absl::Hours(24);
constexpr int kMaxConcurrency = 100000;
constexpr double kMaxCallsPerSecond = 1e6;

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::string path) : path_(std::move(path)) {}
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ =
          absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message);
    }
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string path_;
  std::string first_;
};

// The registered service kind `name` ("saludo" when empty).
absl::Status ServiceOf(const Validator& v, const FieldPath& at,
                       const std::string& name, std::string* out) {
  *out = name.empty() ? "saludo" : name;
  if (FindServiceKind(*out) != nullptr) return absl::OkStatus();
  return v.Error(
      at, absl::StrCat("unknown service \"", *out, "\": expected one of ",
                       absl::StrJoin(ServiceKindNames(), ", "),
                       " (a binary registers its own kinds)"));
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A positive duration of at most kMaxScenarioDuration.
absl::Status Span(const Validator& v, const FieldPath& at,
                  const std::string& text, absl::Duration* out, bool required,
                  absl::Duration fallback = absl::ZeroDuration()) {
  if (auto st = v.Duration(at, text, out, required, fallback); !st.ok())
    return st;
  if (*out <= absl::ZeroDuration()) return v.Error(at, "must be positive");
  if (*out > kMaxScenarioDuration) {
    return v.Error(
        at, absl::StrCat("at most ", absl::FormatDuration(kMaxScenarioDuration),
                         ", got ", text));
  }
  return absl::OkStatus();
}

absl::Status LoadHeader(const Validator& v, LoadedScenario* out) {
  const Scenario& s = out->proto;
  out->name = s.name().empty() ? out->path : s.name();
  out->default_seed = s.default_seed() == 0 ? 1 : s.default_seed();
  return Span(v, {{"duration", -1}}, s.duration(), &out->duration, true);
}

// The nginx file the balancer runs, and that its upstreams name only
// backends of the scenario.
absl::Status LoadNginx(const Validator& v, const std::set<std::string>& addrs,
                       const NginxCheck& check, LoadedScenario* out) {
  const Topology& t = out->proto.topology();
  const FieldPath at = {{"topology", -1}, {"nginx_config", -1}};
  if (t.nginx_config().empty()) {
    return v.Error(at,
                   "missing: the nginx configuration the twin runs, relative "
                   "to this file");
  }
  out->nginx_path = t.nginx_config()[0] == '/'
                        ? t.nginx_config()
                        : DirectoryOf(out->path) + "/" + t.nginx_config();
  if (check) {
    if (absl::Status st = check(out->nginx_path); !st.ok()) {
      return v.Error(at, std::string(st.message()));
    }
  }
  absl::StatusOr<nginx::TwinConfig> nginx =
      nginx::LoadTwinConfig(out->nginx_path);
  if (!nginx.ok()) return v.Error(at, std::string(nginx.status().message()));
  out->nginx = *std::move(nginx);
  for (const auto& [name, up] : out->nginx.upstreams) {
    for (const nginx::UpstreamPeer& p : up.peers) {
      if (addrs.count(p.address)) continue;
      return v.Error(
          {{"topology", -1}, {"backends", -1}},
          absl::StrCat("the nginx upstream \"", name, "\" has server ",
                       p.address, " (", nginx::FormatLocation(p.where),
                       ") but no backend has that address"));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadBackends(const Validator& v, const NginxCheck& check,
                          std::set<std::string>* nodes, LoadedScenario* out) {
  const Topology& t = out->proto.topology();
  if (t.backends().empty()) {
    return v.Error({{"topology", -1}}, "expected at least one backend");
  }
  std::set<std::string> addresses;
  std::set<int> ids;
  for (int i = 0; i < t.backends_size(); ++i) {
    const Backend& b = t.backends(i);
    const FieldPath at = {{"topology", -1}, {"backends", i}};
    if (b.name().empty() || !nodes->insert(b.name()).second) {
      return v.Error(at,
                     "expected a unique, non-empty name (\"nginx\" is taken)");
    }
    if (b.server_id() < 1 || b.server_id() > 10000 ||
        !ids.insert(b.server_id()).second) {
      return v.Error(at, "expected a unique server_id in [1, 10000]");
    }
    if (b.address().empty() || !addresses.insert(b.address()).second) {
      return v.Error(at,
                     "expected a unique address as written in the nginx "
                     "upstream, e.g. \"127.0.0.1:3001\"");
    }
    LoadedScenario::Backend backend{b.name(), b.server_id(), b.address()};
    if (auto st =
            ServiceOf(v, Sub(at, "service"), b.service(), &backend.service);
        !st.ok())
      return st;
    out->backends.push_back(backend);
  }
  return LoadNginx(v, addresses, check, out);
}

// The kind of load (closed or open loop) and its rate.
absl::Status LoadLoopKind(const Validator& v, const FieldPath& at,
                          const Load& l, client::LoadOptions* out) {
  switch (l.kind_case()) {
    case Load::kClosedLoop:
      if (l.closed_loop().concurrency() < 1 ||
          l.closed_loop().concurrency() > kMaxConcurrency) {
        return v.Error(
            Sub(at, "closed_loop"),
            absl::StrCat("concurrency must be in [1, ", kMaxConcurrency, "]"));
      }
      out->concurrency = l.closed_loop().concurrency();
      return absl::OkStatus();
    case Load::kOpenLoop:
      if (!(l.open_loop().calls_per_second() > 0 &&
            l.open_loop().calls_per_second() <= kMaxCallsPerSecond)) {
        return v.Error(Sub(at, "open_loop"),
                       "calls_per_second must be in (0, 1000000]");
      }
      out->calls_per_second = l.open_loop().calls_per_second();
      return absl::OkStatus();
    case Load::KIND_NOT_SET:
      break;
  }
  return v.Error(at, "expected closed_loop or open_loop");
}

// target_port, method and metadata: where the calls go and what they carry.
absl::Status LoadTarget(const Validator& v, const FieldPath& at, const Load& l,
                        const nginx::TwinConfig& nginx,
                        LoadedScenario::Client* client) {
  if (l.target_port() != 0) {
    std::vector<std::string> ports;
    bool listens = false;
    for (const nginx::ServerBlock& server : nginx.servers) {
      for (int port : server.listen_ports) {
        ports.push_back(absl::StrCat(port));
        listens = listens || port == l.target_port();
      }
    }
    if (!listens) {
      return v.Error(Sub(at, "target_port"),
                     absl::StrCat("nginx does not listen on ", l.target_port(),
                                  ": expected one of ",
                                  absl::StrJoin(ports, ", ")));
    }
  }
  client->target_port = l.target_port();
  client->load.method = l.method();
  for (int h = 0; h < l.metadata_size(); ++h) {
    const MetadataHeader& header = l.metadata(h);
    client::MetadataSpec spec;
    spec.name = header.name();
    if (header.has_one_of()) {
      spec.kind = client::MetadataSpec::Kind::kOneOf;
      spec.values.assign(header.one_of().values().begin(),
                         header.one_of().values().end());
    } else if (header.value_case() == MetadataHeader::kPerCallPrefix) {
      spec.kind = client::MetadataSpec::Kind::kPerCall;
      spec.values = {header.per_call_prefix()};
    } else {
      spec.values = {header.fixed()};
    }
    client->load.metadata.push_back(spec);
  }
  if (absl::Status st = client::ValidateLoadOptions(client->load); !st.ok()) {
    const bool method = absl::StartsWith(st.message(), "method");
    return v.Error(Sub(at, method ? "method" : "metadata"),
                   std::string(st.message()));
  }
  return absl::OkStatus();
}

absl::Status LoadClient(const Validator& v, int i, LoadedScenario* out) {
  const Client& c = out->proto.topology().clients(i);
  const FieldPath at = Sub({{"topology", -1}, {"clients", i}}, "load");
  LoadedScenario::Client client;
  client.name = c.name();
  const Load& l = c.load();
  if (auto st = Span(v, Sub(at, "deadline"), l.deadline(),
                     &client.load.deadline, false, absl::Seconds(5));
      !st.ok())
    return st;
  if (auto st = v.Duration(Sub(at, "start"), l.start(), &client.start, false);
      !st.ok())
    return st;
  if (client.start > kMaxScenarioDuration) {
    return v.Error(Sub(at, "start"), "at most 24h");
  }
  if (auto st = Span(v, Sub(at, "duration"), l.duration(),
                     &client.load.duration, true);
      !st.ok())
    return st;
  if (!l.nombre().empty()) client.load.nombre = l.nombre();
  if (client.load.nombre.size() > 1024) {
    return v.Error(Sub(at, "nombre"), "at most 1024 bytes");
  }
  if (auto st = LoadLoopKind(v, at, l, &client.load); !st.ok()) return st;
  if (auto st = ServiceOf(v, Sub(at, "service"), l.service(), &client.service);
      !st.ok())
    return st;
  client.load.workload = std::make_shared<const client::Workload>(
      FindServiceKind(client.service)->workload(client.load.nombre));
  if (auto st = LoadTarget(v, at, l, out->nginx, &client); !st.ok()) return st;
  out->clients.push_back(client);
  return absl::OkStatus();
}

absl::Status LoadClients(const Validator& v, std::set<std::string>* nodes,
                         LoadedScenario* out) {
  const Topology& t = out->proto.topology();
  if (t.clients().empty()) {
    return v.Error({{"topology", -1}}, "expected at least one client");
  }
  for (int i = 0; i < t.clients_size(); ++i) {
    if (t.clients(i).name().empty() ||
        !nodes->insert(t.clients(i).name()).second) {
      return v.Error({{"topology", -1}, {"clients", i}},
                     "expected a unique, non-empty node name");
    }
    if (auto st = LoadClient(v, i, out); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// "unknown node ..." unless both nodes exist.
absl::Status KnownNodes(const Validator& v, const FieldPath& at,
                        const std::set<std::string>& nodes,
                        const std::string& a, const std::string& b) {
  if (nodes.count(a) && nodes.count(b)) return absl::OkStatus();
  return v.Error(
      at, absl::StrCat("unknown node \"", nodes.count(a) ? b : a,
                       "\": expected one of ", absl::StrJoin(nodes, ", ")));
}

absl::Status LoadNetwork(const Validator& v, const std::set<std::string>& nodes,
                         LoadedScenario* out) {
  const Network& n = out->proto.network();
  out->has_link_model = n.has_default_link() || n.links_size() > 0;
  if (n.has_default_link()) {
    if (auto st = ParseLink(v, {{"network", -1}, {"default_link", -1}},
                            n.default_link(), &out->default_link);
        !st.ok())
      return st;
  }
  for (int i = 0; i < n.links_size(); ++i) {
    const LinkOverride& l = n.links(i);
    const FieldPath at = {{"network", -1}, {"links", i}};
    if (auto st = KnownNodes(v, at, nodes, l.from(), l.to()); !st.ok())
      return st;
    LinkSpec spec;
    if (auto st = ParseLink(v, Sub(at, "link"), l.link(), &spec); !st.ok())
      return st;
    out->links.push_back({l.from(), l.to(), spec});
    if (l.both_ways()) out->links.push_back({l.to(), l.from(), spec});
  }
  for (int i = 0; i < n.partitions_size(); ++i) {
    const Partition& p = n.partitions(i);
    const FieldPath at = {{"network", -1}, {"partitions", i}};
    if (auto st = KnownNodes(v, at, nodes, p.a(), p.b()); !st.ok()) return st;
    LoadedScenario::Partition part{p.a(), p.b(), {}, {}, p.one_way()};
    if (auto st = v.Duration(Sub(at, "start"), p.start(), &part.start, true);
        !st.ok())
      return st;
    if (auto st =
            Span(v, Sub(at, "duration"), p.duration(), &part.duration, true);
        !st.ok())
      return st;
    out->partitions.push_back(part);
  }
  return absl::OkStatus();
}

// The shortest one-way latency any link can draw.
absl::Duration ShortestHop(const LoadedScenario& s) {
  absl::Duration shortest = s.default_link.latency.Lower();
  for (const auto& l : s.links) {
    shortest = std::min(shortest, l.link.latency.Lower());
  }
  return shortest;
}

// How many calls a client can start at most (-1: no bound can be computed,
// a closed loop over links whose latency can be 0).
double CallBound(const LoadedScenario::Client& c, absl::Duration hop) {
  const double seconds = absl::ToDoubleSeconds(c.load.duration);
  if (c.load.calls_per_second > 0) {
    return std::ceil(c.load.calls_per_second * seconds);
  }
  // A call takes at least a round trip to nginx (which may answer itself).
  const absl::Duration round_trip = 2 * hop;
  if (round_trip <= absl::ZeroDuration()) return -1;
  return c.load.concurrency *
         (std::ceil(seconds / absl::ToDoubleSeconds(round_trip)) + 1);
}

// The scenario's calls, bounded up front ("this scenario would start ...");
// every load also gets the limit as a guard.
absl::Status CheckCallBudget(const Validator& v, LoadedScenario* out) {
  const absl::Duration hop = ShortestHop(*out);
  double total = 0;
  int biggest = 0;
  double biggest_bound = -1;
  for (size_t i = 0; i < out->clients.size(); ++i) {
    out->clients[i].load.max_calls = kMaxCallsPerRun;
    const double bound = CallBound(out->clients[i], hop);
    if (bound < 0) continue;
    total += bound;
    if (bound > biggest_bound) {
      biggest_bound = bound;
      biggest = static_cast<int>(i);
    }
  }
  if (total <= kMaxCallsPerRun) return absl::OkStatus();
  return v.Error(
      {{"topology", -1}, {"clients", biggest}, {"load", -1}},
      absl::StrFormat("this scenario would start up to %.0f calls; the limit "
                      "is %d (lower the rate, the concurrency or the duration)",
                      total, kMaxCallsPerRun));
}

}  // namespace

bool ParseScenarioDuration(const std::string& text, absl::Duration* out) {
  return absl::ParseDuration(text, out) && *out >= absl::ZeroDuration() &&
         *out != absl::InfiniteDuration();
}

absl::StatusOr<LoadedScenario> LoadScenario(const std::string& path,
                                            const NginxCheck& check) {
  absl::StatusOr<std::string> text =
      runtime::ReadInputFile(path, "scenario file");
  if (!text.ok()) return text.status();
  return LoadScenarioText(*text, path, check);
}

absl::Status ParseTextProto(const std::string& text, const std::string& path,
                            google::protobuf::Message* out,
                            TextFormat::ParseInfoTree* tree) {
  TextFormat::Parser parser;
  Collector collector(path);
  parser.RecordErrorsTo(&collector);
  if (tree != nullptr) parser.WriteLocationsTo(tree);
  if (!parser.ParseFromString(text, out)) {
    return absl::InvalidArgumentError(collector.first().empty()
                                          ? path + ": cannot parse"
                                          : collector.first());
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedScenario> LoadScenarioText(const std::string& text,
                                                const std::string& path,
                                                const NginxCheck& check) {
  LoadedScenario out;
  out.path = path;
  TextFormat::ParseInfoTree tree;
  if (absl::Status st = ParseTextProto(text, path, &out.proto, &tree);
      !st.ok()) {
    return st;
  }
  const Validator v(path, &tree);
  std::set<std::string> nodes = {kNginxNode};
  absl::Status st = LoadHeader(v, &out);
  if (st.ok()) st = LoadBackends(v, check, &nodes, &out);
  if (st.ok()) st = LoadClients(v, &nodes, &out);
  if (st.ok()) st = LoadNetwork(v, nodes, &out);
  if (st.ok()) st = CheckCallBudget(v, &out);
  if (st.ok()) st = LoadFaults(v, &out);
  if (st.ok()) st = LoadChaos(v, &out);
  if (st.ok()) st = LoadProperties(v, &out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace saludo::scenario
