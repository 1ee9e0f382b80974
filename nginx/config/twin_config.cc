#include "nginx/config/twin_config.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nginx/config/directives.h"

namespace saludo::nginx {
namespace {

// Settings that locations inherit from server and http.
struct Inherited {
  int64_t client_max_body_size = 1 << 20;  // nginx's default, 1m
  absl::Duration connect_timeout = absl::Seconds(60);
  absl::Duration send_timeout = absl::Seconds(60);
  absl::Duration read_timeout = absl::Seconds(60);
  uint32_t next_upstream = kNextError | kNextTimeout;
  int next_upstream_tries = 0;
  absl::Duration next_upstream_timeout = absl::ZeroDuration();
  // error_page: status -> target ("@name" or a uri); and the override: -1
  // none, 0 a bare "=" (the target's status), else "=CODE".
  std::map<int, std::pair<std::string, int>> error_pages;
  bool error_pages_set_here = false;
  // add_header grpc-status / grpc-message; a level's first add_header
  // replaces every inherited one.
  AddedHeader grpc_status;
  AddedHeader grpc_message;
  bool headers_set_here = false;
};

// client_max_body_size: an nginx offset, at most 1g here.
bool ParseBodySize(const std::string& text, int64_t* out) {
  int64_t bytes = 0;
  if (!ParseNginxSize(text, /*allow_g=*/true, &bytes) ||
      bytes > (int64_t{1} << 30)) {
    return false;
  }
  *out = bytes;
  return true;
}

class Builder {
 public:
  explicit Builder(std::string path) { config_.path = std::move(path); }

  absl::StatusOr<TwinConfig> Build(const std::vector<Directive>& top) {
    for (const Directive& d : top) {
      if (d.name == "worker_processes") {
        if (d.args.size() != 1 ||
            (!absl::SimpleAtoi(d.args[0], &config_.worker_processes) &&
             d.args[0] != "auto")) {
          return LocatedError(d.where,
                              "worker_processes takes a number or \"auto\"");
        }
        if (d.args[0] == "auto") config_.worker_processes = 0;
      } else if (d.name == "http") {
        if (absl::Status s = Http(d); !s.ok()) return s;
      } else if (d.name == "events") {
        // Connections per worker do not change balancing.
      } else {
        Unmodeled(d);
      }
    }
    if (config_.worker_processes != 1) {
      config_.unmodeled.push_back(
          "worker_processes other than 1 (balancing state is per worker; "
          "the twin models one worker)");
    }
    bool any_route = false;
    for (const ServerBlock& server : config_.servers) {
      for (const GrpcRoute& route : server.routes) {
        any_route = any_route || !route.upstream.empty();
      }
    }
    if (!any_route) {
      return absl::InvalidArgumentError(absl::StrCat(
          config_.path,
          ": no server block has a location with grpc_pass, so nginx "
          "would answer every call with 404 (is this the right file?",
          top.empty() ? " It is empty." : "", ")"));
    }
    // Every grpc_pass must name an upstream or an address.
    for (ServerBlock& server : config_.servers) {
      for (GrpcRoute& route : server.routes) {
        if (!route.upstream.empty() &&
            !config_.upstreams.count(route.upstream)) {
          if (absl::Status st = ImplicitAddress(route); !st.ok()) return st;
          Upstream implicit;
          implicit.name = route.upstream;
          implicit.implicit = true;
          UpstreamPeer peer;
          peer.address = route.upstream;
          implicit.peers.push_back(peer);
          config_.upstreams[route.upstream] = implicit;
        }
      }
    }
    return std::move(config_);
  }

 private:
  // grpc_pass to no upstream block: nginx needs HOST:PORT and resolves HOST
  // when it loads the file. The twin resolves no names: an IPv4 address or
  // localhost.
  static absl::Status ImplicitAddress(const GrpcRoute& route) {
    const std::string& target = route.upstream;
    const size_t colon = target.rfind(':');
    if (colon == std::string::npos) {
      return LocatedError(route.pass_where,
                          absl::StrCat("no port in upstream \"", target, "\""));
    }
    const std::string host = target.substr(0, colon);
    bool ipv4 = !host.empty();
    int dots = 0;
    for (char c : host) {
      dots += c == '.';
      ipv4 = ipv4 && (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                      c == '.');
    }
    if ((ipv4 && dots == 3) || host == "localhost") return absl::OkStatus();
    return LocatedError(
        route.pass_where,
        absl::StrCat("host not found in upstream \"", host,
                     "\" (the twin resolves no host names: write "
                     "an address or an upstream block's name)"));
  }

  void Unmodeled(const Directive& d) {
    if (!seen_unmodeled_.insert(d.name).second) return;
    config_.unmodeled.push_back(
        absl::StrCat(d.name, " (", d.where.file, ":", d.where.line, ")"));
  }

