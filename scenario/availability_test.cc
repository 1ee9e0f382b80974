#include "scenario/availability.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/testing/runfile.h"
#include "scenario/faults.h"
#include "scenario/loader.h"
#include "scenario/runner.h"

namespace saludo::scenario {
namespace {

std::string Dir() {
  return runtime::testing::RunfileDir(
      "scenario/scenarios/steady_round_robin.textproto");
}

// Two backends behind `nginx` (relative to scenario/scenarios), a closed
// loop of 4 for 20 s, `rest` appended (faults, properties), `network` in the
// network section.
absl::StatusOr<LoadedScenario> Load(const std::string& nginx,
                                    const std::string& rest,
                                    const std::string& network = "") {
  const std::string text = absl::StrCat(R"(name: "a"
duration: "20s"
topology {
  nginx_config: ")",
                                        nginx, R"("
  backends { name: "server1" server_id: 1 address: "127.0.0.1:3001" }
  backends { name: "server2" server_id: 2 address: "127.0.0.1:3002" }
  clients { name: "client" load { closed_loop { concurrency: 4 } duration: "20s" } }
}
network { default_link { latency { uniform { low: "1ms" high: "3ms" } } } )",
                                        network, "}\n", rest);
  return LoadScenarioText(text, Dir() + "/a.textproto");
}

Verdict RunOne(const std::string& nginx, const std::string& rest) {
  auto s = Load(nginx, rest);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  auto run = RunSimulated(*s, 1, false);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok() || run->verdicts.empty()) return {};
  return run->verdicts.front();
}

constexpr char kCrash[] = R"(
faults { at: "5s" node: "server1" crash {} }
faults { at: "9s" node: "server1" restart {} }
properties { availability {} }
)";

constexpr char kHang[] = R"(
faults { at: "5s" node: "server2" hang { duration: "10s" } }
properties { availability {} }
)";

// nginx.conf retries a refused connection on the other backend: a crash
// loses only the calls in flight, which no configuration can save.
TEST(AvailabilityTest, ACrashBehindNginxConfLosesOnlyCallsInFlight) {
  const Verdict v = RunOne("../../nginx/nginx.conf", kCrash);
  EXPECT_TRUE(v.holds) << v.measured << " " << v.first_violation;
  EXPECT_EQ(v.kind, Property::kAvailability);
}

// The seed's grpc_next_upstream has no `error`: the refused connection is
// the client's failure although server2 was healthy, and the cause says so.
TEST(AvailabilityTest, TheSeedConfLosesCallsToACrashedBackend) {
  const Verdict v = RunOne("../../nginx/seed.conf", kCrash);
  EXPECT_FALSE(v.holds) << v.measured;
  EXPECT_TRUE(absl::StrContains(v.cause, "grpc_next_upstream without error"))
      << v.cause;
  EXPECT_TRUE(absl::StrContains(v.first_violation, "while healthy: server2"))
      << v.first_violation;
  ASSERT_TRUE(v.first_at.has_value());
  EXPECT_GE(*v.first_at, absl::Seconds(5));
}

// A hang loses what was sent before nginx could notice, then max_fails
// takes the backend out and only its probes fail: inherent.
TEST(AvailabilityTest, AHangBehindNginxConfLosesOnlyWhatNginxCannotAvoid) {
  const Verdict v = RunOne("../../nginx/nginx.conf", kHang);
  EXPECT_TRUE(v.holds) << v.measured << " " << v.first_violation;
  EXPECT_TRUE(absl::StrContains(v.measured, "sent before nginx could notice"))
      << v.measured;
}

TEST(AvailabilityTest, MaxFailsZeroKeepsSendingToAHungBackend) {
  const Verdict v = RunOne("../../nginx/explore/max_fails_zero.conf", kHang);
  EXPECT_FALSE(v.holds) << v.measured;
  EXPECT_EQ(v.cause, "max_fails=0: nginx never takes a failing backend out");
}

