#include "scenario/sweep_summary.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace saludo::scenario {
namespace {

SeedResult Seed(uint64_t seed, bool ok, const std::string& signature = "") {
  SeedResult r;
  r.set_scenario("s <1>");
  r.set_file("s.textproto");
  r.set_seed(seed);
  r.set_ok(ok);
  r.add_properties("availability");
  r.add_properties("latency p100 <= 1s");
  if (!ok) {
    r.add_failed("availability");
    r.add_signatures(signature);
    r.add_drawn("1s server1: crash for 2s (seed " + std::to_string(seed) + ")");
  }
  return r;
}

std::vector<SeedResult> Results() {
  return {Seed(1, true), Seed(2, false, "availability (x) [crash]"),
          Seed(3, false, "availability (x) [hang]"),
          Seed(4, false, "availability (x) [crash]"), Seed(5, true)};
}

TEST(SweepSummaryTest, TheOrderOfSeedsDoesNotMatter) {
  std::vector<SeedResult> results = Results();
  SweepSummary forward, backward;
  for (const SeedResult& r : results) ASSERT_TRUE(forward.Add(r).ok());
  std::reverse(results.begin(), results.end());
  for (const SeedResult& r : results) ASSERT_TRUE(backward.Add(r).ok());
  EXPECT_EQ(forward.Text(), backward.Text());
  EXPECT_EQ(forward.JUnit(absl::Seconds(2)), backward.JUnit(absl::Seconds(2)));
  EXPECT_EQ(forward.seeds(), 5u);
  EXPECT_EQ(forward.failed(), 3u);
  EXPECT_FALSE(forward.ok());
}

// Success rates and p99 latencies fall into fixed bins, so the
// distributions too are the same in any order (and across merged shards).
TEST(SweepSummaryTest, DistributionsAcrossSeedsAreBinned) {
  std::vector<SeedResult> results = Results();
  const double p99_ms[] = {0.2, 0.25, 12, 12.5, 900};
  for (size_t i = 0; i < results.size(); ++i) {
    results[i].set_calls(100);
    results[i].set_ok_calls(i == 0 ? 100 : 50 + i);
    results[i].set_latency_p99_ms(p99_ms[i]);
  }
  SweepSummary forward, backward;
  for (const SeedResult& r : results) ASSERT_TRUE(forward.Add(r).ok());
  std::reverse(results.begin(), results.end());
  for (const SeedResult& r : results) ASSERT_TRUE(backward.Add(r).ok());
  std::vector<int64_t> rates(SweepSummary::kRateBins + 1, 0);
  rates[SweepSummary::kRateBins] = 1;  // exactly 1
  rates[10] = 4;                       // 0.51 .. 0.54
  EXPECT_EQ(forward.success_rate_bins(), rates);
  EXPECT_EQ(forward.success_rate_bins(), backward.success_rate_bins());
  // Quarter decades of ms: 0.2 and 0.25 -> -3; 12 and 12.5 -> 4; 900 -> 11.
  EXPECT_EQ(forward.p99_bins(),
            (std::map<int, int64_t>{{-3, 2}, {4, 2}, {11, 1}}));
  EXPECT_EQ(forward.p99_bins(), backward.p99_bins());
}

TEST(SweepSummaryTest, TextSaysWhatBrokeAndHowToReplayIt) {
  SweepSummary summary;
  for (const SeedResult& r : Results()) ASSERT_TRUE(summary.Add(r).ok());
  const std::string text = summary.Text();
  EXPECT_TRUE(absl::StrContains(text, "  BROKE  availability: in 3 seeds\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "  HOLDS  latency p100 <= 1s\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "  2 seeds: availability (x) [crash]\n    smallest seed 2 drew: "
            "1s server1: crash for 2s (seed 2)\n    replay: bazel run //sim "
            "-- run s.textproto --seed=2\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "--seed=3 --signature='availability (x) [hang]'"));
}

TEST(SweepSummaryTest, JUnitHasOneCasePerPropertyEscaped) {
  SweepSummary summary;
  for (const SeedResult& r : Results()) ASSERT_TRUE(summary.Add(r).ok());
  SeedResult error = Seed(9, true);
  error.set_error("INTERNAL: a bug & more");
  ASSERT_TRUE(summary.Add(error).ok());
  const std::string xml = summary.JUnit(absl::Milliseconds(1500));
  EXPECT_TRUE(absl::StrContains(
      xml, "<testsuite name=\"s &lt;1&gt;\" tests=\"3\" failures=\"2\" "
           "time=\"1.500\">"))
      << xml;
  EXPECT_TRUE(absl::StrContains(
      xml, "name=\"latency p100 &lt;= 1s\"></testcase>"));
  EXPECT_TRUE(absl::StrContains(
      xml, "<failure type=\"property\" message=\"broke in 3 of 6 seeds\">"));
  EXPECT_TRUE(absl::StrContains(xml, "seed 9: INTERNAL: a bug &amp; more"));
}

TEST(SweepSummaryTest, ResultsOfAnotherFileOrTwiceAreRefused) {
  SweepSummary summary;
  ASSERT_TRUE(summary.Add(Seed(1, true)).ok());
  EXPECT_TRUE(absl::StrContains(summary.Add(Seed(1, true)).message(),
                                "seed 1 is counted twice"));
  SeedResult other = Seed(2, true);
  other.set_file("t.textproto");
  EXPECT_TRUE(absl::StrContains(summary.Add(other).message(),
                                "seed 2 is of t.textproto, not s.textproto"));
  EXPECT_EQ(summary.seeds(), 1u);
}

}  // namespace
}  // namespace saludo::scenario
