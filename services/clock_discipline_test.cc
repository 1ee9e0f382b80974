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
  clock.Adjust(-absl::Milliseconds(100), /*step=*/false);
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
  clock.Adjust(absl::Seconds(1), false);
  base.Advance(absl::Seconds(10));  // absorbs 50 ms
  EXPECT_EQ(clock.Now() - t0, absl::Seconds(10) + absl::Milliseconds(50));
  EXPECT_EQ(clock.Pending(), absl::Milliseconds(950));
  clock.Adjust(-absl::Seconds(2), /*step=*/true);  // replaces the rest
  EXPECT_EQ(clock.Now() - t0,
            absl::Seconds(10) + absl::Milliseconds(50) - absl::Seconds(2));
  EXPECT_EQ(clock.Pending(), absl::ZeroDuration());
  EXPECT_EQ(clock.Monotonic(), base.Monotonic());
}

}  // namespace
}  // namespace saludo::services
