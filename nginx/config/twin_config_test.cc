#include "nginx/config/twin_config.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"

namespace saludo::nginx {
namespace {

using ::saludo::runtime::testing::Runfile;

// `text`, with the `events {}` nginx requires added when it has none.
absl::StatusOr<TwinConfig> FromText(const std::string& text) {
  auto top = ParseConfigText(text, "t.conf", ".");
  if (!top.ok()) return top.status();
  const bool has_events =
      std::any_of(top->begin(), top->end(),
                  [](const Directive& d) { return d.name == "events"; });
  if (!has_events && !top->empty()) {
    Directive events;
    events.name = "events";
    events.has_block = true;
    top->insert(top->begin(), events);
  }
  return BuildTwinConfig(*top, "t.conf");
}

TEST(TwinConfigTest, ShippedNginxConf) {
  auto config = LoadTwinConfig(Runfile("nginx/nginx.conf"));
  ASSERT_TRUE(config.ok()) << config.status();
  const Upstream& up = config->upstreams.at("backend_servers");
  ASSERT_EQ(up.peers.size(), 2u);
  EXPECT_EQ(up.peers[0].address, "127.0.0.1:3001");
  EXPECT_EQ(up.peers[1].max_fails, 2);
  EXPECT_EQ(up.peers[1].fail_timeout, absl::Seconds(10));
  EXPECT_EQ(up.keepalive, 64);
  ASSERT_EQ(config->servers.size(), 1u);
  EXPECT_EQ(config->servers[0].listen_ports, std::vector<int>{3005});
  const GrpcRoute& route = config->servers[0].routes.at(0);
  EXPECT_EQ(route.upstream, "backend_servers");
  EXPECT_EQ(route.read_timeout, absl::Seconds(1));
  EXPECT_EQ(route.next_upstream, kNextError | kNextTimeout | kNextHttp502 |
                                     kNextHttp503 | kNextHttp504);
  EXPECT_EQ(route.next_upstream_tries, 2);
  EXPECT_EQ(route.next_upstream_timeout, absl::Seconds(5));
  const ErrorAnswer& e504 = route.error_pages.at(504);
  EXPECT_EQ(e504.http_status, 204);
  EXPECT_EQ(e504.grpc_status.value, "14");
  EXPECT_TRUE(e504.grpc_status.always);
  EXPECT_EQ(e504.grpc_message.value, "nginx: the backend timed out (504)");
  EXPECT_FALSE(e504.body);
  const absl::Status seen = ClientStatusFor(e504);
  EXPECT_EQ(seen.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(seen.message(), "nginx: the backend timed out (504)");
  // Directives that do not affect the twin are listed, once each.
  bool saw_log_format = false;
  for (const std::string& u : config->unmodeled) {
    saw_log_format |= u.rfind("log_format (", 0) == 0;
  }
  EXPECT_TRUE(saw_log_format);
}

TEST(TwinConfigTest, SeedConfHasNoErrorPagesAndNoErrorRetry) {
  auto config = LoadTwinConfig(Runfile("nginx/seed.conf"));
  ASSERT_TRUE(config.ok()) << config.status();
  const GrpcRoute& route = config->servers[0].routes.at(0);
  EXPECT_TRUE(route.error_pages.empty());
  EXPECT_EQ(route.next_upstream & kNextError, 0u);
}

TEST(TwinConfigTest, InheritanceAndDefaults) {
  auto config = FromText(
      "http { grpc_read_timeout 3s;\n"
      "  upstream u { least_conn; server a:1 weight=3 backup; server b:2 down; "
      "}\n"
      "  server { grpc_connect_timeout 250ms;\n"
      "    location /x { grpc_pass grpc://u; grpc_next_upstream off; }\n"
      "    location /y { grpc_pass grpc://10.0.0.1:9; } } }\n");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& routes = config->servers[0].routes;
  EXPECT_EQ(routes[0].read_timeout, absl::Seconds(3));
  EXPECT_EQ(routes[0].connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(routes[0].send_timeout, absl::Seconds(60));
  EXPECT_EQ(routes[0].next_upstream, 0u);
  EXPECT_EQ(routes[1].next_upstream, kNextError | kNextTimeout);
  const Upstream& u = config->upstreams.at("u");
  EXPECT_EQ(u.method, BalanceMethod::kLeastConn);
  EXPECT_TRUE(u.peers[0].backup);
  EXPECT_EQ(u.peers[0].weight, 3);
  EXPECT_EQ(u.peers[0].max_fails, 1);  // nginx's default
  EXPECT_TRUE(u.peers[1].down);
  EXPECT_TRUE(config->upstreams.at("10.0.0.1:9").implicit);
}

TEST(TwinConfigTest, BadInputIsNamedWithItsPlace) {
  EXPECT_EQ(FromText("http {\n upstream u { server a:1 wieght=2; } }\n")
                .status()
                .message(),
            "t.conf:2:26: invalid parameter \"wieght=2\" of an upstream "
            "server: expected weight=N, max_fails=N, fail_timeout=T, "
            "max_conns=N, backup or down");
  EXPECT_EQ(FromText("http { upstream u { hash $uri; server a:1 backup; } }")
                .status()
                .message(),
            "t.conf:1:32: balancing method does not support parameter "
            "\"backup\"");
  EXPECT_NE(
      FromText("http { server { location / { grpc_read_timeout fast; } } }")
          .status()
          .message()
          .find("t.conf:1:48: \"grpc_read_timeout\" directive invalid value"),
      std::string::npos);
  EXPECT_NE(
      FromText("http { server { location / { grpc_next_upstream errors; } } }")
          .status()
          .message()
          .find("t.conf:1:49: invalid value \"errors\""),
      std::string::npos);
  EXPECT_NE(
      FromText("http { upstream u { } }").status().message().find("no servers"),
      std::string::npos);
}

TEST(TwinConfigTest, NumbersOutOfRangeAreNamedWithTheirPlace) {
  const std::string location =
      "http { upstream u { server a:1; } server { listen 1; location / {\n"
      "grpc_pass grpc://u; error_page 502 = @e; }\n";
  auto message = [](const std::string& text) {
    return std::string(FromText(text).status().message());
  };
  EXPECT_EQ(message(location + "location @e { return 1000; } } }"),
            "t.conf:3:15: invalid return code \"1000\"");
  EXPECT_NE(message("http { server { listen 70000; } }")
                .find("cannot read the port (1..65535)"),
            std::string::npos);
  EXPECT_NE(message("http { server { location / { grpc_next_upstream_tries "
                    "99999; } } }")
                .find("0..10000"),
            std::string::npos);
  EXPECT_TRUE(FromText(location + "location @e { return 204; } } }").ok());
}

TEST(TwinConfigTest, AConfigThatProxiesNothingIsRefused) {
  EXPECT_NE(std::string(FromText("").status().message())
                .find("no server block has a location with grpc_pass, so "
                      "nginx would answer every call with 404 (is this the "
                      "right file? It is empty.)"),
            std::string::npos);
  EXPECT_NE(std::string(FromText("http { server { listen 1; location / { "
                                 "return 200; } } }")
                            .status()
                            .message())
                .find("no server block has a location with grpc_pass"),
            std::string::npos);
  auto dir = LoadTwinConfig(::testing::TempDir());
  EXPECT_NE(std::string(dir.status().message()).find("it is a directory"),
            std::string::npos)
      << dir.status();
}

// Which location a path takes, as nginx chooses: its upstream, or what
// nginx answers itself ("return 403", "static 404"), or "none".
std::string Route(const std::string& locations, const std::string& path) {
  auto config = FromText(
      "http { upstream a { server a:1; } upstream b { server b:1; }\n"
      "server { listen 3005;\n" + locations + "\n} }");
  if (!config.ok()) return std::string(config.status().message());
  const GrpcRoute* route = RouteFor(*config, path);
  if (route == nullptr) return "none";
  if (!route->upstream.empty()) return route->upstream;
  return absl::StrCat(route->answer.http_status == 404 ? "static " : "return ",
                      route->answer.http_status);
}

TEST(TwinConfigTest, LocationsAreChosenAsNginxChoosesThem) {
  const std::string call = "/Saludo/saludar";
  // An exact match must be the whole path.
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; }\n"
                  "location = /Saludo/ { grpc_pass grpc://b; }", call), "a");
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; }\n"
                  "location =/Saludo/saludar { grpc_pass grpc://b; }", call),
            "b");
  // A regular expression wins over a prefix, unless the prefix is ^~.
  EXPECT_EQ(Route("location / { grpc_pass grpc://b; }\n"
                  "location ~ ^/Saludo/ { grpc_pass grpc://a; }", call), "a");
  EXPECT_EQ(Route("location ^~ /Saludo/ { grpc_pass grpc://b; }\n"
                  "location ~ saludar$ { grpc_pass grpc://a; }", call), "b");
  // The longest prefix, and regexes in file order, ~* ignoring case.
  EXPECT_EQ(Route("location /Saludo/ { grpc_pass grpc://a; }\n"
                  "location /Saludo/sal { grpc_pass grpc://b; }", call), "b");
  EXPECT_EQ(Route("location ~ ^/saludo/ { grpc_pass grpc://a; }\n"
                  "location ~* ^/saludo/ { grpc_pass grpc://b; }\n"
                  "location ~ . { grpc_pass grpc://a; }", call), "b");
  // Locations that answer themselves.
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; }\n"
                  "location /Saludo/ { return 403; }", call), "return 403");
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; }\n"
                  "location /Saludo/ { }", call), "static 404");
  EXPECT_EQ(Route("location /Other/ { grpc_pass grpc://a; }", call), "none");
}