TEST(AvailabilityTest, AReadTimeoutPastTheDeadlineNeverTripsTheBreaker) {
  const Verdict v = RunOne("../../nginx/explore/read_timeout_over_deadline.conf",
                           R"(
faults { at: "1s" node: "server2" hang { duration: "18s" } }
properties { availability {} }
)");
  EXPECT_FALSE(v.holds) << v.measured;
  EXPECT_TRUE(absl::StrContains(v.cause, "grpc_read_timeout 10s >= the client "
                                         "deadline 5s"))
      << v.cause;
}

// With every backend down, failures are excused.
TEST(AvailabilityTest, NoHealthyBackendExcusesEveryFailure) {
  const Verdict v = RunOne("../../nginx/seed.conf", R"(
faults { at: "5s" node: "server1" crash {} }
faults { at: "5s" node: "server2" crash {} }
properties { availability {} }
)");
  EXPECT_TRUE(v.holds) << v.measured << " " << v.first_violation;
  EXPECT_TRUE(absl::StrContains(v.measured, "no healthy backend")) << v.measured;
}

// An injected error is the service's own answer, not nginx's doing.
TEST(AvailabilityTest, InjectedErrorsAreTheServicesAnswer) {
  const Verdict v = RunOne("../../nginx/nginx.conf", R"(
faults { at: "5s" node: "server1" errors { code: "INTERNAL" rate: 1 } }
properties { availability {} }
)");
  EXPECT_TRUE(v.holds) << v.measured << " " << v.first_violation;
  EXPECT_TRUE(absl::StrContains(v.measured, "the service's own error answer"))
      << v.measured;
}

TEST(AttemptsTest, RetriesCountAgainstTheBound) {
  EXPECT_FALSE(RunOne("../../nginx/nginx.conf",
                      std::string(kCrash).replace(
                          std::string(kCrash).find("availability {}"), 15,
                          "attempts { at_most: 1 }"))
                   .holds);
  const Verdict two = RunOne(
      "../../nginx/nginx.conf",
      std::string(kCrash).replace(std::string(kCrash).find("availability {}"),
                                  15, "attempts { at_most: 2 }"));
  EXPECT_TRUE(two.holds) << two.measured;
  EXPECT_TRUE(absl::StrContains(two.measured, "most attempts 2"))
      << two.measured;
}

TEST(AttemptsTest, TheBoundIsCheckedWhereItIsRead) {
  auto s = Load("../../nginx/nginx.conf",
                "properties { attempts { at_most: 0 } }");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(),
                                "properties[0].attempts.at_most"))
      << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), "[1, 100]"))
      << s.status();
}

// When each fault is in force: until its restart, its clear, its own
// duration, the next clock change; partitions by their window.
TEST(FaultWindowsTest, EachKindLastsAsItsTableSays) {
  auto s = Load("../../nginx/nginx.conf", R"(
faults { at: "1s" node: "server1" crash {} }
faults { at: "3s" node: "server1" restart {} }
faults { at: "2s" node: "server2" slow { delay: "10ms" } }
faults { at: "6s" node: "server2" clear_faults {} }
faults { at: "4s" node: "server2" clock_offset { by: "1s" } }
faults { at: "7s" node: "server2" clock_offset { by: "0s" } }
faults { at: "8s" node: "server1" hang { duration: "2s" } }
)",
                R"(partitions { a: "nginx" b: "server2" start: "12s" duration: "1s" })");
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<std::string> got;
  for (const FaultWindow& w : FaultWindows(*s)) {
    got.push_back(absl::StrCat(w.kind, " ", w.node, " ",
                               absl::FormatDuration(w.start), "-",
                               absl::FormatDuration(w.end)));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "crash server1 1s-3s", "slow server2 2s-6s",
                     "clock_offset server2 4s-7s", "hang server1 8s-10s",
                     "partition nginx 12s-13s"}));
}

}  // namespace
}  // namespace saludo::scenario
