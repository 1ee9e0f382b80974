#include "sim/scenario/runner.h"

#include <memory>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/scenario/report.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace saludo::sim {
namespace {

std::string Scenario(const std::string& name) {
  std::string error;
  std::unique_ptr<bazel::tools::cpp::runfiles::Runfiles> r(
      bazel::tools::cpp::runfiles::Runfiles::CreateForTest(&error));
  return r->Rlocation("saludo_sim/sim/scenarios/" + name + ".textproto");
}

TEST(ScenarioRunnerTest, SteadyRoundRobinHoldsAndIsDeterministic) {
  auto s = LoadScenario(Scenario("steady_round_robin"));
  ASSERT_TRUE(s.ok()) << s.status();
  auto a = RunScenario(*s, 3, false);
  auto b = RunScenario(*s, 3, false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->calls.size(), 6000u);
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  EXPECT_NE(a->trace_hash, RunScenario(*s, 4, false)->trace_hash);
}

TEST(ScenarioRunnerTest, AViolatedBoundIsReportedWithTheFirstOffendingCall) {
  auto s = LoadScenario(Scenario("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  s->properties[1].at_least = 1.0;  // demand perfection
  auto run = RunScenario(*s, 1, false);
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->ok());
  const Verdict& v = run->verdicts[1];
  EXPECT_FALSE(v.holds);
  EXPECT_EQ(v.bound, ">= 1.0000");
  EXPECT_TRUE(
      absl::StrContains(v.first_violation, "call #1 of client started at 0"))
      << v.first_violation;
  EXPECT_TRUE(absl::StrContains(v.first_violation, "(seed 1)"));
  const std::string text = FormatRunSummary(*s, *run);
  EXPECT_TRUE(absl::StrContains(text, "FAILS  success rate")) << text;
  const std::string json = RunToJson(*s, *run);
  EXPECT_TRUE(absl::StrContains(json, "\"ok\": false")) << json;
}

TEST(ScenarioRunnerTest, CircuitBreakerCheckCatchesCallsInsideFailTimeout) {
  auto s = LoadScenario(Scenario("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  auto run = RunScenario(*s, 1, false);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->verdicts[0].holds) << run->verdicts[0].measured;
  // Forge an attempt inside the open window: the check must see it.
  ASSERT_FALSE(run->nginx_log.empty());
  TwinLogEntry forged;
  forged.upstream_addr = {"127.0.0.1:3001"};
  forged.upstream_status = {200};
  forged.attempt_at = {absl::Seconds(5)};
  forged.attempt_end = {absl::Seconds(5)};
  run->nginx_log.push_back(forged);
  std::vector<Verdict> v = CheckProperties(*s, *run);
  EXPECT_FALSE(v[0].holds);
  EXPECT_TRUE(absl::StrContains(v[0].first_violation, "at 5s"))
      << v[0].first_violation;
}

TEST(ScenarioRunnerTest, ChromeTraceHasTracksSpansAndFaultMarkers) {
  auto s = LoadScenario(Scenario("crashed_server"));
  ASSERT_TRUE(s.ok());
  auto run = RunScenario(*s, 1, /*keep_log=*/true);
  ASSERT_TRUE(run.ok());
  const std::string trace = RunToChromeTrace(*s, *run);
  EXPECT_TRUE(absl::StrContains(trace, "\"name\":\"process_name\""))
      << trace.substr(0, 300);
  EXPECT_TRUE(absl::StrContains(trace, "\"ph\":\"X\""));
  EXPECT_TRUE(absl::StrContains(trace, "\"name\":\"crash\""));
  EXPECT_TRUE(absl::StrContains(trace, "attempt → server2"));
}

}  // namespace
}  // namespace saludo::sim