// Nested locations, searched as nginx's ngx_http_core_find_location does.
TEST(TwinConfigTest, NestedLocationsAreSearchedLevelByLevel) {
  // A nested prefix refines its parent; without a match the parent stands.
  const std::string nested =
      "location /Saludo/ { grpc_pass grpc://a;\n"
      "  location /Saludo/saludar { grpc_pass grpc://b; } }";
  EXPECT_EQ(Route(nested, "/Saludo/saludar"), "b");
  EXPECT_EQ(Route(nested, "/Saludo/otro"), "a");
  // A regex of the outer level beats a nested prefix...
  EXPECT_EQ(Route(nested + "\nlocation ~ saludar$ { return 403; }",
                  "/Saludo/saludar"),
            "return 403");
  // ... but not a nested exact match, nor anything under ^~.
  EXPECT_EQ(Route("location /Saludo/ { location = /Saludo/saludar { "
                  "grpc_pass grpc://b; } grpc_pass grpc://a; }\n"
                  "location ~ saludar$ { return 403; }",
                  "/Saludo/saludar"),
            "b");
  EXPECT_EQ(Route("location ^~ /Saludo/ { grpc_pass grpc://a; "
                  "location /Saludo/s { grpc_pass grpc://b; } }\n"
                  "location ~ saludar$ { return 403; }",
                  "/Saludo/saludar"),
            "b");
  // A nested regex wins inside its parent; a regex's nested locations too.
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; location ~ dar$ { "
                  "grpc_pass grpc://b; } }",
                  "/Saludo/saludar"),
            "b");
  EXPECT_EQ(Route("location ~ ^/Saludo { grpc_pass grpc://a; location ~ dar$ "
                  "{ return 403; } }",
                  "/Saludo/saludar"),
            "return 403");
}

