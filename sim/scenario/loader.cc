#include "sim/scenario/loader.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace saludo::sim {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

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

// A field path like {{"faults", 2}, {"hang", -1}, {"duration", -1}}.
using FieldPath = std::vector<std::pair<std::string, int>>;

class Validator {
 public:
  Validator(std::string path, const TextFormat::ParseInfoTree* tree)
      : path_(std::move(path)), tree_(tree) {}

  // "file:line:col: faults[2].hang.duration: <what>"
  absl::Status Error(const FieldPath& field, const std::string& what) const {
    int line = 0, column = 0;
    Locate(field, &line, &column);
    std::string name;
    for (const auto& [f, i] : field) {
      if (!name.empty()) name += ".";
      name += i >= 0 ? absl::StrCat(f, "[", i, "]") : f;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", line, ":", column, ": ", name, ": ", what));
  }

  // Parses a required (or optional, with `fallback`) duration field.
  absl::Status Duration(const FieldPath& field, const std::string& text,
                        absl::Duration* out, bool required,
                        absl::Duration fallback = absl::ZeroDuration()) const {
    if (text.empty()) {
      if (required)
        return Error(field, "missing: expected a duration such as \"1.5s\"");
      *out = fallback;
      return absl::OkStatus();
    }
    if (!ParseScenarioDuration(text, out)) {
      return Error(field,
                   absl::StrCat("expected a duration such as \"1.5s\" or "
                                "\"250ms\", got \"",
                                text, "\""));
    }
    return absl::OkStatus();
  }

 private:
  void Locate(const FieldPath& field, int* line, int* column) const {
    const Descriptor* d = scenario::Scenario::descriptor();
    const TextFormat::ParseInfoTree* tree = tree_;
    *line = 1;
    *column = 1;
    for (size_t k = 0; k < field.size() && tree != nullptr && d != nullptr;
         ++k) {
      const FieldDescriptor* f = d->FindFieldByName(field[k].first);
      if (f == nullptr) return;
      const int index = f->is_repeated() ? std::max(field[k].second, 0) : -1;
      TextFormat::ParseLocation loc = tree->GetLocation(f, index);
      if (loc.line >= 0) {
        *line = loc.line + 1;
        *column = loc.column + 1;
      }
      if (f->type() != FieldDescriptor::TYPE_MESSAGE) return;
      tree = tree->GetTreeForNested(f, index);
      d = f->message_type();
    }
  }

  std::string path_;
  const TextFormat::ParseInfoTree* tree_;
};

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

absl::Status ParseLatency(const Validator& v, const FieldPath& at,
                          const scenario::Latency& l, Distribution* out) {
  absl::Duration a, b;
  auto sub = [&](const std::string& name) {
    FieldPath p = at;
    p.emplace_back(name, -1);
    return p;
  };
  switch (l.kind_case()) {
    case scenario::Latency::kFixed:
      if (auto s = v.Duration(sub("fixed"), l.fixed(), &a, true); !s.ok())
        return s;
      *out = Distribution::Fixed(a);
      return absl::OkStatus();
    case scenario::Latency::kUniform:
      if (auto s = v.Duration(sub("uniform"), l.uniform().low(), &a, true);
          !s.ok())
        return s;
      if (auto s = v.Duration(sub("uniform"), l.uniform().high(), &b, true);
          !s.ok())
        return s;
      if (a > b) return v.Error(sub("uniform"), "low must not exceed high");
      *out = Distribution::Uniform(a, b);
      return absl::OkStatus();
    case scenario::Latency::kNormal:
      if (auto s = v.Duration(sub("normal"), l.normal().mean(), &a, true);
          !s.ok())
        return s;
      if (auto s = v.Duration(sub("normal"), l.normal().stddev(), &b, true);
          !s.ok())
        return s;
      *out = Distribution::Normal(a, b);
      return absl::OkStatus();
    case scenario::Latency::kExponentialMean:
      if (auto s = v.Duration(sub("exponential_mean"), l.exponential_mean(), &a,
                              true);
          !s.ok()) {
        return s;
      }
      *out = Distribution::Exponential(a);
      return absl::OkStatus();
    case scenario::Latency::kLognormal:
      if (auto s =
              v.Duration(sub("lognormal"), l.lognormal().median(), &a, true);
          !s.ok()) {
        return s;
      }
      if (!(l.lognormal().sigma() >= 0)) {
        return v.Error(sub("lognormal"), "sigma must be >= 0");
      }
      *out = Distribution::LogNormal(a, l.lognormal().sigma());
      return absl::OkStatus();
    case scenario::Latency::kPareto:
      if (auto s = v.Duration(sub("pareto"), l.pareto().min(), &a, true);
          !s.ok())
        return s;
      if (!(l.pareto().alpha() > 0))
        return v.Error(sub("pareto"), "alpha must be > 0");
      *out = Distribution::Pareto(a, l.pareto().alpha());
      return absl::OkStatus();
    case scenario::Latency::KIND_NOT_SET:
      return v.Error(
          at,
          "expected one of fixed, uniform, normal, exponential_mean, "
          "lognormal, pareto");
  }
  return absl::OkStatus();
}

absl::Status ParseLink(const Validator& v, const FieldPath& at,
                       const scenario::Link& l, LinkSpec* out) {
  if (l.has_latency()) {
    FieldPath p = at;
    p.emplace_back("latency", -1);
    if (auto s = ParseLatency(v, p, l.latency(), &out->latency); !s.ok())
      return s;
  }
  if (!(l.loss() >= 0 && l.loss() <= 1)) {
    FieldPath p = at;
    p.emplace_back("loss", -1);
    return v.Error(p, "expected a probability in [0, 1]");
  }
  if (!(l.duplicate() >= 0 && l.duplicate() <= 1)) {
    FieldPath p = at;
    p.emplace_back("duplicate", -1);
    return v.Error(p, "expected a probability in [0, 1]");
  }
  out->loss = l.loss();
  out->duplicate = l.duplicate();
  return absl::OkStatus();
}

bool ParseStatusCode(const std::string& name, absl::StatusCode* code) {
  for (int c = 1; c <= 16; ++c) {
    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(c)) == name) {
      *code = static_cast<absl::StatusCode>(c);
      return true;
    }
  }
  return false;
}

}  // namespace