  absl::Status Http(const Directive& http) {
    Inherited settings;
    for (const Directive& d : http.block) {
      absl::StatusOr<bool> handled = Setting(d, &settings);
      if (!handled.ok()) return handled.status();
      if (*handled) continue;
      if (d.name == "upstream") {
        if (absl::Status s = UpstreamBlock(d); !s.ok()) return s;
      } else if (d.name == "server") {
        // server blocks come after the settings they inherit in our files;
        // nginx merges regardless of order, so collect them first.
        server_directives_.push_back(&d);
      } else {
        Unmodeled(d);
      }
    }
    for (const Directive* d : server_directives_) {
      if (absl::Status s = Server(*d, settings); !s.ok()) return s;
    }
    server_directives_.clear();
    return absl::OkStatus();
  }

  // Applies a grpc_* or error_page directive; false if `d` is not one.
  absl::StatusOr<bool> Setting(const Directive& d, Inherited* s) {
    auto one_duration = [&](absl::Duration* out) -> absl::StatusOr<bool> {
      if (d.args.size() != 1 || !ParseNginxDuration(d.args[0], out)) {
        return LocatedError(d.where,
                            absl::StrCat("\"", d.name,
                                         "\" takes one time value such as 1s "
                                         "or 500ms"));
      }
      return true;
    };
    if (d.name == "grpc_connect_timeout")
      return one_duration(&s->connect_timeout);
    if (d.name == "grpc_send_timeout") return one_duration(&s->send_timeout);
    if (d.name == "grpc_read_timeout") return one_duration(&s->read_timeout);
    if (d.name == "grpc_next_upstream_timeout") {
      return one_duration(&s->next_upstream_timeout);
    }
    if (d.name == "client_max_body_size") {
      if (d.args.size() != 1 ||
          !ParseBodySize(d.args[0], &s->client_max_body_size)) {
        return LocatedError(
            d.where,
            "client_max_body_size takes a size such as 1m, 64k or 0 "
            "(no limit), at most 1g");
      }
      return true;
    }
    if (d.name == "grpc_next_upstream_tries") {
      if (d.args.size() != 1 ||
          !absl::SimpleAtoi(d.args[0], &s->next_upstream_tries) ||
          s->next_upstream_tries < 0 || s->next_upstream_tries > 10000) {
        return LocatedError(
            d.where, "grpc_next_upstream_tries takes a number in 0..10000");
      }
      return true;
    }
    if (d.name == "grpc_next_upstream") {
      if (absl::Status st = NextUpstream(d, s); !st.ok()) return st;
      return true;
    }
    if (d.name == "error_page") {
      if (absl::Status st = ErrorPage(d, s); !st.ok()) return st;
      return true;
    }
    if (d.name == "add_header") {
      if (absl::Status st = AddHeader(d, s); !st.ok()) return st;
      return true;
    }
    return false;
  }

  // add_header NAME VALUE [always]: the gRPC headers are kept.
  static absl::Status AddHeader(const Directive& d, Inherited* s) {
    if (d.args.size() == 3 && d.args[2] != "always") {
      return LocatedError(
          d.arg_locations[2],
          absl::StrCat("invalid parameter \"", d.args[2], "\""));
    }
    if (!s->headers_set_here) {
      s->grpc_status = AddedHeader();
      s->grpc_message = AddedHeader();
      s->headers_set_here = true;
    }
    const std::string name = absl::AsciiStrToLower(d.args[0]);
    AddedHeader* header = name == "grpc-status"    ? &s->grpc_status
                          : name == "grpc-message" ? &s->grpc_message
                                                   : nullptr;
    if (header == nullptr) return absl::OkStatus();
    header->set = true;
    header->value = d.args[1];
    header->always = d.args.size() == 3;
    return absl::OkStatus();
  }

  // grpc_next_upstream: the failures nginx may retry (a mask).
  absl::Status NextUpstream(const Directive& d, Inherited* s) {
    static const std::map<std::string, uint32_t> kFlags = {
        {"error", kNextError},
        {"timeout", kNextTimeout},
        {"invalid_header", kNextInvalidHeader},
        {"http_500", kNextHttp500},
        {"http_502", kNextHttp502},
        {"http_503", kNextHttp503},
        {"http_504", kNextHttp504},
        {"http_403", kNextHttp403},
        {"http_404", kNextHttp404},
        {"http_429", kNextHttp429},
        {"non_idempotent", kNextNonIdempotent}};
    uint32_t mask = 0;
    for (size_t i = 0; i < d.args.size(); ++i) {
      if (d.args[i] == "off") {
        mask = 0;
        continue;
      }
      auto it = kFlags.find(d.args[i]);
      if (it == kFlags.end()) {
        return LocatedError(
            d.arg_locations[i],
            absl::StrCat("invalid value \"", d.args[i],
                         "\" in grpc_next_upstream: expected error, "
                         "timeout, invalid_header, http_500, http_502, "
                         "http_503, http_504, http_403, http_404, "
                         "http_429, non_idempotent or off"));
      }
      mask |= it->second;
    }
    if (d.args.empty())
      return LocatedError(d.where, "grpc_next_upstream needs a value");
    s->next_upstream = mask;
    return absl::OkStatus();
  }