TEST(TwinConfigTest, LocationsNginxRefusesAreRefusedWithTheirPlace) {
  EXPECT_EQ(Route("location / { grpc_pass grpc://a; }\n"
                  "location / { grpc_pass grpc://b; }", "/"),
            "t.conf:4:1: duplicate location \"/\"");
  EXPECT_EQ(Route("location ^~ /x { grpc_pass grpc://a; }\n"
                  "location /x { grpc_pass grpc://b; }", "/"),
            "t.conf:4:1: duplicate location \"/x\"");
  // An exact and a prefix location of one path may live together.
  EXPECT_EQ(Route("location = /x { grpc_pass grpc://a; }\n"
                  "location /x { grpc_pass grpc://b; }", "/x"), "a");
  EXPECT_NE(Route("location ~ ^/(x { grpc_pass grpc://a; }", "/").find(
                "t.conf:3:12: pcre2_compile() failed: missing closing "
                "parenthesis"),
            std::string::npos)
      << Route("location ~ ^/(x { grpc_pass grpc://a; }", "/");
  EXPECT_EQ(Route("location /a { location /x { } grpc_pass grpc://a; }", "/"),
            "t.conf:3:15: location \"/x\" is outside location \"/a\"");
  EXPECT_EQ(Route("location = /a { location /a/x { } }", "/"),
            "t.conf:3:17: location \"/a/x\" cannot be inside the exact "
            "location \"/a\"");
  EXPECT_EQ(Route("location /a { location @x { } }", "/"),
            "t.conf:3:15: named location \"@x\" can be on the server level "
            "only");
  EXPECT_EQ(Route("location !! /x { grpc_pass grpc://a; }", "/"),
            "t.conf:3:10: invalid location modifier \"!!\"");
}