bool ParseScenarioDuration(const std::string& text, absl::Duration* out) {
  return absl::ParseDuration(text, out) && *out >= absl::ZeroDuration() &&
         *out != absl::InfiniteDuration();
}

std::string ScenarioFault::Describe() const {
  std::string what;
  switch (kind) {
    case scenario::Fault::kCrash:
      what = "crash";
      break;
    case scenario::Fault::kRestart:
      what = "restart";
      break;
    case scenario::Fault::kPause:
      what = "pause " + absl::FormatDuration(duration);
      break;
    case scenario::Fault::kHang:
      what = "hang " + absl::FormatDuration(duration);
      break;
    case scenario::Fault::kSlow:
      what = "slow " + absl::FormatDuration(delay);
      break;
    case scenario::Fault::kErrors:
      what = absl::StrCat("errors ", absl::StatusCodeToString(code), " rate ",
                          rate);
      break;
    case scenario::Fault::kClockOffset:
      what = "clock offset " + absl::FormatDuration(shift);
      break;
    case scenario::Fault::kClockDrift:
      what = absl::StrCat("clock drift ", ppm, " ppm");
      break;
    case scenario::Fault::kClockJump:
      what = "clock jump " + absl::FormatDuration(shift);
      break;
    case scenario::Fault::kClearFaults:
      what = "clear faults";
      break;
    case scenario::Fault::KIND_NOT_SET:
      what = "?";
      break;
  }
  return absl::StrCat(absl::FormatDuration(at), " ", node, ": ", what);
}

absl::StatusOr<LoadedScenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read scenario file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadScenarioText(ss.str(), path);
}