  // error_page CODE... [=NEW] TARGET; a level's first one replaces the
  // inherited pages.
  absl::Status ErrorPage(const Directive& d, Inherited* s) {
    if (d.args.size() < 2) {
      return LocatedError(d.where, "error_page takes codes and a target");
    }
    if (!s->error_pages_set_here) {
      s->error_pages.clear();  // nginx: error_page at a level replaces all
      s->error_pages_set_here = true;
    }
    std::string target = d.args.back();
    int override_code = -1;
    size_t codes_end = d.args.size() - 1;
    if (codes_end > 0 && absl::StartsWith(d.args[codes_end - 1], "=")) {
      absl::string_view code = d.args[codes_end - 1];
      code.remove_prefix(1);
      override_code = 0;
      if (!code.empty() && !absl::SimpleAtoi(code, &override_code)) {
        return LocatedError(
            d.arg_locations[codes_end - 1],
            "invalid response code in error_page: expected 100..599");
      }
      --codes_end;
    }
    for (size_t i = 0; i < codes_end; ++i) {
      int code = 0;
      if (!absl::SimpleAtoi(d.args[i], &code) || code < 300 || code > 599) {
        return LocatedError(
            d.arg_locations[i],
            absl::StrCat("invalid code \"", d.args[i],
                         "\" in error_page: expected 300..599"));
      }
      s->error_pages[code] = {target, override_code};
    }
    return absl::OkStatus();
  }

  absl::Status UpstreamBlock(const Directive& d) {
    if (d.args.size() != 1)
      return LocatedError(d.where, "upstream takes one name");
    Upstream up;
    up.name = d.args[0];
    up.where = d.where;
    for (const Directive& x : d.block) {
      if (x.name == "server") {
        if (absl::Status s = UpstreamServer(x, &up); !s.ok()) return s;
      } else if (x.name == "keepalive") {
        if (x.args.size() != 1 || !absl::SimpleAtoi(x.args[0], &up.keepalive) ||
            up.keepalive < 1) {
          return LocatedError(x.where, "keepalive takes a number >= 1");
        }
      } else if (x.name == "least_conn") {
        up.method = BalanceMethod::kLeastConn;
      } else if (x.name == "ip_hash") {
        up.method = BalanceMethod::kIpHash;
      } else if (x.name == "random") {
        up.method = BalanceMethod::kRandom;
        if (!x.args.empty()) {
          if (x.args[0] != "two" || x.args.size() > 2 ||
              (x.args.size() == 2 && x.args[1] != "least_conn")) {
            return LocatedError(
                x.where, "random takes nothing, \"two\" or \"two least_conn\"");
          }
          up.random_two = true;
        }
      } else if (x.name == "hash") {
        if (x.args.empty() || x.args.size() > 2 ||
            (x.args.size() == 2 && x.args[1] != "consistent")) {
          return LocatedError(x.where,
                              "hash takes a key and optionally \"consistent\"");
        }
        up.method = BalanceMethod::kHash;
        up.hash_key = x.args[0];
        if (std::string why = UnknownHashKeyVariable(up.hash_key);
            !why.empty()) {
          return LocatedError(x.arg_locations[0], why);
        }
        up.hash_consistent = x.args.size() == 2;

      } else {
        Unmodeled(x);
      }
    }
    if (up.peers.empty())
      return LocatedError(d.where,
                          "upstream \"" + up.name + "\" has no servers");
    const bool backup_forbidden = up.method == BalanceMethod::kHash ||
                                  up.method == BalanceMethod::kIpHash ||
                                  up.method == BalanceMethod::kRandom;
    for (const UpstreamPeer& p : up.peers) {
      if (p.backup && backup_forbidden) {
        return LocatedError(
            p.where, "balancing method does not support parameter \"backup\"");
      }
    }
    if (config_.upstreams.count(up.name)) {
      return LocatedError(d.where, "duplicate upstream \"" + up.name + "\"");
    }
    config_.upstreams[up.name] = std::move(up);
    return absl::OkStatus();
  }

  absl::Status UpstreamServer(const Directive& x, Upstream* up) {
    if (x.args.empty()) return LocatedError(x.where, "server needs an address");
    UpstreamPeer p;
    p.address = x.args[0];
    p.where = x.where;
    for (size_t i = 1; i < x.args.size(); ++i) {
      const std::string& a = x.args[i];
      auto value = [&](absl::string_view key) -> std::string {
        return a.substr(key.size());
      };
      bool ok = true;
      if (absl::StartsWith(a, "weight=")) {
        ok = absl::SimpleAtoi(value("weight="), &p.weight) && p.weight >= 1;
      } else if (absl::StartsWith(a, "max_fails=")) {
        ok = absl::SimpleAtoi(value("max_fails="), &p.max_fails) &&
             p.max_fails >= 0;
      } else if (absl::StartsWith(a, "fail_timeout=")) {
        // nginx reads fail_timeout in whole seconds: "ms" is refused.
        int64_t ms = 0;
        ok = ParseNginxTime(value("fail_timeout="), /*whole_seconds=*/true,
                            &ms);
        p.fail_timeout = absl::Milliseconds(ms);
      } else if (absl::StartsWith(a, "max_conns=")) {
        ok = absl::SimpleAtoi(value("max_conns="), &p.max_conns) &&
             p.max_conns >= 0;
      } else if (a == "backup") {
        p.backup = true;
      } else if (a == "down") {
        p.down = true;
      } else {
        return LocatedError(
            x.arg_locations[i],
            absl::StrCat("invalid parameter \"", a,
                         "\" of an upstream server: expected weight=N, "
                         "max_fails=N, fail_timeout=T, max_conns=N, "
                         "backup or down"));
      }
      if (!ok) {
        return LocatedError(x.arg_locations[i],
                            absl::StrCat("invalid parameter \"", a, "\""));
      }
    }
    up->peers.push_back(std::move(p));
    return absl::OkStatus();
  }

