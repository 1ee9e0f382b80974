// A scenario file played against real processes: faults that can be applied
// live are applied (a crash and a restart through signals and processes,
// clock drift through the control service), the others are listed as
// skipped (here, without a private network namespace, the network's), and
// the same properties are checked.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "scenario/live/live_target.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "stack/live_stack.h"

namespace saludo {
namespace {

// `scenario` played against real processes (this build's, from runfiles).
absl::StatusOr<scenario::ScenarioRun> RunLive(
    const scenario::LoadedScenario& scenario) {
  auto locate = scenario::RunfilesLocator("");
  if (!locate.ok()) return locate.status();
  scenario::LiveTarget target(*locate);
  return scenario::RunScenario(scenario, target);
}

// `text` loaded as a file `name` next to the shipped nginx.conf.
absl::StatusOr<scenario::LoadedScenario> LoadNextToNginxConf(
    const std::string& text, const std::string& name) {
  auto files = stack::FindStackFiles("");
  if (!files.ok()) return files.status();
  const std::string dir =
      files->nginx_conf.substr(0, files->nginx_conf.rfind('/'));
  return scenario::LoadScenarioText(text, dir + "/" + name);
}

TEST(ScenarioLiveTest, CrashAndRestartLiveOthersSkipped) {
  const std::string text = R"(name: "live crash"
duration: "3s"
topology {
  nginx_config: "nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { open_loop { calls_per_second: 40 } duration: "3s" deadline: "2s" } }
}
network { partitions { a: "nginx" b: "server1" start: "2s" duration: "1s" } }
faults { at: "1s" node: "server2" crash {} }
faults { at: "2s" node: "server2" restart {} }
faults { at: "1s" node: "server1" clock_drift { ppm: 100 } }
properties { circuit_breaker {} }
properties { deadlines {} }
)";
  auto scenario = LoadNextToNginxConf(text, "live_crash.textproto");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto result = RunLive(*scenario);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string skipped = absl::StrJoin(result->observed.notes, "\n");
  EXPECT_TRUE(absl::StrContains(skipped, "partition nginx / server1"))
      << skipped;
  EXPECT_FALSE(absl::StrContains(skipped, "clock drift")) << skipped;
  const scenario::ScenarioRun& run = *result;
  EXPECT_GE(run.observed.calls.size(), 100u);
  EXPECT_TRUE(run.ok()) << scenario::FormatRunSummary(*scenario, run);
  // The circuit breaker is checked live too, from nginx's attempt log.
  EXPECT_FALSE(run.verdicts[0].skipped);
  EXPECT_TRUE(run.verdicts[0].holds) << run.verdicts[0].measured;
  // nginx saw server 2 go down: a call to it was refused and retried on
  // server 1, or it was in flight there when the process died (nginx answers
  // 502, as UNAVAILABLE; error_page logs it as 204) and is not retried. How
  // many were in flight depends on how fast server 2 answered: one or two
  // usually, ten under TSan on a loaded machine (server 2 took up to 740 ms a
  // call then). nginx.conf retries refused connections, so those are the
  // only calls the crash may cost.
  int retried = 0, lost_in_flight = 0;
  std::string to_server2;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    if (e.upstream_addr.empty() || e.upstream_addr[0] != "127.0.0.1:3002") {
      continue;
    }
    to_server2 += e.Format() + "\n";
    retried += e.upstream_addr.size() == 2;
    lost_in_flight +=
        e.upstream_status.size() == 1 && e.upstream_status[0] == 502;
  }
  EXPECT_GE(retried + lost_in_flight, 1) << to_server2;
  size_t failed = 0;
  for (const scenario::ScenarioCall& c : run.observed.calls) {
    failed += !c.record.status.ok();
  }
  EXPECT_EQ(failed, static_cast<size_t>(lost_in_flight))
      << scenario::FormatRunSummary(*scenario, run) << to_server2;
}

