#include "scenario/runner.h"

#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "scenario/loader.h"
#include "scenario/report.h"
#include "scenario/sim_target.h"
#include "runtime/testing/runfile.h"

namespace saludo::scenario {
namespace {

std::string ScenarioFile(const std::string& name) {
  return runtime::testing::Runfile("scenario/scenarios/" + name +
                                   ".textproto");
}

TEST(ScenarioRunnerTest, SteadyRoundRobinHoldsAndIsDeterministic) {
  auto s = LoadScenario(ScenarioFile("steady_round_robin"));
  ASSERT_TRUE(s.ok()) << s.status();
  auto a = RunSimulated(*s, 3, false);
  auto b = RunSimulated(*s, 3, false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->observed.calls.size(), 6000u);
  EXPECT_EQ(a->observed.trace_hash, b->observed.trace_hash);
  EXPECT_NE(a->observed.trace_hash,
            RunSimulated(*s, 4, false)->observed.trace_hash);
}

TEST(ScenarioRunnerTest, AViolatedBoundIsReportedWithTheFirstOffendingCall) {
  auto s = LoadScenario(ScenarioFile("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  s->properties[1].at_least = 1.0;  // demand perfection
  auto run = RunSimulated(*s, 1, false);
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
  auto s = LoadScenario(ScenarioFile("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->verdicts[0].holds) << run->verdicts[0].measured;
  // Forge an attempt inside the open window: the check must see it.
  ASSERT_FALSE(run->observed.balancer.empty());
  sim::TwinLogEntry forged;
  forged.upstream_addr = {"127.0.0.1:3001"};
  forged.upstream_status = {200};
  forged.attempt_at = {absl::Seconds(5)};
  forged.attempt_end = {absl::Seconds(5)};
  run->observed.balancer.push_back(forged);
  SimulatedTarget target(1, false);
  std::vector<Verdict> v = CheckRun(*s, *run, target);
  EXPECT_FALSE(v[0].holds);
  EXPECT_TRUE(absl::StrContains(v[0].first_violation, "at 5s"))
      << v[0].first_violation;
}

// Live attempt times are known to the millisecond or so: an attempt that
// starts within that of the breaker's opening may have started before it,
// and is not counted; one clearly inside is.
TEST(ScenarioRunnerTest, CircuitBreakerCheckAllowsForTheLogsResolution) {
  auto s = LoadScenario(ScenarioFile("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok());
  const std::vector<BreakerWindow> windows =
      BreakerWindows(*s, run->observed.balancer);
  ASSERT_FALSE(windows.empty());
  run->observed.attempt_time_resolution = absl::Milliseconds(3);
  auto forge = [&](absl::Duration at) {
    sim::TwinLogEntry forged;
    forged.upstream_addr = {windows[0].address};
    forged.upstream_status = {200};
    forged.attempt_at = {at};
    forged.attempt_end = {at};
    run->observed.balancer.push_back(forged);
    SimulatedTarget target(1, false);
    return CheckRun(*s, *run, target)[0];
  };
  EXPECT_TRUE(forge(windows[0].from + absl::Milliseconds(5)).holds);
  const Verdict inside = forge(windows[0].from + absl::Milliseconds(50));
  EXPECT_FALSE(inside.holds);
  EXPECT_EQ(inside.first_at, windows[0].from + absl::Milliseconds(50));
}

TEST(ScenarioRunnerTest, ChromeTraceHasTracksSpansAndFaultMarkers) {
  auto s = LoadScenario(ScenarioFile("crashed_server"));
  ASSERT_TRUE(s.ok());
  auto run = RunSimulated(*s, 1, /*keep_log=*/true);
  ASSERT_TRUE(run.ok());
  const std::string trace = RunToChromeTrace(*s, *run);
  EXPECT_TRUE(absl::StrContains(trace, "\"name\":\"process_name\""))
      << trace.substr(0, 300);
  EXPECT_TRUE(absl::StrContains(trace, "\"ph\":\"X\""));
  EXPECT_TRUE(absl::StrContains(trace, "\"name\":\"crash\""));
  EXPECT_TRUE(absl::StrContains(trace, "attempt → server2"));
}

TEST(ScenarioRunnerTest, APropertyWithoutItsEvidenceIsSkippedWithTheReason) {
  auto s = LoadScenario(ScenarioFile("hung_server_nginx_conf"));
  ASSERT_TRUE(s.ok());
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok());
  // A target that records calls and nginx's log but not attempt times.
  const CheckInput in{*s, run->observed, run->label, run->seed};
  std::vector<Verdict> v = CheckProperties(
      in, kCallRecords | kBalancerLog | kServerClocks, [](uint32_t missing) {
        return missing == kAttemptTimes ? "no attempt times" : "other";
      });
  ASSERT_EQ(v.size(), s->properties.size());
  EXPECT_EQ(s->properties[0].kind, Property::kCircuitBreaker);
  EXPECT_TRUE(v[0].skipped);
  EXPECT_EQ(v[0].measured, "not checked: no attempt times");
  EXPECT_EQ(v[0].property, s->properties[0].label);
  for (size_t i = 1; i < v.size(); ++i) EXPECT_FALSE(v[i].skipped);
}

TEST(ScenarioRunnerTest, ALoadStoppedByTheCallLimitIsReported) {
  auto s = LoadScenario(ScenarioFile("steady_round_robin"));
  ASSERT_TRUE(s.ok());
  s->clients[0].load.max_calls = 10;  // as kMaxCallsPerRun would
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->observed.calls.size(), 10u);
  const std::string text = FormatRunSummary(*s, *run);
  EXPECT_TRUE(absl::StrContains(text, "stopped at the limit of 10 calls"))
      << text;
}

TEST(ScenarioRunnerTest, WithNoCallsEveryPropertyFailsSayingSo) {
  const std::string path = ScenarioFile("clock_skew");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  text +=
      "properties { success_rate { at_least: 0.5 } }\n"
      "properties { latency { percentile: 99 at_most: \"1s\" } }\n"
      "properties { deadlines {} }\n";
  auto s = LoadScenarioText(text, path);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->properties.size(), 5u);
  auto run = RunSimulated(*s, 1, false);
  ASSERT_TRUE(run.ok());
  run->observed.calls.clear();  // as if no call had been made
  SimulatedTarget target(1, false);
  for (const Verdict& v : CheckRun(*s, *run, target)) {
    EXPECT_FALSE(v.holds) << v.property;
    EXPECT_TRUE(absl::StrContains(v.first_violation, "no calls to measure"))
        << v.property << ": " << v.first_violation;
  }
}

}  // namespace
}  // namespace saludo::scenario