  absl::Status Server(const Directive& d, Inherited settings) {
    settings.error_pages_set_here = false;
    ServerBlock server;
    std::map<std::string, const Directive*> named_locations;
    std::vector<const Directive*> locations;
    for (const Directive& x : d.block) {
      absl::StatusOr<bool> handled = Setting(x, &settings);
      if (!handled.ok()) return handled.status();
      if (*handled) continue;
      if (x.name == "listen") {
        if (absl::Status st = Listen(x, &server); !st.ok()) return st;
      } else if (x.name == "server_name") {
        if (absl::Status st = ServerNames(x, &server); !st.ok()) return st;
      } else if (x.name == "location") {
        if (x.args.empty() || x.args.size() > 2) {
          return LocatedError(x.where,
                              "invalid number of arguments in \"location\"");
        }
        if (absl::StartsWith(x.args.back(), "@")) {
          if (!named_locations.emplace(x.args.back(), &x).second) {
            return LocatedError(x.where, absl::StrCat("duplicate location \"",
                                                      x.args.back(), "\""));
          }
        } else {
          locations.push_back(&x);
        }
      } else {
        Unmodeled(x);
      }
    }
    // No listen: nginx's default, *:80 (8000 when not run as root).
    if (server.listen_ports.empty()) server.listen_ports.push_back(80);
    std::set<std::pair<bool, std::string>> seen;  // (exact?, path)
    const LocationScope scope{&named_locations, &settings, &server};
    for (const Directive* loc : locations) {
      if (absl::Status st = Location(*loc, settings, scope, -1, &seen);
          !st.ok()) {
        return st;
      }
    }
    config_.servers.push_back(std::move(server));
    return absl::OkStatus();
  }

  // server_name NAME...: exact, wildcard or ~regex names.
  static absl::Status ServerNames(const Directive& x, ServerBlock* server) {
    for (size_t i = 0; i < x.args.size(); ++i) {
      const std::string& name = x.args[i];
      if (absl::StartsWith(name, "~")) {
        auto regex = LocationRegex::Compile(name.substr(1), /*caseless=*/true);
        if (!regex.ok()) {
          return LocatedError(x.arg_locations[i],
                              std::string(regex.status().message()));
        }
        server->name_regexes.push_back(*std::move(regex));
      } else {
        // ".example.com" is "example.com" and "*.example.com".
        const std::string lower = absl::AsciiStrToLower(name);
        if (absl::StartsWith(lower, ".")) {
          server->names.push_back(lower.substr(1));
          server->names.push_back("*" + lower);
        } else {
          server->names.push_back(lower);
        }
      }
    }
    return absl::OkStatus();
  }

  // listen [ADDRESS:]PORT ...
  absl::Status Listen(const Directive& x, ServerBlock* server) {
    if (x.args.empty()) return LocatedError(x.where, "listen needs an address");
    const std::string& addr = x.args[0];
    const size_t colon = addr.rfind(':');
    int port = 0;
    if (!absl::SimpleAtoi(
            colon == std::string::npos ? addr : addr.substr(colon + 1),
            &port) ||
        port < 1 || port > 65535) {
      return LocatedError(
          x.arg_locations[0],
          "cannot read the port (1..65535) of \"" + addr + "\"");
    }
    // nginx's listen parameters (those this nginx was built with).
    static const char* const kFlags[] = {
        "default_server", "default", "ssl", "http2", "proxy_protocol",
        "deferred", "bind", "reuseport"};
    static const char* const kValued[] = {
        "backlog=", "rcvbuf=", "sndbuf=", "ipv6only=", "fastopen=",
        "so_keepalive=", "accept_filter="};
    for (size_t i = 1; i < x.args.size(); ++i) {
      const std::string& a = x.args[i];
      bool known = false;
      for (const char* f : kFlags) known = known || a == f;
      for (const char* v : kValued) known = known || absl::StartsWith(a, v);
      if (!known) {
        return LocatedError(x.arg_locations[i],
                            absl::StrCat("invalid parameter \"", a, "\""));
      }
      if (a == "default_server" || a == "default") {
        server->default_server_ports.push_back(port);
      }
    }
    server->listen_ports.push_back(port);
    return absl::OkStatus();
  }

  // The grpc_pass of a location ("" if none): grpc://UPSTREAM or HOST:PORT.
  absl::StatusOr<std::string> GrpcPass(const Directive& x) {
    if (x.args.size() != 1)
      return LocatedError(x.where, "grpc_pass takes one address");
    const std::string& pass = x.args[0];
    const std::string lower = absl::AsciiStrToLower(pass);
    if (absl::StartsWith(lower, "grpcs://")) {
      return LocatedError(x.where,
                          "grpcs:// (TLS to the backends) is not modeled");
    }
    // nginx takes the address without a scheme too (plain gRPC).
    const std::string target =
        absl::StartsWith(lower, "grpc://") ? pass.substr(7) : pass;
    if (target.empty() || target.find('$') != std::string::npos) {
      return LocatedError(
          x.arg_locations[0],
          "expected [grpc://]UPSTREAM or [grpc://]HOST:PORT (variables "
          "are not modeled)");
    }
    return target;
  }