// Calls aimed at a port and carrying a header reach the server block and the
// backend real nginx picks for them, and the simulator predicts the same:
// one client at the second server block's port, hashed on its x-tenant
// header; one at the default port, whose block has server1 only.
TEST(ScenarioLiveTest, TargetPortAndMetadataLiveAsSimulated) {
  const std::string dir = ::testing::TempDir();
  const std::string conf = R"(events {}
http {
  upstream one { server 127.0.0.1:3001; }
  upstream both { hash $http_x_tenant; server 127.0.0.1:3001; server 127.0.0.1:3002; }
  server { listen 127.0.0.1:3005 http2; location / { grpc_pass grpc://one; } }
  server { listen 127.0.0.1:3006 http2; location / { grpc_pass grpc://both; } }
}
)";
  FILE* f = std::fopen((dir + "/ports.conf").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(conf.c_str(), f);
  std::fclose(f);
  const std::string text = R"(name: "ports and headers"
duration: "1s"
topology {
  nginx_config: "ports.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "hashed" load { closed_loop { concurrency: 2 } duration: "1s"
    target_port: 3006 metadata { name: "x-tenant" fixed: "tenant-7" } } }
  clients { name: "plain" load { closed_loop { concurrency: 1 } duration: "1s" } }
}
)";
  auto scenario = scenario::LoadScenarioText(text, dir + "/ports.textproto");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto simulated = scenario::RunSimulated(*scenario, 1, false);
  ASSERT_TRUE(simulated.ok()) << simulated.status();
  auto live = RunLive(*scenario);
  ASSERT_TRUE(live.ok()) << live.status();
  // The servers each client's calls reached, live and simulated.
  auto servers = [](const scenario::ScenarioRun& run, const std::string& who) {
    std::set<int> ids;
    for (const scenario::ScenarioCall& c : run.observed.calls) {
      if (c.client == who && c.record.status.ok()) ids.insert(c.record.server_id);
    }
    return ids;
  };
  const std::set<int> hashed = servers(*simulated, "hashed");
  ASSERT_EQ(hashed.size(), 1u);  // one key, one backend
  EXPECT_EQ(servers(*live, "hashed"), hashed);
  EXPECT_EQ(servers(*simulated, "plain"), std::set<int>{1});
  EXPECT_EQ(servers(*live, "plain"), std::set<int>{1});
  EXPECT_TRUE(live->ok()) << scenario::FormatRunSummary(*scenario, *live);
}

// The slope of (server stamp - client's wall clock at the call's midpoint)
// against the midpoint, over server `id`'s replies started after `from`: how
// fast that server's clock gains on the client's. Only the faster half of
// the calls count (as NTP keeps its shortest round trips): on a loaded
// machine (TSan, tests in parallel) latency grows and shrinks by tens of ms
// within a second, which would otherwise tilt the slope by as much as the
// drift being measured (0.060 for 0.050 once, from the calls' starts).
double StampSlope(const scenario::ScenarioRun& run, int id,
                  absl::Duration from) {
  struct Point {
    double x, y;
    absl::Duration latency;
  };
  std::vector<Point> points;
  for (const scenario::ScenarioCall& c : run.observed.calls) {
    if (!c.record.status.ok() || c.record.server_id != id ||
        c.record.started < from) {
      continue;
    }
    const absl::Duration half = c.record.latency / 2;
    points.push_back({absl::ToDoubleSeconds(c.record.started + half),
                      absl::ToDoubleSeconds(
                          absl::FromUnixNanos(c.record.server_time_unix_nanos) -
                          (c.record.started_wall + half)),
                      c.record.latency});
  }
  if (points.size() < 2) return NAN;
  std::vector<absl::Duration> latencies;
  for (const Point& p : points) latencies.push_back(p.latency);
  std::sort(latencies.begin(), latencies.end());
  const absl::Duration median = latencies[latencies.size() / 2];
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const Point& p : points) {
    if (p.latency > median) continue;
    n += 1, sx += p.x, sy += p.y, sxx += p.x * p.x, sxy += p.x * p.y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// Server 1's clock runs 5 % fast from 1 s: its reply stamps gain 50 ms per
// second on the client's clock, live (the server's own clock, set through the
// control service) as simulated; server 2's do not.
TEST(ScenarioLiveTest, DriftingServersStampsDriftAtTheConfiguredRate) {
  const std::string text = R"(name: "live drift"
duration: "4s"
topology {
  nginx_config: "nginx.conf"
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { open_loop { calls_per_second: 40 } duration: "4s" deadline: "2s" } }
}
faults { at: "1s" node: "server1" clock_drift { ppm: 50000 } }
)";
  auto scenario = LoadNextToNginxConf(text, "live_drift.textproto");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto live = RunLive(*scenario);
  ASSERT_TRUE(live.ok()) << live.status();
  auto simulated = scenario::RunSimulated(*scenario, 1, false);
  ASSERT_TRUE(simulated.ok()) << simulated.status();
  // From well after the drift starts: on a slow machine (TSan) the control
  // call that sets it may land a few hundred ms late, and stamps from before
  // it would flatten the slope. 2.5 s at 40 calls/s leaves ~50 per server.
  const absl::Duration from =
      absl::Seconds(1) + live->observed.timing_slack + absl::Milliseconds(500);
  std::printf(
      "stamp slopes: server 1 live %.5f simulated %.5f; server 2 "
      "live %.5f\n",
      StampSlope(*live, 1, from), StampSlope(*simulated, 1, from),
      StampSlope(*live, 2, from));
  EXPECT_NEAR(StampSlope(*simulated, 1, from), 0.05, 0.001);
  EXPECT_NEAR(StampSlope(*live, 1, from), 0.05, 0.005);
  EXPECT_NEAR(StampSlope(*live, 2, from), 0.0, 0.005);
}

}  // namespace
}  // namespace saludo
