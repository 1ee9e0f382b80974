// The twin against the behaviour docs/NGINX_UPSTREAM.md specifies (and the
// live table at its top), with the real services behind it.
#include "sim/nginx_twin.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nginx/config/twin_config.h"
#include "runtime/testing/runfile.h"
#include "services/fault_state.h"
#include "services/saludo_service.h"
#include "sim/world.h"

namespace saludo::sim {
namespace {

using client::CallRecord;

using ::saludo::runtime::testing::Runfile;

nginx::TwinConfig ConfigFromText(const std::string& text) {
  auto top = nginx::ParseConfigText(text, "test.conf", ".");
  EXPECT_TRUE(top.ok()) << top.status();
  auto config = nginx::BuildTwinConfig(*top, "test.conf");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

// A config with `servers` (each "127.0.0.1:300N params") and location
// settings.
std::string Conf(const std::vector<std::string>& servers,
                 const std::string& location = "",
                 const std::string& upstream_extra = "") {
  std::string s = "events {}\nhttp {\n upstream u {\n" + upstream_extra;
  for (const std::string& server : servers) s += "  server " + server + ";\n";
  s += " }\n server { listen 127.0.0.1:3005 http2;\n  location / {\n"
       "   grpc_pass grpc://u;\n   grpc_connect_timeout 1s;\n"
       "   grpc_read_timeout 1s;\n" +
       location + "\n  }\n }\n}\n";
  return s;
}

class TwinTest : public ::testing::Test {
 protected:
  // Builds `n` servers (ids 1..n at 127.0.0.1:3001..) behind the twin.
  void Build(const nginx::TwinConfig& config, int n = 2) {
    world_ = std::make_unique<World>(1, /*keep_log=*/true);
    LinkModel link;
    link.latency = Distribution::Fixed(absl::Microseconds(100));
    world_->network().SetDefaultLink(link);
    std::map<std::string, NodeId> backends;
    for (int i = 1; i <= n; ++i) {
      servers_.push_back(world_->AddServer(absl::StrCat("server", i), i));
      backends[absl::StrCat("127.0.0.1:", 3000 + i)] = servers_.back();
    }
    auto twin = world_->AddNginxTwin("nginx", config, backends);
    ASSERT_TRUE(twin.ok()) << twin.status();
    nginx_ = *twin;
    client_ = world_->AddClient("client");
  }

  // `n` serial calls starting at `at`; returns their records.
  std::vector<CallRecord> Serial(int n,
                                 absl::Duration at = absl::ZeroDuration(),
                                 absl::Duration deadline = absl::Seconds(5)) {
    const size_t before = world_->records(client_).size();
    client::LoadOptions o;
    o.requests = n;
    o.deadline = deadline;
    world_->StartLoad(client_, nginx_, o, at);
    // Run until the burst is done (not further: later bursts may start at
    // earlier times than a long run would reach).
    world_->Run(at);
    for (int step = 0; step < 100000 && !world_->load_done(client_); ++step) {
      world_->Run(world_->sim().now() + absl::Milliseconds(10));
    }
    EXPECT_TRUE(world_->load_done(client_));
    const auto& all = world_->records(client_);
    return std::vector<CallRecord>(all.begin() + before, all.end());
  }

  std::string Order(const std::vector<CallRecord>& records) {
    std::string s;
    for (const CallRecord& r : records) {
      s += r.status.ok() ? std::string(1, 'A' + r.server_id - 1) : "x";
    }
    return s;
  }

  std::vector<std::string> Log() {
    std::vector<std::string> lines;
    for (const TwinLogEntry& e : world_->twin(nginx_)->access_log()) {
      lines.push_back(e.Format());
    }
    return lines;
  }

  // Two backends behind `keepalive 8`, one cached connection to each, and
  // server1's replies (and its close) taking `back` to reach nginx. Returns
  // when server1 crashes (5 ms later).
  absl::Duration CachedThenCrash(absl::Duration back) {
    Build(ConfigFromText(
        Conf({"127.0.0.1:3001 max_fails=0", "127.0.0.1:3002 max_fails=0"}, "",
             "  keepalive 8;\n")));
    LinkModel slow_back;
    slow_back.latency = Distribution::Fixed(back);
    world_->network().SetLink(servers_[0], nginx_, slow_back);
    EXPECT_EQ(Order(Serial(2, absl::Milliseconds(1))), "AB");  // both cached
    const absl::Duration crash = world_->sim().now() + absl::Milliseconds(5);
    world_->CrashAt(servers_[0], crash);
    return crash;
  }

  std::unique_ptr<World> world_;
  std::vector<NodeId> servers_;
  NodeId nginx_ = -1, client_ = -1;
};

TEST_F(TwinTest, SmoothWeightedRoundRobinSequences) {
  // Section 1: 1:1:1 -> ABC..., 5:1:1 -> AABACAA, 3:2:1 -> ABACBA.
  Build(ConfigFromText(
            Conf({"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"})),
        3);
  EXPECT_EQ(Order(Serial(6)), "ABCABC");
  Build(ConfigFromText(Conf(
            {"127.0.0.1:3001 weight=5", "127.0.0.1:3002", "127.0.0.1:3003"})),
        3);
  EXPECT_EQ(Order(Serial(7)), "AABACAA");
  Build(ConfigFromText(Conf({"127.0.0.1:3001 weight=3",
                             "127.0.0.1:3002 weight=2", "127.0.0.1:3003"})),
        3);
  EXPECT_EQ(Order(Serial(6)), "ABACBA");
}

TEST_F(TwinTest, LeastConnUnderSerialLoadIsRoundRobin) {
  Build(ConfigFromText(Conf({"127.0.0.1:3001 weight=3",
                             "127.0.0.1:3002 weight=2", "127.0.0.1:3003"},
                            "", "  least_conn;\n")),
        3);
  EXPECT_EQ(Order(Serial(6)), "ABACBA");
}

TEST_F(TwinTest, HashAndIpHashStickToOnePeer) {
  Build(ConfigFromText(
            Conf({"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"}, "",
                 "  hash $request_uri;\n")),
        3);
  std::string order = Order(Serial(5));
  EXPECT_EQ(order, std::string(5, order[0]));
  Build(ConfigFromText(
            Conf({"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"}, "",
                 "  ip_hash;\n")),
        3);
  order = Order(Serial(5));
  EXPECT_EQ(order, std::string(5, order[0]));
}

TEST_F(TwinTest, RandomFollowsWeights) {
  Build(ConfigFromText(
      Conf({"127.0.0.1:3001 weight=3", "127.0.0.1:3002"}, "", "  random;\n")));
  std::string order = Order(Serial(2000));
  const auto a = std::count(order.begin(), order.end(), 'A');
  EXPECT_NEAR(a, 1500, 80);
}

TEST_F(TwinTest, SeedsHungServerWithNginxConfMatchesTheLiveTable) {
  auto config = nginx::LoadTwinConfig(Runfile("nginx/nginx.conf"));
  ASSERT_TRUE(config.ok()) << config.status();
  Build(*config);
  world_->HangAt(servers_[0], absl::ZeroDuration(), absl::Seconds(41));
  std::vector<CallRecord> r = Serial(6, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "xBxBBB");
  for (int i : {0, 2}) {
    EXPECT_EQ(r[i].status.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(r[i].status.message(), "nginx: the backend timed out (504)");
    EXPECT_GT(r[i].latency, absl::Seconds(1));
    EXPECT_LT(r[i].latency, absl::Milliseconds(1010));
  }
  std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(
      log[0],
      "204 upstream=127.0.0.1:3001 upstream_status=504 request_time=1.000");
  EXPECT_EQ(log[1].substr(0, 47),
            "200 upstream=127.0.0.1:3002 upstream_status=200");
}

TEST_F(TwinTest, SeedConfHungServerGivesTheHttpStatusMapping) {
  auto config = nginx::LoadTwinConfig(Runfile("nginx/seed.conf"));
  ASSERT_TRUE(config.ok());
  Build(*config);
  world_->HangAt(servers_[0], absl::ZeroDuration(), absl::Seconds(41));
  std::vector<CallRecord> r = Serial(2, absl::Milliseconds(1));
  EXPECT_EQ(r[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r[0].status.message(), "Received http2 header with status: 504");
  EXPECT_EQ(Log()[0].substr(0, 3), "504");
}

TEST_F(TwinTest, RefusedIsRetriedCountedAndSkipped) {
  // Section 8.2 with nginx.conf (max_fails=2).
  auto config = nginx::LoadTwinConfig(Runfile("nginx/nginx.conf"));
  Build(*config);
  world_->CrashAt(servers_[0], absl::ZeroDuration());
  std::vector<CallRecord> r = Serial(10, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "BBBBBBBBBB");
  // The attempt that was refused never sent the request: the retry sends
  // all of it (nginx keeps the bytes until an attempt sends them).
  for (const CallRecord& record : r) {
    EXPECT_EQ(record.mensaje, services::Greeting(client::LoadOptions().nombre,
                                                 /*server_id=*/2));
  }
  int retried = 0;
  for (const std::string& line : Log()) {
    retried += line.find(
                   "upstream=127.0.0.1:3001, 127.0.0.1:3002 "
                   "upstream_status=502, 200") != std::string::npos;
  }
  EXPECT_EQ(retried, 2);
}

// Section 6: a killed backend closes each cached connection, and nginx
// drops one only when that close arrives. A call in between goes out on the
// dead connection and fails after it was sent (502, not retried); after the
// close arrived, nginx connects anew, is refused, and retries.
// Section 6: at most `keepalive` idle connections, the oldest dropped
// first, and a request takes the newest one to its peer. Serial calls
// alternate A and B: with `keepalive 1` each returned connection pushes out
// the other peer's, so none is reused; with 2 every call after the first two
// reuses one. 300 calls also drop more than the cache's compaction needs.
TEST_F(TwinTest, KeepaliveKeepsTheNewestIdleConnections) {
  for (const int keepalive : {1, 2}) {
    Build(ConfigFromText(Conf({"127.0.0.1:3001", "127.0.0.1:3002"}, "",
                              absl::StrCat("  keepalive ", keepalive, ";\n"))));
    EXPECT_EQ(Order(Serial(300)), [] {
      std::string ab;
      for (int i = 0; i < 150; ++i) ab += "AB";
      return ab;
    }());
    int reused = 0, fresh = 0;
    for (const TraceEvent& e : world_->sim().trace().log()) {
      if (e.kind != EventKind::kConnect) continue;
      (e.code == 1 ? reused : fresh) += 1;
    }
    EXPECT_EQ(fresh, keepalive == 1 ? 300 : 2) << keepalive;
    EXPECT_EQ(reused, keepalive == 1 ? 0 : 298) << keepalive;
    servers_.clear();
  }
}

TEST_F(TwinTest, ACachedConnectionDiesWhenNginxSeesItsClose) {
  const absl::Duration crash = CachedThenCrash(absl::Milliseconds(10));
  std::vector<CallRecord> racing = Serial(1, crash + absl::Milliseconds(1));
  EXPECT_EQ(Order(racing), "x");
  EXPECT_EQ(racing[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Log().back().substr(0, 47),
            "502 upstream=127.0.0.1:3001 upstream_status=502");
  // The close has arrived: a new connection, refused, retried on server2.
  std::vector<CallRecord> after = Serial(2, crash + absl::Milliseconds(30));
  EXPECT_EQ(Order(after), "BB");
  EXPECT_NE(Log()[4].find("upstream=127.0.0.1:3001, 127.0.0.1:3002 "
                          "upstream_status=502, 200"),
            std::string::npos)
      << Log()[4];
}

// A cached connection outlives a restart only in nginx's cache: the new
// process resets it.
TEST_F(TwinTest, ACachedConnectionToARestartedBackendResets) {
  const absl::Duration crash = CachedThenCrash(absl::Milliseconds(300));
  world_->RestartAt(servers_[0], crash + absl::Milliseconds(1));
  std::vector<CallRecord> r = Serial(1, crash + absl::Milliseconds(2));
  EXPECT_EQ(Order(r), "x");
  EXPECT_EQ(Log().back().substr(0, 47),
            "502 upstream=127.0.0.1:3001 upstream_status=502");
}

TEST_F(TwinTest, SeedConfDoesNotRetryRefused) {
  auto config = nginx::LoadTwinConfig(Runfile("nginx/seed.conf"));
  Build(*config);
  world_->CrashAt(servers_[0], absl::ZeroDuration());
  std::vector<CallRecord> r = Serial(4, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "xBxB");
  EXPECT_EQ(r[0].status.message(), "Received http2 header with status: 502");
}

TEST_F(TwinTest, AllRefusingThenNoLiveUpstreams) {
  // Section 8.3.
  Build(ConfigFromText(Conf({"127.0.0.1:3001", "127.0.0.1:3002"})));
  world_->CrashAt(servers_[0], absl::ZeroDuration());
  world_->CrashAt(servers_[1], absl::ZeroDuration());
  std::vector<CallRecord> r = Serial(2, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "xx");
  std::vector<std::string> log = Log();
  EXPECT_TRUE(absl::StartsWith(
      log[0],
      "502 upstream=127.0.0.1:3001, 127.0.0.1:3002 upstream_status=502, 502 "))
      << log[0];
  EXPECT_EQ(log[1].substr(0, 36), "502 upstream=u upstream_status=502 r");
}

TEST_F(TwinTest, SingleServerIsNeverDisabledNorRetried) {
  // Section 8.4.
  Build(ConfigFromText(Conf({"127.0.0.1:3001 max_fails=1"})), 1);
  world_->HangAt(servers_[0], absl::ZeroDuration(), absl::Seconds(3));
  std::vector<CallRecord> r = Serial(4, absl::Milliseconds(1));
  // Calls 1 and 2 time out (read timeout 1 s) and are not retried elsewhere;
  // call 3, held until the hang ends at 3 s, is answered within its 1 s.
  EXPECT_EQ(Order(r), "xxAA");
  for (const std::string& line : Log()) {
    EXPECT_EQ(line.find(","), std::string::npos) << line;  // one attempt each
  }
}

TEST_F(TwinTest, BackupOnlyWhenEveryPrimaryIsIneligible) {
  // Section 8.5.
  Build(ConfigFromText(Conf(
            {"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003 backup"})),
        3);
  EXPECT_EQ(Order(Serial(4)), "ABAB");
  world_->CrashAt(servers_[0], world_->sim().now());
  world_->CrashAt(servers_[1], world_->sim().now());
  // Both primaries refuse (and are retried, failing over to the backup).
  EXPECT_EQ(Order(Serial(3, world_->sim().now() + absl::Milliseconds(1))),
            "CCC");
}

TEST_F(TwinTest, NextUpstreamOffAndTries) {
  // Section 8.9.
  Build(ConfigFromText(
      Conf({"127.0.0.1:3001", "127.0.0.1:3002"}, "grpc_next_upstream off;")));
  world_->CrashAt(servers_[0], absl::ZeroDuration());
  EXPECT_EQ(Order(Serial(1, absl::Milliseconds(1))), "x");
  EXPECT_EQ(Log()[0].substr(0, 47),
            "502 upstream=127.0.0.1:3001 upstream_status=502");

  Build(ConfigFromText(
            Conf({"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"},
                 "grpc_next_upstream error; grpc_next_upstream_tries 2;")),
        3);
  for (NodeId s : servers_) world_->CrashAt(s, absl::ZeroDuration());
  EXPECT_EQ(Order(Serial(1, absl::Milliseconds(1))), "x");
  EXPECT_TRUE(absl::StartsWith(
      Log()[0],
      "502 upstream=127.0.0.1:3001, 127.0.0.1:3002 upstream_status=502, 502 "))
      << Log()[0];
}

TEST_F(TwinTest, ResetAfterSendIsNotRetriedButCounted) {
  // Section 8.6: the server crashes while handling the call.
  Build(
      ConfigFromText(Conf({"127.0.0.1:3001 max_fails=1", "127.0.0.1:3002"},
                          "grpc_next_upstream error timeout non_idempotent;")));
  world_->SlowAt(servers_[0], absl::ZeroDuration(), absl::Milliseconds(100));
  world_->CrashAt(servers_[0], absl::Milliseconds(50));
  world_->RestartAt(servers_[0], absl::Milliseconds(60));
  std::vector<CallRecord> r = Serial(3, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "xBB");  // server 1 counted: skipped afterwards
  EXPECT_EQ(Log()[0].substr(0, 47),
            "502 upstream=127.0.0.1:3001 upstream_status=502");
}

TEST_F(TwinTest, CrashOnCallIsA502NotRetriedThenRefusals) {
  Build(ConfigFromText(Conf({"127.0.0.1:3001 max_fails=3", "127.0.0.1:3002"})));
  control::Faults f;
  f.set_crash_on_call(true);
  world_->faults(servers_[0])->Set(f);
  std::vector<CallRecord> r = Serial(3, absl::Milliseconds(1));
  // Call 1: reset after send (502, no retry); call 3: refused, retried on B.
  EXPECT_EQ(Order(r), "xBB");
  EXPECT_EQ(r[0].status.message(), "Received http2 header with status: 502");
}

TEST_F(TwinTest, ServiceErrorsPassThroughUncounted) {
  // Section 8.7 (a gRPC error is :status 200 + grpc-status: passed through).
  Build(ConfigFromText(Conf({"127.0.0.1:3001 max_fails=1", "127.0.0.1:3002"})));
  world_->ErrorsAt(servers_[0], absl::ZeroDuration(),
                   absl::StatusCode::kResourceExhausted, 1.0);
  std::vector<CallRecord> r = Serial(4, absl::Milliseconds(1));
  EXPECT_EQ(Order(r), "xBxB");
  EXPECT_EQ(r[0].status.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(TwinTest, ClientDeadlineShorterThanReadTimeoutIsNotCounted) {
  // Section 4: the client gets DEADLINE_EXCEEDED, nginx logs 499 and
  // releases the peer as a success, so the hung server keeps its turn.
  Build(ConfigFromText(Conf({"127.0.0.1:3001 max_fails=1", "127.0.0.1:3002"})));
  world_->HangAt(servers_[0], absl::ZeroDuration(), absl::Seconds(41));
  std::vector<CallRecord> r =
      Serial(4, absl::Milliseconds(1), absl::Milliseconds(500));
  EXPECT_EQ(Order(r), "xBxB");
  EXPECT_EQ(r[0].status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Log()[0].substr(0, 3), "499");
}

TEST_F(TwinTest, ReentryAfterFailTimeoutIsDelayedBySwrr) {
  // Section 2: A fails at t0, is eligible after fail_timeout (10-11 s on the
  // whole-second clock), and its negative current weight delays the pick.
  Build(ConfigFromText(
            Conf({"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"})),
        3);
  world_->CrashAt(servers_[0], absl::ZeroDuration());
  world_->RestartAt(servers_[0], absl::Seconds(2));
  std::vector<CallRecord> first = Serial(1, absl::Milliseconds(1));
  EXPECT_EQ(Order(first), "B");  // A refused, retried on B
  std::vector<CallRecord> later;
  for (int i = 0; i < 6; ++i) {
    auto r = Serial(1, absl::Seconds(12) + absl::Milliseconds(10 * i));
    later.push_back(r[0]);
  }
  EXPECT_EQ(Order(later), "CBCABC") << absl::StrJoin(Log(), "\n");
}

// The sizes of tests:live_e2e_test's RequestSizesGetAGrpcStatusAtEveryLimit,
// through the twin on the shipped nginx.conf: the same status and words at
// each limit (the service's 1 KiB, a host's 64 KiB, nginx's 1 MiB).
TEST_F(TwinTest, RequestSizesGetWhatRealNginxGives) {
  auto config = nginx::LoadTwinConfig(Runfile("nginx/nginx.conf"));
  ASSERT_TRUE(config.ok()) << config.status();
  Build(*config);
  struct Case {
    size_t bytes;
    absl::StatusCode code;
    const char* says;
  };
  const std::vector<Case> cases = {
      {2 << 10, absl::StatusCode::kInvalidArgument, "the limit is 1024"},
      {100 << 10, absl::StatusCode::kResourceExhausted, "larger than max"},
      {2 << 20, absl::StatusCode::kResourceExhausted,
       "client_max_body_size (413)"}};
  for (size_t i = 0; i < cases.size(); ++i) {
    client::LoadOptions o;
    o.requests = 1;
    o.nombre = std::string(cases[i].bytes, 'x');
    world_->StartLoad(client_, nginx_, o, absl::Seconds(i));
  }
  world_->Run();
  const auto& records = world_->records(client_);
  ASSERT_EQ(records.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(records[i].status.code(), cases[i].code)
        << cases[i].bytes << ": " << records[i].status;
    EXPECT_TRUE(absl::StrContains(records[i].status.message(), cases[i].says))
        << cases[i].bytes << ": " << records[i].status;
  }
  EXPECT_EQ(world_->twin(nginx_)->access_log().back().status, 204);  // 413 page
}

// The twin forwards unary calls: a stream through it (a health Watch) is
// refused, saying so, rather than half-modelled.
TEST_F(TwinTest, AStreamThroughTheTwinIsUnimplemented) {
  Build(ConfigFromText(Conf({"127.0.0.1:3001", "127.0.0.1:3002"})));
  absl::Status end = absl::UnknownError("open");
  world_->network().StartStream(
      client_, nginx_, "/grpc.health.v1.Health/Watch", "", {},
      [](std::string) { ADD_FAILURE() << "no message expected"; },
      [&end](absl::Status status, std::string) { end = status; });
  world_->Run(absl::Seconds(1));
  EXPECT_EQ(end.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(end.message().find("unary calls only"), absl::string_view::npos)
      << end;
}

// A location that answers itself sends no call upstream: the client sees
// the gRPC status of nginx's HTTP status, as real nginx gives it
// (//tests:nginx_routing_test).
TEST_F(TwinTest, ALocationThatReturnsAnswersWithoutAnUpstream) {
  nginx::TwinConfig config = ConfigFromText(
      "events {}\nhttp {\n upstream u { server 127.0.0.1:3001; "
      "server 127.0.0.1:3002; }\n server { listen 127.0.0.1:3005 http2;\n"
      "  location / { grpc_pass grpc://u; }\n"
      "  location ~ ^/Saludo/ { return 403; }\n }\n}\n");
  Build(config);
  std::vector<CallRecord> records = Serial(3);
  ASSERT_EQ(records.size(), 3u);
  for (const CallRecord& r : records) {
    EXPECT_EQ(r.status.code(), absl::StatusCode::kPermissionDenied) << r.status;
  }
  for (const std::string& line : Log()) {
    EXPECT_EQ(line.rfind("403 upstream=", 0), 0u) << line;
  }
}

}  // namespace
}  // namespace saludo::sim
