// A scenario file played against real processes: faults that can be applied
// live are applied (a crash and a restart through signals and processes),
// the others are listed as skipped, and the same properties are checked.
#include "scenario/live/live_target.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/runner.h"
#include "stack/live_stack.h"

namespace saludo {
namespace {

TEST(ScenarioLiveTest, CrashAndRestartLiveOthersSkipped) {
  auto files = stack::FindStackFiles("");
  ASSERT_TRUE(files.ok()) << files.status();
  // A scenario file written next to the shipped nginx.conf's directory.
  const std::string dir =
      files->nginx_conf.substr(0, files->nginx_conf.rfind('/'));
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
properties { success_rate { at_least: 0.95 } }
properties { circuit_breaker {} }
properties { deadlines {} }
)";
  auto scenario = scenario::LoadScenarioText(text, dir + "/live_crash.textproto");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto locate = scenario::RunfilesLocator("");
  ASSERT_TRUE(locate.ok()) << locate.status();
  scenario::LiveTarget target(*locate);
  auto result = scenario::RunScenario(*scenario, target);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string skipped = absl::StrJoin(result->observed.notes, "\n");
  EXPECT_TRUE(absl::StrContains(skipped, "partition nginx / server1"))
      << skipped;
  EXPECT_TRUE(absl::StrContains(skipped, "clock drift")) << skipped;
  // nginx.conf retries refused connections, so the crash costs at most the
  // call that nginx sent, at the moment of the kill, on a cached keepalive
  // connection it had not yet seen close (502, not retried; observed).
  const scenario::ScenarioRun& run = *result;
  EXPECT_GE(run.observed.calls.size(), 100u);
  EXPECT_TRUE(run.ok()) << scenario::FormatRunSummary(*scenario, run);
  EXPECT_TRUE(run.verdicts[1].skipped);
  // nginx saw server 2 go down: a call to it was refused and retried on
  // server 1, or (when every call nginx had in flight there died with the
  // process, each a 502, enough for max_fails) ended with 502. Which of the two
  // depends on how many calls were in flight at the kill (requiring a retry
  // failed once in three runs under TSan; the log below says which it was).
  int retried = 0, lost_in_flight = 0;
  std::string to_server2;
  for (const sim::TwinLogEntry& e : run.observed.balancer) {
    if (e.upstream_addr.empty() || e.upstream_addr[0] != "127.0.0.1:3002") {
      continue;
    }
    to_server2 += e.Format() + "\n";
    retried += e.upstream_addr.size() == 2;
    lost_in_flight += e.upstream_addr.size() == 1 && e.status == 502;
  }
  EXPECT_GE(retried + lost_in_flight, 1) << to_server2;
}

}  // namespace
}  // namespace saludo