  // The modifier and path of `location [= | ^~ | ~ | ~*] PATH` (a modifier
  // may also be written onto the path: `=/x`, `~^/x`), its regex compiled;
  // nginx's "duplicate location" for a second exact or prefix location of
  // one path in a server.
  absl::Status ReadLocationMatch(const Directive& loc,
                                 std::set<std::pair<bool, std::string>>* seen,
                                 GrpcRoute* route) {
    std::string mod = loc.args.size() == 2 ? loc.args[0] : "";
    std::string path = loc.args.back();
    if (loc.args.size() == 1) {
      for (const char* m : {"^~", "~*", "=", "~"}) {
        if (absl::StartsWith(path, m) && path.size() > strlen(m)) {
          mod = m;
          path = path.substr(strlen(m));
          break;
        }
      }
    }
    if (mod == "=") {
      route->match = LocationMatch::kExact;
    } else if (mod == "^~") {
      route->match = LocationMatch::kPrefixStop;
    } else if (mod == "~" || mod == "~*") {
      route->match = mod == "~" ? LocationMatch::kRegex
                                : LocationMatch::kRegexCaseless;
      auto regex = LocationRegex::Compile(path, mod == "~*");
      if (!regex.ok()) {
        return LocatedError(loc.arg_locations.back(),
                            std::string(regex.status().message()));
      }
      route->regex = *std::move(regex);
    } else if (!mod.empty()) {
      return LocatedError(
          loc.arg_locations[0],
          absl::StrCat("invalid location modifier \"", mod, "\""));
    }
    route->location = path;
    const bool regex = route->regex != nullptr;
    if (!regex &&
        !seen->insert({route->match == LocationMatch::kExact, path}).second) {
      return LocatedError(loc.where,
                          absl::StrCat("duplicate location \"", path, "\""));
    }
    return absl::OkStatus();
  }

  // What a location without grpc_pass answers: `return CODE [TEXT]`, else
  // nginx's static handler (no file for a gRPC path: 404).
  // `return CODE [TEXT]`: the status, and a body if there is text or the
  // code has nginx's error page. False in `*pages_apply` with text: nginx
  // sends it as it is, error_page aside.
  absl::Status ReadReturn(const Directive& x, ErrorAnswer* answer,
                          bool* pages_apply) {
    const std::string& first = x.args.at(0);  // the table checked 1..2
    const bool url = x.args.size() == 1 &&
                     (absl::StartsWith(first, "http://") ||
                      absl::StartsWith(first, "https://") ||
                      absl::StartsWith(first, "$scheme"));
    int64_t code = 302;  // `return URL`: a temporary redirect
    if (!url && (!ParseNginxNumber(first, &code) || code > 999)) {
      return LocatedError(x.where,
                          absl::StrCat("invalid return code \"", first, "\""));
    }
    answer->http_status = static_cast<int>(code);
    // `return CODE URL` for a redirect: nginx's page, as without text.
    const bool text = x.args.size() == 2 && (code < 301 || code > 308);
    answer->body =
        text ? !x.args[1].empty() : HasErrorPageBody(answer->http_status);
    *pages_apply = !text;
    return absl::OkStatus();
  }

  // What a location's routes share: the server's named locations and
  // settings, and where its routes go.
  struct LocationScope {
    const std::map<std::string, const Directive*>* named;
    const Inherited* server_level;
    ServerBlock* server;
  };

  // nginx's rules for a location inside `parent`.
  static absl::Status CheckNesting(const Directive& loc,
                                   const GrpcRoute& parent) {
    const std::string& path = loc.args.back();
    if (parent.match == LocationMatch::kExact) {
      return LocatedError(
          loc.where, absl::StrCat("location \"", path,
                                  "\" cannot be inside the exact location \"",
                                  parent.location, "\""));
    }
    if (absl::StartsWith(path, "@")) {
      return LocatedError(loc.where,
                          absl::StrCat("named location \"", path,
                                       "\" can be on the server level only"));
    }
    return absl::OkStatus();
  }

