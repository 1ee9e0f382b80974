#include "sim/clock_sync_experiment.h"

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

TEST(ClockSyncExperimentTest, SymmetricLatencyErrorStaysWithinTheBound) {
  SyncCase c = SymmetricJitterCase();
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    c.seed = seed;
    for (const SyncEstimate& e : RunSyncCase(c)) {
      EXPECT_LE(absl::AbsDuration(e.ntp_error()), e.ntp.error_bound)
          << "seed " << seed;
      EXPECT_LE(absl::AbsDuration(e.cristian_error()), e.cristian.error_bound)
          << "seed " << seed;
    }
  }
}

TEST(ClockSyncExperimentTest, AsymmetricLatencyErrorIsHalfTheAsymmetry) {
  SyncCase c;
  c.to_server = Distribution::Fixed(absl::Milliseconds(5));
  c.to_client = Distribution::Fixed(absl::Milliseconds(1));
  c.server_offsets = {absl::Milliseconds(40)};
  const SyncEstimate e = RunSyncCase(c)[0];
  EXPECT_EQ(e.ntp_error(), absl::Milliseconds(2));  // (5 - 1) / 2
  EXPECT_EQ(e.ntp.error_bound, absl::Milliseconds(3));
}

TEST(ClockSyncExperimentTest, StaleEstimateErrorGrowsAtTheDriftRate) {
  const std::vector<absl::Duration> errors =
      StaleEstimateErrors(100, {absl::Seconds(10), absl::Seconds(100)});
  // 100 ppm: 1 ms after 10 s, 10 ms after 100 s (the estimate lags).
  EXPECT_NEAR(absl::ToDoubleMilliseconds(errors[0]), -1.0, 0.01);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(errors[1]), -10.0, 0.01);
}

TEST(ClockSyncExperimentTest, BerkeleySlewsTheSpreadDownWithoutGoingBack) {
  BerkeleyCase c;
  c.server_offsets = {absl::Milliseconds(300), -absl::Milliseconds(200),
                      absl::Milliseconds(50), absl::Seconds(5)};
  c.interval = absl::Seconds(400);  // 5000 ppm slews 2 s per 400 s
  BerkeleyOutcome out = RunBerkeleyCase(c);
  ASSERT_EQ(out.spread.size(), 4u);
  EXPECT_GT(out.spread[0], absl::Seconds(5));
  // The outlier is corrected too (toward the others' average).
  EXPECT_LT(out.spread.back(), absl::Milliseconds(2));
  EXPECT_FALSE(out.went_backward);
}

TEST(ClockSyncExperimentTest, BerkeleyWithStepsConvergesInOneRound) {
  BerkeleyCase c;
  c.server_offsets = {absl::Milliseconds(300), -absl::Milliseconds(200)};
  c.allow_step = true;
  c.rounds = 1;
  c.interval = absl::Seconds(1);
  BerkeleyOutcome out = RunBerkeleyCase(c);
  EXPECT_LT(out.spread.back(), absl::Milliseconds(1));
}

}  // namespace
}  // namespace saludo::sim
