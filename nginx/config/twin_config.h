// What the nginx twin needs from a configuration: upstream groups (servers and
// their parameters, balancing method, keepalive), and, per location that
// grpc_passes, the timeouts, next-upstream rules and error pages in force
// (with nginx's inheritance http -> server -> location). Directives the twin
// does not model are listed, once each, for the run's report.
#ifndef SALUDO_NGINX_CONFIG_TWIN_CONFIG_H_
#define SALUDO_NGINX_CONFIG_TWIN_CONFIG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nginx/config/location_regex.h"
#include "nginx/config/parser.h"

namespace saludo::nginx {

// grpc_next_upstream flags (nginx's NGX_HTTP_UPSTREAM_FT_*).
enum NextUpstreamFlag : uint32_t {
  kNextError = 1u << 0,
  kNextTimeout = 1u << 1,
  kNextInvalidHeader = 1u << 2,
  kNextHttp500 = 1u << 3,
  kNextHttp502 = 1u << 4,
  kNextHttp503 = 1u << 5,
  kNextHttp504 = 1u << 6,
  kNextHttp403 = 1u << 7,
  kNextHttp404 = 1u << 8,
  kNextHttp429 = 1u << 9,
  kNextNonIdempotent = 1u << 10,
};

struct UpstreamPeer {
  std::string address;  // as written: "127.0.0.1:3001"
  int weight = 1;
  int max_fails = 1;
  absl::Duration fail_timeout = absl::Seconds(10);
  int max_conns = 0;  // 0: unlimited
  bool backup = false;
  bool down = false;
  SourceLocation where;
};

enum class BalanceMethod { kRoundRobin, kLeastConn, kRandom, kHash, kIpHash };

struct Upstream {
  std::string name;
  std::vector<UpstreamPeer> peers;  // config order; primaries and backups
  BalanceMethod method = BalanceMethod::kRoundRobin;
  bool random_two = false;  // random two [least_conn]
  std::string hash_key;     // hash KEY
  bool hash_consistent = false;
  int keepalive = 0;      // cached idle connections
  bool implicit = false;  // made from grpc_pass grpc://host:port
  SourceLocation where;
};

// A header of `add_header NAME VALUE [always]`: without `always` nginx adds
// it only to 200, 201, 204, 206, 301, 302, 303, 304, 307 and 308 answers.
struct AddedHeader {
  bool set = false;
  std::string value;
  bool always = false;
  // Whether nginx sends it with an answer of `http_status`.
  bool SentWith(int http_status) const;
};

// What nginx answers itself (`return`, its static 404, its own 502/504, an
// error_page): the status, whether a body follows (nginx's error page or
// return's text), and the gRPC headers the location adds.
struct ErrorAnswer {
  int http_status = 0;  // the status nginx sends (e.g. 204 via error_page)
  bool body = false;
  AddedHeader grpc_status;  // its value is a code, 0..16
  AddedHeader grpc_message;
};

// What a gRPC client (C++ 1.51, measured against nginx 1.22) reports for
// `answer`: with a grpc-status header and no body, that status and the
// grpc-message; with the header and a body, UNKNOWN "Stream removed";
// without the header, gRPC's mapping of the HTTP status ("Received http2
// header with status: N": 400 INTERNAL, 401 UNAUTHENTICATED, 403
// PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, else
// UNKNOWN), except a 200 without it (a body: UNKNOWN "Stream removed"; none:
// the 1.51 client aborts, reported here as INTERNAL saying so).
absl::Status ClientStatusFor(const ErrorAnswer& answer);

struct GrpcRoute;
// What nginx sends when it answers a request for `route` itself with
// `http_status` (its `return`, its static 404, its own 502/504; null route:
// no location matched): the error_page's answer for that status if one is
// set, else that status with nginx's page and the location's gRPC headers.
ErrorAnswer NginxAnswer(const GrpcRoute* route, int http_status);
// What nginx answers for a request whose location answers itself (no
// grpc_pass: its `return` or static 404; null: no location, nginx's 404).
ErrorAnswer OwnAnswer(const GrpcRoute* route);

// Whether nginx sends its own error page as a body with `http_status` when
// nothing else says what to send (3xx but 304, 4xx and 5xx).
bool HasErrorPageBody(int http_status);

// How a location matches a request's path: nginx's modifiers.
enum class LocationMatch : uint8_t {
  kPrefix,         // location /path
  kExact,          // location = /path
  kPrefixStop,     // location ^~ /path (no regex is tried after it)
  kRegex,          // location ~ regex
  kRegexCaseless,  // location ~* regex
};

// One location of a server block (named ones aside). A location with
// grpc_pass forwards to an upstream; one without answers itself: `return`
// (answer.http_status), or nginx's static handler, which has no file for a
// gRPC path (404).
struct GrpcRoute {
  // The location this one is nested in (its index in ServerBlock::routes,
  // which lists a parent before its nested locations), or -1.
  int parent = -1;
  LocationMatch match = LocationMatch::kPrefix;
  std::string location;  // the location's path or regular expression
  std::shared_ptr<const LocationRegex> regex;  // regex locations only
  std::string upstream;  // name in TwinConfig::upstreams; "" answers itself
  SourceLocation pass_where;  // its grpc_pass
  ErrorAnswer answer;    // when upstream is "": what nginx answers
  absl::Duration connect_timeout = absl::Seconds(60);
  absl::Duration send_timeout = absl::Seconds(60);
  absl::Duration read_timeout = absl::Seconds(60);
  uint32_t next_upstream = kNextError | kNextTimeout;
  int next_upstream_tries = 0;                                  // 0: no limit
  absl::Duration next_upstream_timeout = absl::ZeroDuration();  // 0: none
  // A request body larger than this gets nginx's 413 (0: no limit).
  int64_t client_max_body_size = 1 << 20;
  std::map<int, ErrorAnswer> error_pages;  // by the status nginx generated
};

struct ServerBlock {
  std::vector<int> listen_ports;
  std::vector<int> default_server_ports;  // listen ... default_server
  // server_name: exact names (lowercase), "*.x"/"x.*" wildcards, and
  // "~regex" names (compiled, caseless as nginx's).
  std::vector<std::string> names;
  std::vector<std::shared_ptr<const LocationRegex>> name_regexes;
  std::vector<GrpcRoute> routes;
};

struct TwinConfig {
  std::string path;
  int worker_processes = 1;
  std::map<std::string, Upstream> upstreams;
  std::vector<ServerBlock> servers;
  // "name (file:line)" for each directive name the twin does not model.
  std::vector<std::string> unmodeled;
};

// Parses nginx's time syntax: "10s", "500ms", "1m30s", "2" (seconds).
bool ParseNginxDuration(const std::string& text, absl::Duration* out);

absl::StatusOr<TwinConfig> BuildTwinConfig(const std::vector<Directive>& top,
                                           const std::string& path);
absl::StatusOr<TwinConfig> LoadTwinConfig(const std::string& path);

// What nginx knows of a gRPC request that a hash key can use.
struct RequestFacts {
  std::string uri;        // the method path, "/Saludo/saludar"
  int server_port = 0;    // the listen port it arrived on
  int remote_port = 0;    // the client's port
  // The request's headers (gRPC metadata), lowercase names; null: none.
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
};

// What nginx makes of a `hash` key for a gRPC request from a loopback
// client: variables replaced ($remote_addr and $server_addr "127.0.0.1",
// $binary_remote_addr its 4 bytes, $request_uri/$uri/$document_uri the path,
// $request_method "POST", $scheme "http", $server_port, $remote_port,
// $arg_NAME "" (gRPC requests have no query string), $http_NAME the first
// header called NAME with "_" for "-" (case-insensitive), else ""), the rest
// literal. An empty key makes nginx fall back to round robin.
std::string EvaluateHashKey(const std::string& key, const RequestFacts& facts);
// "" if every variable of `key` is one EvaluateHashKey knows, else why not.
std::string UnknownHashKeyVariable(const std::string& key);

// The port a client reaches nginx at when it names none: the first server
// block's first listen port (0 if there is none).
int DefaultPort(const TwinConfig& config);

// The host a gRPC client puts in :authority: its target's, "127.0.0.1" for
// every client here.
inline constexpr char kClientAuthorityHost[] = "127.0.0.1";

// The server block that takes a request for `host` arriving at `port` (0:
// DefaultPort), as nginx picks among the blocks listening there by
// server_name: an exact name, else the longest "*.suffix", else the longest
// "prefix.*", else the first matching regular expression, else the block
// marked default_server, else the first. Null if none listens there.
const ServerBlock* ServerFor(const TwinConfig& config, int port,
                             const std::string& host = kClientAuthorityHost);

// The location a request for `path` ("/Saludo/saludar") arriving at `port`
// takes, as nginx chooses it within ServerFor(port), level by level: an
// exact match (=) ends the search; else the longest matching prefix is
// taken and the locations nested in it are searched the same way; unless
// that prefix is ^~ (or a nested search ended it), the first matching
// regular expression of the level in file order wins (and its nested
// locations are searched); else the prefix stands. Null if none matches
// (nginx's 404).
const GrpcRoute* RouteFor(const TwinConfig& config, const std::string& path,
                          int port = 0);

}  // namespace saludo::nginx

#endif  // SALUDO_NGINX_CONFIG_TWIN_CONFIG_H_