TEST(TwinConfigTest, WhatNginxAcceptsOrRefusesInPassAndFailTimeout) {
  // grpc_pass without a scheme runs in nginx: so in the twin.
  EXPECT_EQ(Route("location / { grpc_pass a; }", "/Saludo/saludar"), "a");
  EXPECT_EQ(Route("location / { grpc_pass GRPC://b; }", "/Saludo/saludar"),
            "b");
  // fail_timeout is whole seconds to nginx: 1500ms is refused.
  auto fails = FromText(
      "http { upstream u { server a:1 fail_timeout=1500ms; } server {\n"
      "location / { grpc_pass grpc://u; } } }");
  EXPECT_NE(std::string(fails.status().message())
                .find("invalid parameter \"fail_timeout=1500ms\""),
            std::string::npos)
      << fails.status();
  EXPECT_TRUE(FromText("http { upstream u { server a:1 fail_timeout=1m; } "
                       "server { location / { grpc_pass grpc://u; } } }")
                  .ok());
}

TEST(TwinConfigTest, HashKeysAreEvaluatedAsNginxDoes) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"x-call-id", "17"}, {"x-tenant", "a"}, {"x-call-id", "18"}};
  RequestFacts facts;
  facts.uri = "/x";
  facts.server_port = 3006;
  facts.remote_port = 40000;
  facts.headers = &headers;
  EXPECT_EQ(EvaluateHashKey("$request_uri", facts), "/x");
  EXPECT_EQ(EvaluateHashKey("id-${uri}-$remote_addr", facts),
            "id-/x-127.0.0.1");
  EXPECT_EQ(EvaluateHashKey("$binary_remote_addr", facts),
            std::string("\x7f\x00\x00\x01", 4));
  // $http_NAME: the first such header, "_" for "-", any case.
  EXPECT_EQ(EvaluateHashKey("$arg_a$http_x_call_id", facts), "17");
  EXPECT_EQ(EvaluateHashKey("$http_X_Tenant:$http_none", facts), "a:");
  EXPECT_EQ(EvaluateHashKey("$server_port/$remote_port", facts),
            "3006/40000");
  EXPECT_EQ(UnknownHashKeyVariable("$host"),
            "the variable $host in a hash key is not modeled");
  EXPECT_EQ(std::string(FromText("http { upstream u { hash $host; "
                                 "server a:1; } }")
                            .status()
                            .message()),
            "t.conf:1:26: the variable $host in a hash key is not "
            "modeled");
}

// nginx picks the server block by the port a request arrives at (the
// default_server among those listening there, else the first), then the
// location within it only.
TEST(TwinConfigTest, ServerBlocksAreChosenByPort) {
  auto config = FromText(
      "http { upstream a { server 127.0.0.1:1; } upstream b { server "
      "127.0.0.1:2; }\n"
      "server { listen 3005; location /Saludo/ { grpc_pass grpc://a; } }\n"
      "server { listen 3006; location / { grpc_pass grpc://b; } }\n"
      "server { listen 3006 default_server; location / { return 403; } }\n"
      "server { listen 3007; location /Other/ { grpc_pass grpc://b; } } }");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(DefaultPort(*config), 3005);
  EXPECT_EQ(RouteFor(*config, "/Saludo/saludar")->upstream, "a");
  EXPECT_EQ(RouteFor(*config, "/Saludo/saludar", 3005)->upstream, "a");
  EXPECT_EQ(RouteFor(*config, "/Saludo/saludar", 3006)->answer.http_status,
            403);
  // No fallthrough to another server block: nginx's 404.
  EXPECT_EQ(RouteFor(*config, "/Saludo/saludar", 3007), nullptr);
  EXPECT_EQ(ServerFor(*config, 9999), nullptr);
}