absl::StatusOr<LoadedScenario> LoadScenarioText(const std::string& text,
                                                const std::string& path) {
  LoadedScenario out;
  out.path = path;
  TextFormat::Parser parser;
  TextFormat::ParseInfoTree tree;
  Collector collector(path);
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &out.proto)) {
    return absl::InvalidArgumentError(collector.first().empty()
                                          ? path + ": cannot parse"
                                          : collector.first());
  }
  const scenario::Scenario& s = out.proto;
  Validator v(path, &tree);
  out.name = s.name().empty() ? path : s.name();
  out.default_seed = s.default_seed() == 0 ? 1 : s.default_seed();
  if (auto st =
          v.Duration({{"duration", -1}}, s.duration(), &out.duration, true);
      !st.ok()) {
    return st;
  }
  if (out.duration <= absl::ZeroDuration()) {
    return v.Error({{"duration", -1}}, "must be positive");
  }

  // Topology.
  const scenario::Topology& t = s.topology();
  if (t.nginx_config().empty()) {
    return v.Error(
        {{"topology", -1}, {"nginx_config", -1}},
        "missing: the nginx configuration the twin runs, relative to "
        "this file");
  }
  out.nginx_path = t.nginx_config()[0] == '/'
                       ? t.nginx_config()
                       : DirectoryOf(path) + "/" + t.nginx_config();
  absl::StatusOr<nginx::TwinConfig> nginx =
      nginx::LoadTwinConfig(out.nginx_path);
  if (!nginx.ok()) {
    return v.Error({{"topology", -1}, {"nginx_config", -1}},
                   std::string(nginx.status().message()));
  }
  out.nginx = *std::move(nginx);
  std::set<std::string> nodes = {kNginxNode};
  std::set<std::string> backend_names;
  std::set<std::string> addresses;
  std::set<int> ids;
  if (t.backends().empty()) {
    return v.Error({{"topology", -1}}, "expected at least one backend");
  }
  for (int i = 0; i < t.backends_size(); ++i) {
    const scenario::Backend& b = t.backends(i);
    const FieldPath at = {{"topology", -1}, {"backends", i}};
    if (b.name().empty() || !nodes.insert(b.name()).second) {
      return v.Error(at,
                     "expected a unique, non-empty name (\"nginx\" is taken)");
    }
    if (b.server_id() < 1 || !ids.insert(b.server_id()).second) {
      return v.Error(at, "expected a unique server_id >= 1");
    }
    if (b.address().empty() || !addresses.insert(b.address()).second) {
      return v.Error(at,
                     "expected a unique address as written in the nginx "
                     "upstream, e.g. \"127.0.0.1:3001\"");
    }
    backend_names.insert(b.name());
    out.backends.push_back({b.name(), b.server_id(), b.address()});
  }
  for (const auto& [name, up] : out.nginx.upstreams) {
    for (const nginx::UpstreamPeer& p : up.peers) {
      if (!addresses.count(p.address)) {
        return v.Error(
            {{"topology", -1}, {"backends", -1}},
            absl::StrCat("the nginx upstream \"", name, "\" has server ",
                         p.address, " (", nginx::FormatLocation(p.where),
                         ") but no backend has that address"));
      }
    }
  }
  if (t.clients().empty()) {
    return v.Error({{"topology", -1}}, "expected at least one client");
  }
  for (int i = 0; i < t.clients_size(); ++i) {
    const scenario::Client& c = t.clients(i);
    const FieldPath at = {{"topology", -1}, {"clients", i}};
    if (c.name().empty() || !nodes.insert(c.name()).second) {
      return v.Error(at, "expected a unique, non-empty node name");
    }
    LoadedScenario::Client client;
    client.name = c.name();
    const scenario::Load& l = c.load();
    FieldPath load_at = at;
    load_at.emplace_back("load", -1);
    auto field = [&](const std::string& name) {
      FieldPath p = load_at;
      p.emplace_back(name, -1);
      return p;
    };
    if (auto st = v.Duration(field("deadline"), l.deadline(),
                             &client.load.deadline, false, absl::Seconds(5));
        !st.ok()) {
      return st;
    }
    if (client.load.deadline <= absl::ZeroDuration()) {
      return v.Error(field("deadline"), "must be positive");
    }
    if (auto st = v.Duration(field("start"), l.start(), &client.start, false);
        !st.ok()) {
      return st;
    }
    if (auto st = v.Duration(field("duration"), l.duration(),
                             &client.load.duration, true);
        !st.ok()) {
      return st;
    }
    if (client.load.duration <= absl::ZeroDuration()) {
      return v.Error(field("duration"), "must be positive");
    }
    if (!l.nombre().empty()) client.load.nombre = l.nombre();
    switch (l.kind_case()) {
      case scenario::Load::kClosedLoop:
        if (l.closed_loop().concurrency() < 1) {
          return v.Error(field("closed_loop"),
                         "concurrency must be at least 1");
        }
        client.load.concurrency = l.closed_loop().concurrency();
        break;
      case scenario::Load::kOpenLoop:
        if (!(l.open_loop().calls_per_second() > 0)) {
          return v.Error(field("open_loop"),
                         "calls_per_second must be positive");
        }
        client.load.calls_per_second = l.open_loop().calls_per_second();
        break;
      case scenario::Load::KIND_NOT_SET:
        return v.Error(load_at, "expected closed_loop or open_loop");
    }
    out.clients.push_back(client);
  }

  // Network.
  if (s.network().has_default_link()) {
    if (auto st = ParseLink(v, {{"network", -1}, {"default_link", -1}},
                            s.network().default_link(), &out.default_link);
        !st.ok()) {
      return st;
    }
  }
  auto known = [&](const std::string& node) { return nodes.count(node) > 0; };
  const std::string node_list = absl::StrJoin(nodes, ", ");
  for (int i = 0; i < s.network().links_size(); ++i) {
    const scenario::LinkOverride& l = s.network().links(i);
    const FieldPath at = {{"network", -1}, {"links", i}};
    if (!known(l.from()) || !known(l.to())) {
      return v.Error(at, absl::StrCat("unknown node \"",
                                      known(l.from()) ? l.to() : l.from(),
                                      "\": expected one of ", node_list));
    }
    LinkSpec spec;
    FieldPath link_at = at;
    link_at.emplace_back("link", -1);
    if (auto st = ParseLink(v, link_at, l.link(), &spec); !st.ok()) return st;
    out.links.push_back({l.from(), l.to(), spec});
    if (l.both_ways()) out.links.push_back({l.to(), l.from(), spec});
  }
  for (int i = 0; i < s.network().partitions_size(); ++i) {
    const scenario::Partition& p = s.network().partitions(i);
    const FieldPath at = {{"network", -1}, {"partitions", i}};
    if (!known(p.a()) || !known(p.b())) {
      return v.Error(
          at, absl::StrCat("unknown node \"", known(p.a()) ? p.b() : p.a(),
                           "\": expected one of ", node_list));
    }
    LoadedScenario::Partition part{p.a(), p.b(), {}, {}, p.one_way()};
    FieldPath start_at = at, duration_at = at;
    start_at.emplace_back("start", -1);
    duration_at.emplace_back("duration", -1);
    if (auto st = v.Duration(start_at, p.start(), &part.start, true); !st.ok())
      return st;
    if (auto st = v.Duration(duration_at, p.duration(), &part.duration, true);
        !st.ok()) {
      return st;
    }
    out.partitions.push_back(part);
  }

  // Faults.
  for (int i = 0; i < s.faults_size(); ++i) {
    const scenario::Fault& f = s.faults(i);
    const FieldPath at = {{"faults", i}};
    auto field = [&](const std::string& name) {
      FieldPath p = at;
      p.emplace_back(name, -1);
      return p;
    };
    ScenarioFault fault;
    fault.node = f.node();
    fault.kind = f.kind_case();
    if (auto st = v.Duration(field("at"), f.at(), &fault.at, true); !st.ok())
      return st;
    if (fault.at > out.duration) {
      return v.Error(field("at"),
                     absl::StrCat("after the end of the scenario (",
                                  absl::FormatDuration(out.duration), ")"));
    }
    if (!known(f.node())) {
      return v.Error(field("node"),
                     absl::StrCat("unknown node \"", f.node(),
                                  "\": expected one of ", node_list));
    }
    const bool backend = backend_names.count(f.node()) > 0;
    switch (f.kind_case()) {
      case scenario::Fault::kPause:
      case scenario::Fault::kHang: {
        const auto& d =
            f.kind_case() == scenario::Fault::kPause ? f.pause() : f.hang();
        const char* name =
            f.kind_case() == scenario::Fault::kPause ? "pause" : "hang";
        FieldPath p = field(name);
        p.emplace_back("duration", -1);
        if (auto st = v.Duration(p, d.duration(), &fault.duration, true);
            !st.ok())
          return st;
        break;
      }
      case scenario::Fault::kSlow: {
        FieldPath p = field("slow");
        p.emplace_back("delay", -1);
        if (auto st = v.Duration(p, f.slow().delay(), &fault.delay, true);
            !st.ok())
          return st;
        break;
      }
      case scenario::Fault::kErrors:
        if (!ParseStatusCode(f.errors().code(), &fault.code)) {
          return v.Error(field("errors"),
                         absl::StrCat("code \"", f.errors().code(),
                                      "\": expected a gRPC status name such as "
                                      "UNAVAILABLE or INTERNAL"));
        }
        if (!(f.errors().rate() > 0 && f.errors().rate() <= 1)) {
          return v.Error(field("errors"), "rate must be in (0, 1]");
        }
        fault.rate = f.errors().rate();
        break;
      case scenario::Fault::kClockOffset:
      case scenario::Fault::kClockJump: {
        const std::string& by = f.kind_case() == scenario::Fault::kClockOffset
                                    ? f.clock_offset().by()
                                    : f.clock_jump().by();
        if (!absl::ParseDuration(by, &fault.shift) ||
            fault.shift == absl::InfiniteDuration() ||
            fault.shift == -absl::InfiniteDuration()) {
          return v.Error(
              field(f.kind_case() == scenario::Fault::kClockOffset
                        ? "clock_offset"
                        : "clock_jump"),
              absl::StrCat("expected a signed duration such as \"5s\" or "
                           "\"-250ms\", got \"",
                           by, "\""));
        }
        break;
      }
      case scenario::Fault::kClockDrift:
        if (!(f.clock_drift().ppm() > -1e6)) {
          return v.Error(field("clock_drift"), "ppm must be > -1000000");
        }
        fault.ppm = f.clock_drift().ppm();
        break;
      case scenario::Fault::KIND_NOT_SET:
        return v.Error(
            at,
            "expected one of crash, restart, pause, hang, slow, errors, "
            "clock_offset, clock_drift, clock_jump, clear_faults");
      default:
        break;
    }
    const bool service_fault = f.kind_case() == scenario::Fault::kHang ||
                               f.kind_case() == scenario::Fault::kSlow ||
                               f.kind_case() == scenario::Fault::kErrors ||
                               f.kind_case() == scenario::Fault::kClearFaults;
    if (service_fault && !backend) {
      return v.Error(field("node"),
                     absl::StrCat("\"", f.node(), "\" is not a backend: ",
                                  "hang, slow, errors and clear_faults "
                                  "apply to backends only"));
    }
    out.faults.push_back(fault);
  }
  // Contradictions, per node in time order.
  std::vector<size_t> order(out.faults.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return out.faults[a].at < out.faults[b].at;
  });
  std::map<std::string, bool> down;
  std::map<std::string, absl::Duration> paused_until;
  std::map<std::tuple<std::string, int, int64_t>, size_t> same;
  for (size_t k : order) {
    const ScenarioFault& f = out.faults[k];
    const FieldPath at = {{"faults", static_cast<int>(k)}};
    auto key = std::make_tuple(f.node, static_cast<int>(f.kind),
                               absl::ToInt64Nanoseconds(f.at));
    if (auto it = same.find(key); it != same.end()) {
      return v.Error(
          at, absl::StrCat("contradicts faults[", it->second,
                           "]: the same kind of fault on the same node at "
                           "the same time"));
    }
    same[key] = k;
    const bool is_down = down[f.node];
    if (f.kind == scenario::Fault::kCrash && is_down) {
      return v.Error(
          at, absl::StrCat(f.node, " is already down at ",
                           absl::FormatDuration(f.at), ": restart it first"));
    }
    if (f.kind == scenario::Fault::kRestart && !is_down) {
      return v.Error(at, absl::StrCat(f.node, " is not down at ",
                                      absl::FormatDuration(f.at),
                                      ": expected a crash before the restart"));
    }
    if (f.kind == scenario::Fault::kCrash ||
        f.kind == scenario::Fault::kPause) {
      auto p = paused_until.find(f.node);
      if (p != paused_until.end() && f.at < p->second) {
        return v.Error(
            at,
            absl::StrCat(f.node, " is paused until ",
                         absl::FormatDuration(p->second), ": a pause and a ",
                         f.kind == scenario::Fault::kCrash ? "crash" : "pause",
                         " cannot overlap"));
      }
    }
    if (f.kind == scenario::Fault::kCrash) down[f.node] = true;
    if (f.kind == scenario::Fault::kRestart) down[f.node] = false;
    if (f.kind == scenario::Fault::kPause)
      paused_until[f.node] = f.at + f.duration;
  }
  std::vector<ScenarioFault> sorted;
  for (size_t k : order) sorted.push_back(out.faults[k]);
  out.faults = std::move(sorted);

  // Properties.
  std::set<std::string> client_names;
  for (const auto& c : out.clients) client_names.insert(c.name);
  for (int i = 0; i < s.properties_size(); ++i) {
    const scenario::Property& p = s.properties(i);
    const FieldPath at = {{"properties", i}};
    auto field = [&](const std::string& kind, const std::string& name) {
      FieldPath f = at;
      f.emplace_back(kind, -1);
      if (!name.empty()) f.emplace_back(name, -1);
      return f;
    };
    LoadedScenario::Property prop;
    prop.kind = p.kind_case();
    switch (p.kind_case()) {
      case scenario::Property::kBalancedShare: {
        const auto& b = p.balanced_share();
        if (b.backends().empty()) {
          return v.Error(field("balanced_share", "backends"),
                         "expected backend names");
        }
        for (const std::string& name : b.backends()) {
          if (!backend_names.count(name)) {
            return v.Error(field("balanced_share", "backends"),
                           absl::StrCat("unknown backend \"", name, "\""));
          }
          prop.backends.push_back(name);
        }
        if (!b.weights().empty() && b.weights_size() != b.backends_size()) {
          return v.Error(field("balanced_share", "weights"),
                         "expected one weight per backend (or none)");
        }
        for (int k = 0; k < b.backends_size(); ++k) {
          prop.weights.push_back(b.weights().empty() ? 1.0 : b.weights(k));
        }
        if (!(b.tolerance() > 0 && b.tolerance() < 1)) {
          return v.Error(field("balanced_share", "tolerance"),
                         "expected a share in (0, 1)");
        }
        prop.tolerance = b.tolerance();
        if (auto st = v.Duration(field("balanced_share", "from"), b.from(),
                                 &prop.from, false);
            !st.ok()) {
          return st;
        }
        if (auto st = v.Duration(field("balanced_share", "until"), b.until(),
                                 &prop.until, false, out.duration);
            !st.ok()) {
          return st;
        }
        prop.label = absl::StrCat("balanced share of ",
                                  absl::StrJoin(prop.backends, ", "),
                                  " within ", prop.tolerance);
        break;
      }
      case scenario::Property::kCircuitBreaker:
        prop.label =
            "circuit breaker: no calls inside fail_timeout after max_fails";
        break;
      case scenario::Property::kSuccessRate:
        if (!(p.success_rate().at_least() > 0 &&
              p.success_rate().at_least() <= 1)) {
          return v.Error(field("success_rate", "at_least"),
                         "expected a rate in (0, 1]");
        }
        prop.at_least = p.success_rate().at_least();
        prop.client = p.success_rate().client();
        if (!prop.client.empty() && !client_names.count(prop.client)) {
          return v.Error(field("success_rate", "client"),
                         absl::StrCat("unknown client \"", prop.client, "\""));
        }
        prop.label = absl::StrCat("success rate >= ", prop.at_least);
        break;
      case scenario::Property::kLatency:
        if (!(p.latency().percentile() > 0 &&
              p.latency().percentile() <= 100)) {
          return v.Error(field("latency", "percentile"),
                         "expected a percentile in (0, 100]");
        }
        prop.percentile = p.latency().percentile();
        if (auto st = v.Duration(field("latency", "at_most"),
                                 p.latency().at_most(), &prop.at_most, true);
            !st.ok()) {
          return st;
        }
        prop.successful_only = p.latency().successful_only();
        prop.label = absl::StrCat("latency p", prop.percentile,
                                  " <= ", absl::FormatDuration(prop.at_most));
        break;
      case scenario::Property::kDeadlines:
        if (auto st =
                v.Duration(field("deadlines", "slack"), p.deadlines().slack(),
                           &prop.slack, false, absl::Milliseconds(1));
            !st.ok()) {
          return st;
        }
        prop.label = "every call completes by its deadline";
        break;
      case scenario::Property::kClockSpread:
        if (auto st =
                v.Duration(field("clock_spread", "at_most"),
                           p.clock_spread().at_most(), &prop.at_most, true);
            !st.ok()) {
          return st;
        }
        prop.label = absl::StrCat("server clock spread <= ",
                                  absl::FormatDuration(prop.at_most));
        break;
      case scenario::Property::KIND_NOT_SET:
        return v.Error(at,
                       "expected one of balanced_share, circuit_breaker, "
                       "success_rate, latency, deadlines, clock_spread");
    }
    out.properties.push_back(prop);
  }
  return out;
}

}  // namespace saludo::sim