  // Every location becomes a route, a nested one after its parent (`parent`:
  // its index in the server's routes, -1 for none): with grpc_pass, its
  // settings; without, what nginx answers itself. Both with the gRPC headers
  // it adds and its error pages, inherited from `inherited`.
  absl::Status Location(const Directive& loc, const Inherited& inherited,
                        const LocationScope& scope, int parent,
                        std::set<std::pair<bool, std::string>>* seen) {
    Inherited local = inherited;
    local.error_pages_set_here = false;
    local.headers_set_here = false;
    GrpcRoute route;
    route.parent = parent;
    if (parent >= 0) {
      const GrpcRoute& outer = scope.server->routes[parent];
      if (absl::Status st = CheckNesting(loc, outer); !st.ok()) return st;
    }
    if (absl::Status st = ReadLocationMatch(loc, seen, &route); !st.ok()) {
      return st;
    }
    if (parent >= 0 && route.regex == nullptr &&
        !absl::StartsWith(route.location,
                          scope.server->routes[parent].location)) {
      return LocatedError(
          loc.where, absl::StrCat("location \"", route.location,
                                  "\" is outside location \"",
                                  scope.server->routes[parent].location, "\""));
    }
    std::vector<const Directive*> nested;
    if (absl::Status st = LocationBody(loc, scope, &local, &nested, &route);
        !st.ok()) {
      return st;
    }
    const int index = static_cast<int>(scope.server->routes.size());
    scope.server->routes.push_back(std::move(route));
    std::set<std::pair<bool, std::string>> nested_seen;
    for (const Directive* inner : nested) {
      if (absl::Status st = Location(*inner, local, scope, index, &nested_seen);
          !st.ok()) {
        return st;
      }
    }
    return absl::OkStatus();
  }

  // A location's own directives into `route` (settings in `local`), its
  // nested locations into `nested`.
  absl::Status LocationBody(const Directive& loc, const LocationScope& scope,
                            Inherited* local,
                            std::vector<const Directive*>* nested,
                            GrpcRoute* route) {
    route->answer.http_status = 404;  // nginx's static handler: no such file
    route->answer.body = true;
    bool pages_apply = true;
    for (const Directive& x : loc.block) {
      absl::StatusOr<bool> handled = Setting(x, local);
      if (!handled.ok()) return handled.status();
      if (*handled) continue;
      if (x.name == "location") {
        nested->push_back(&x);
      } else if (x.name == "return") {
        if (absl::Status st = ReadReturn(x, &route->answer, &pages_apply);
            !st.ok()) {
          return st;
        }
      } else if (x.name == "grpc_pass") {
        absl::StatusOr<std::string> target = GrpcPass(x);
        if (!target.ok()) return target.status();
        route->upstream = *target;
        route->pass_where = x.where;
      } else {
        Unmodeled(x);
      }
    }
    route->answer.grpc_status = local->grpc_status;
    route->answer.grpc_message = local->grpc_message;
    route->connect_timeout = local->connect_timeout;
    route->send_timeout = local->send_timeout;
    route->read_timeout = local->read_timeout;
    route->next_upstream = local->next_upstream;
    route->next_upstream_tries = local->next_upstream_tries;
    route->next_upstream_timeout = local->next_upstream_timeout;
    route->client_max_body_size = local->client_max_body_size;
    if (!pages_apply) return absl::OkStatus();
    return ErrorPages(*local, *scope.server_level, *scope.named, route);
  }

  // What each error_page in force answers: a named location's answer (its
  // `return`, its headers or the server's), with the status nginx sends:
  // "=CODE" that code, a bare "=" the named location's, else the original.
  absl::Status ErrorPages(
      const Inherited& local, const Inherited& server_level,
      const std::map<std::string, const Directive*>& named_locations,
      GrpcRoute* route) {
    for (const auto& [code, target] : local.error_pages) {
      const int override_code = target.second;
      ErrorAnswer answer;
      answer.http_status = override_code > 0 ? override_code : code;
      answer.body = HasErrorPageBody(answer.http_status);
      auto named = named_locations.find(target.first);
      if (named != named_locations.end()) {
        if (absl::Status st =
                ReadErrorLocation(*named->second, server_level, &answer);
            !st.ok()) {
          return st;
        }
        if (override_code > 0) answer.http_status = override_code;
        if (override_code < 0) answer.http_status = code;
      } else {
        config_.unmodeled.push_back(
            absl::StrCat("error_page target ", target.first,
                         " (only named locations are modeled)"));
      }
      route->error_pages[code] = answer;
    }
    return absl::OkStatus();
  }

  // A named location that answers itself: its `return CODE [TEXT]` (else
  // nginx's 404) and the gRPC headers it adds (else the server's).
  absl::Status ReadErrorLocation(const Directive& loc, Inherited settings,
                                 ErrorAnswer* answer) {
    settings.headers_set_here = false;
    answer->http_status = 404;
    answer->body = true;
    for (const Directive& x : loc.block) {
      bool pages_apply = true;
      if (x.name == "add_header") {
        if (absl::Status st = AddHeader(x, &settings); !st.ok()) return st;
      } else if (x.name == "return") {
        if (absl::Status st = ReadReturn(x, answer, &pages_apply); !st.ok()) {
          return st;
        }
      } else if (x.name == "grpc_pass") {
        config_.unmodeled.push_back(absl::StrCat(
            "error_page to a named location that proxies (",
            FormatLocation(x.where), ")"));
      }
    }
    answer->grpc_status = settings.grpc_status;
    answer->grpc_message = settings.grpc_message;
    return absl::OkStatus();
  }