TEST(TwinConfigTest, NginxDurations) {
  absl::Duration d;
  ASSERT_TRUE(ParseNginxDuration("1m30s", &d));
  EXPECT_EQ(d, absl::Seconds(90));
  ASSERT_TRUE(ParseNginxDuration("500ms", &d));
  EXPECT_EQ(d, absl::Milliseconds(500));
  ASSERT_TRUE(ParseNginxDuration("10", &d));
  EXPECT_EQ(d, absl::Seconds(10));
  EXPECT_FALSE(ParseNginxDuration("", &d));
  EXPECT_FALSE(ParseNginxDuration("1x", &d));
  EXPECT_FALSE(ParseNginxDuration("s", &d));
}

}  // namespace
}  // namespace saludo::nginx

namespace saludo::nginx {
namespace {

// What //client (gRPC 1.51) printed for each answer of real nginx 1.22 (run
// by hand, each line of the table below once; tests/nginx_routing_test runs
// the error_page rows live on every CI run).
TEST(TwinConfigTest, WhatAGrpcClientSeesOfNginxsOwnAnswers) {
  struct Row {
    std::string locations;
    std::string seen;  // "CODE: message"
  };
  const std::vector<Row> rows = {
      {"location / { return 403; }",
       "PERMISSION_DENIED: Received http2 header with status: 403"},
      {"location / { error_page 404 = @d; } location @d { add_header "
       "grpc-status 4 always; return 504; }",
       "UNKNOWN: Stream removed"},
      {"location / { error_page 404 = @d; } location @d { add_header "
       "grpc-status 4; return 504; }",
       "UNAVAILABLE: Received http2 header with status: 504"},
      {"location / { error_page 404 = @d; } location @d { add_header "
       "grpc-status 14; add_header grpc-message m; return 204; }",
       "UNAVAILABLE: m"},
      {"location / { add_header grpc-status 9 always; return 403; }",
       "UNKNOWN: Stream removed"},
      {"location / { add_header grpc-status 9; return 200; }",
       "FAILED_PRECONDITION: "},
      {"location / { add_header grpc-status 9; return 200 \"hola\"; }",
       "UNKNOWN: Stream removed"},
      {"location / { return 204; }",
       "UNKNOWN: Received http2 header with status: 204"},
      {"location / { error_page 404 =503 @d; } location @d { return 204; }",
       "UNAVAILABLE: Received http2 header with status: 503"},
      {"location / { error_page 404 =503 @d; } location @d { add_header "
       "grpc-status 14 always; return 204; }",
       "UNAVAILABLE: "},
      {"location / { error_page 404 @d; } location @d { add_header "
       "grpc-status 14 always; return 204; }",
       "UNAVAILABLE: "},
      {"location / { error_page 404 = @d; } location @d { add_header "
       "grpc-status 14 always; return 503 \"t\"; }",
       "UNKNOWN: Stream removed"},
      {"location / { add_header grpc-status 5 always; }",
       "UNKNOWN: Stream removed"},
      {"location / { return 404; error_page 404 = @d; } location @d { "
       "add_header grpc-status 6 always; return 204; }",
       "ALREADY_EXISTS: "},
      {"location / { return 403 \"text\"; }",
       "PERMISSION_DENIED: Received http2 header with status: 403"},
  };
  for (const Row& row : rows) {
    auto config = FromText(
        "http { upstream a { server 127.0.0.1:1; } server { listen 1;\n"
        "location /x { grpc_pass grpc://a; }\n" +
        row.locations + " } }");
    ASSERT_TRUE(config.ok()) << row.locations << ": " << config.status();
    const GrpcRoute* route = RouteFor(*config, "/Saludo/saludar");
    ASSERT_NE(route, nullptr) << row.locations;
    const absl::Status seen = ClientStatusFor(OwnAnswer(route));
    EXPECT_EQ(absl::StrCat(absl::StatusCodeToString(seen.code()), ": ",
                           seen.message()),
              row.seen)
        << row.locations;
  }
}

}  // namespace
}  // namespace saludo::nginx
