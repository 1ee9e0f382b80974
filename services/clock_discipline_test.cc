#include "services/clock_discipline.h"

#include "gtest/gtest.h"
#include "runtime/testing/fakes.h"

namespace saludo::services {
namespace {

using runtime::testing::ManualClock;

TEST(ClockDisciplineTest, SlewsAtMostTheMaximumRateAndNeverGoesBack) {
  ManualClock base;
  ClockDiscipline clock(&base, /*max_slew_ppm=*/5000);
  const absl::Time t0 = clock.Now();
  EXPECT_TRUE(clock.Adjust(-absl::Milliseconds(100), /*step=*/false).ok());
  absl::Time previous = clock.Now();
  for (int i = 0; i < 300; ++i) {
    base.Advance(absl::Milliseconds(100));
    const absl::Time now = clock.Now();
    EXPECT_GT(now, previous);  // slower, but forward
    previous = now;
  }
  // 30 s elapsed; -100 ms needs 20 s at 5000 ppm.
  EXPECT_EQ(clock.Pending(), absl::ZeroDuration());
  EXPECT_EQ(clock.Now() - t0, absl::Seconds(30) - absl::Milliseconds(100));
}

TEST(ClockDisciplineTest, PartialSlewAndStep) {
  ManualClock base;
  ClockDiscipline clock(&base, 5000);
  const absl::Time t0 = clock.Now();
  EXPECT_TRUE(clock.Adjust(absl::Seconds(1), false).ok());
  base.Advance(absl::Seconds(10));  // absorbs 50 ms
  EXPECT_EQ(clock.Now() - t0, absl::Seconds(10) + absl::Milliseconds(50));
  EXPECT_EQ(clock.Pending(), absl::Milliseconds(950));
  EXPECT_TRUE(clock.Adjust(-absl::Seconds(2), /*step=*/true).ok());  // replaces the rest
  EXPECT_EQ(clock.Now() - t0,
            absl::Seconds(10) + absl::Milliseconds(50) - absl::Seconds(2));
  EXPECT_EQ(clock.Pending(), absl::ZeroDuration());
  EXPECT_EQ(clock.Monotonic(), base.Monotonic());
}

TEST(ClockDisciplineTest, CorrectionsBeyondAYearAreRefusedAndResetUndoesAll) {
  ManualClock base;
  ClockDiscipline clock(&base);
  const absl::Time before = clock.Now();
  EXPECT_EQ(clock.Adjust(absl::Nanoseconds(INT64_MAX), true).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clock.Now(), before);  // nothing applied
  // Steps add up; their sum is bounded too.
  EXPECT_TRUE(clock.Adjust(absl::Hours(24 * 300), true).ok());
  EXPECT_EQ(clock.Adjust(absl::Hours(24 * 100), true).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(clock.Adjust(absl::Seconds(5), false).ok());
  clock.Reset();
  EXPECT_EQ(clock.Now(), before);
  EXPECT_EQ(clock.Pending(), absl::ZeroDuration());
}

}  // namespace
}  // namespace saludo::services