  TwinConfig config_;
  std::set<std::string> seen_unmodeled_;
  std::vector<const Directive*> server_directives_;
};

}  // namespace

bool ParseNginxDuration(const std::string& text, absl::Duration* out) {
  int64_t ms = 0;
  if (!ParseNginxTime(text, /*whole_seconds=*/false, &ms)) return false;
  *out = absl::Milliseconds(ms);
  return true;
}

absl::StatusOr<TwinConfig> BuildTwinConfig(const std::vector<Directive>& top,
                                           const std::string& path) {
  // nginx's own rules first (an empty file gets the twin's plainer message).
  if (!top.empty()) {
    if (absl::Status valid = CheckDirectives(top); !valid.ok()) return valid;
  }
  return Builder(path).Build(top);
}

absl::StatusOr<TwinConfig> LoadTwinConfig(const std::string& path) {
  absl::StatusOr<std::vector<Directive>> top = ParseConfigFile(path);
  if (!top.ok()) return top.status();
  return BuildTwinConfig(*top, path);
}

namespace {

// Calls `on_text(literal)` and `on_variable(name)` for the parts of an nginx
// complex value ("id-$remote_addr", "${uri}x").
template <class Text, class Variable>
void ForEachPart(const std::string& key, Text on_text, Variable on_variable) {
  size_t i = 0;
  while (i < key.size()) {
    if (key[i] != '$') {
      const size_t next = key.find('$', i);
      on_text(key.substr(i, next == std::string::npos ? next : next - i));
      i = next == std::string::npos ? key.size() : next;
      continue;
    }
    size_t start = i + 1, end;
    if (start < key.size() && key[start] == '{') {
      end = key.find('}', start);
      if (end == std::string::npos) end = key.size();
      on_variable(key.substr(start + 1, end - start - 1));
      i = std::min(key.size(), end + 1);
      continue;
    }
    end = start;
    while (end < key.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(key[end])) ||
            key[end] == '_')) {
      ++end;
    }
    on_variable(key.substr(start, end - start));
    i = end;
  }
}

// $http_NAME: the first header whose name, lowercase with "-" as "_", is
// NAME.
std::string HeaderValue(const std::string& name, const RequestFacts& facts) {
  if (facts.headers == nullptr) return "";
  for (const auto& [header, value] : *facts.headers) {
    std::string normal = absl::AsciiStrToLower(header);
    std::replace(normal.begin(), normal.end(), '-', '_');
    if (normal == absl::AsciiStrToLower(name)) return value;
  }
  return "";
}

// The variable's value, or false if it is not one the twin knows.
bool VariableValue(const std::string& name, const RequestFacts& facts,
                   std::string* out) {
  if (name == "remote_addr" || name == "server_addr") {
    *out = "127.0.0.1";
  } else if (name == "binary_remote_addr") {
    *out = std::string("\x7f\x00\x00\x01", 4);
  } else if (name == "request_uri" || name == "uri" || name == "document_uri") {
    *out = facts.uri;
  } else if (name == "request_method") {
    *out = "POST";
  } else if (name == "scheme") {
    *out = "http";
  } else if (name == "server_port") {
    *out = absl::StrCat(facts.server_port);
  } else if (name == "remote_port") {
    *out = absl::StrCat(facts.remote_port);
  } else if (absl::StartsWith(name, "arg_")) {
    out->clear();
  } else if (absl::StartsWith(name, "http_")) {
    *out = HeaderValue(name.substr(5), facts);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string EvaluateHashKey(const std::string& key,
                            const RequestFacts& facts) {
  std::string value;
  ForEachPart(
      key, [&](const std::string& text) { value += text; },
      [&](const std::string& name) {
        std::string v;
        if (VariableValue(name, facts, &v)) value += v;
      });
  return value;
}

std::string UnknownHashKeyVariable(const std::string& key) {
  std::string unknown;
  ForEachPart(
      key, [](const std::string&) {},
      [&](const std::string& name) {
        std::string v;
        if (unknown.empty() && !VariableValue(name, RequestFacts(), &v)) {
          unknown = absl::StrCat("the variable $", name,
                                 " in a hash key is not modeled");
        }
      });
  return unknown;
}

int DefaultPort(const TwinConfig& config) {
  for (const ServerBlock& server : config.servers) {
    if (!server.listen_ports.empty()) return server.listen_ports.front();
  }
  return 0;
}

namespace {

// How well `server`'s names match `host`: 4 exact, 3 + "*.x", 2 + "x.*" (the
// longer wildcard the better), 1 a regex, 0 none.
double NameMatch(const ServerBlock& server, const std::string& host) {
  double best = 0;
  for (const std::string& name : server.names) {
    if (name == host) return 4;
    if (absl::StartsWith(name, "*.") && absl::EndsWith(host, name.substr(1))) {
      best = std::max(best, 3 + 1.0 - 1.0 / (name.size() + 1));
    } else if (absl::EndsWith(name, ".*") &&
               absl::StartsWith(host, name.substr(0, name.size() - 1))) {
      best = std::max(best, 2 + 1.0 - 1.0 / (name.size() + 1));
    }
  }
  for (const auto& regex : server.name_regexes) {
    if (best < 1 && regex->Matches(host)) best = 1;
  }
  return best;
}

}  // namespace

const ServerBlock* ServerFor(const TwinConfig& config, int port,
                             const std::string& host) {
  if (port == 0) port = DefaultPort(config);
  const std::string lower = absl::AsciiStrToLower(host);
  const ServerBlock* first = nullptr;
  const ServerBlock* fallback = nullptr;  // default_server, else first
  const ServerBlock* named = nullptr;
  double named_score = 0;
  for (const ServerBlock& server : config.servers) {
    const auto& ports = server.listen_ports;
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) continue;
    if (first == nullptr) first = &server;
    const auto& defaults = server.default_server_ports;
    if (fallback == nullptr &&
        std::find(defaults.begin(), defaults.end(), port) != defaults.end()) {
      fallback = &server;
    }
    const double score = NameMatch(server, lower);
    if (score > named_score) {
      named = &server;
      named_score = score;
    }
  }
  if (named != nullptr) return named;
  return fallback != nullptr ? fallback : first;
}

namespace {

// nginx's ngx_http_core_find_location over the locations of `server` nested
// in `parent` (-1: the server's own): `*chosen` is what matched; true when
// the search is over (an exact match, or a regular expression matched).
bool FindLocation(const ServerBlock& server, int parent,
                  const std::string& path, int* chosen) {
  const std::vector<GrpcRoute>& routes = server.routes;
  int prefix = -1;  // the longest matching prefix of this level
  for (int i = 0; i < static_cast<int>(routes.size()); ++i) {
    const GrpcRoute& r = routes[i];
    if (r.parent != parent) continue;
    if (r.match == LocationMatch::kExact && r.location == path) {
      *chosen = i;
      return true;
    }
    const bool is_prefix = r.match == LocationMatch::kPrefix ||
                           r.match == LocationMatch::kPrefixStop;
    if (is_prefix && absl::StartsWith(path, r.location) &&
        (prefix < 0 || r.location.size() > routes[prefix].location.size())) {
      prefix = i;
    }
  }
  bool noregex = false;
  if (prefix >= 0) {
    *chosen = prefix;
    noregex = routes[prefix].match == LocationMatch::kPrefixStop;
    if (FindLocation(server, prefix, path, chosen)) return true;
  }
  if (noregex) return false;
  for (int i = 0; i < static_cast<int>(routes.size()); ++i) {
    const GrpcRoute& r = routes[i];
    if (r.parent != parent || r.regex == nullptr || !r.regex->Matches(path)) {
      continue;
    }
    *chosen = i;
    FindLocation(server, i, path, chosen);
    return true;
  }
  return false;
}

}  // namespace

const GrpcRoute* RouteFor(const TwinConfig& config, const std::string& path,
                          int port) {
  const ServerBlock* server = ServerFor(config, port);
  if (server == nullptr) return nullptr;
  int chosen = -1;
  FindLocation(*server, -1, path, &chosen);
  return chosen < 0 ? nullptr : &server->routes[chosen];
}

bool AddedHeader::SentWith(int http_status) const {
  static constexpr int kStatuses[] = {200, 201, 204, 206, 301,
                                      302, 303, 304, 307, 308};
  if (!set) return false;
  if (always) return true;
  return std::find(std::begin(kStatuses), std::end(kStatuses), http_status) !=
         std::end(kStatuses);
}

ErrorAnswer NginxAnswer(const GrpcRoute* route, int http_status) {
  ErrorAnswer own;
  own.http_status = http_status;
  own.body = HasErrorPageBody(http_status);
  if (route == nullptr) return own;
  auto page = route->error_pages.find(http_status);
  if (page != route->error_pages.end()) return page->second;
  // A location that answers itself sends its own answer (return's text).
  if (route->upstream.empty() && http_status == route->answer.http_status) {
    return route->answer;
  }
  own.grpc_status = route->answer.grpc_status;
  own.grpc_message = route->answer.grpc_message;
  return own;
}

ErrorAnswer OwnAnswer(const GrpcRoute* route) {
  return NginxAnswer(route, route == nullptr ? 404 : route->answer.http_status);
}

bool HasErrorPageBody(int http_status) {
  return http_status >= 300 && http_status != 304;
}

absl::Status ClientStatusFor(const ErrorAnswer& answer) {
  const int http = answer.http_status;
  if (answer.grpc_status.SentWith(http)) {
    if (answer.body) return absl::UnknownError("Stream removed");
    int code = 0;
    if (!absl::SimpleAtoi(answer.grpc_status.value, &code) || code < 0 ||
        code > 16) {
      code = static_cast<int>(absl::StatusCode::kUnknown);
    }
    return absl::Status(
        static_cast<absl::StatusCode>(code),
        answer.grpc_message.SentWith(http) ? answer.grpc_message.value : "");
  }
  const std::string message =
      absl::StrCat("Received http2 header with status: ", http);
  switch (http) {
    case 200:
      if (answer.body) return absl::UnknownError("Stream removed");
      return absl::InternalError(
          "nginx answered 200 with neither a message nor grpc-status (the "
          "gRPC 1.51 C++ client aborts on this answer)");
    case 400:
      return absl::InternalError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::UnimplementedError(message);
    case 429:
    case 502:
    case 503:
    case 504:
      return absl::UnavailableError(message);
    default:
      return absl::UnknownError(message);
  }
}

}  // namespace saludo::nginx
