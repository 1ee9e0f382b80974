#include "runtime/live/system_clock.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace saludo::runtime::live {
namespace {

constexpr int64_t kSecond = 1000000000;

TEST(DriftedNanosTest, RunsFastOrSlowFromTheAnchor) {
  // 100 ppm fast: 100 us gained per second.
  EXPECT_EQ(DriftedNanos(5 * kSecond, 7 * kSecond, 100000, 6 * kSecond),
            8 * kSecond + 100000);
  // 2 % slow over 10 s: 200 ms lost.
  EXPECT_EQ(DriftedNanos(0, 0, -20000000, 10 * kSecond),
            10 * kSecond - 200 * 1000000);
  // No drift: true time.
  EXPECT_EQ(DriftedNanos(3, 3, 0, 42), 42);
  // Twice as fast (the largest drift a scenario may set).
  EXPECT_EQ(DriftedNanos(0, 0, 1000000000, kSecond), 2 * kSecond);
}

TEST(DriftedNanosTest, NoOverflowAfterAYearAtTheLargestDrift) {
  const int64_t year = 366LL * 24 * 3600 * kSecond;
  EXPECT_EQ(DriftedNanos(0, 0, 1000000000, year), 2 * year);
  EXPECT_EQ(DriftedNanos(0, 0, -999999999, year), year / kSecond);
}

TEST(DriftedNanosTest, NeverDecreasesEvenAtTheSlowestDrift) {
  int64_t last = DriftedNanos(0, 0, -999999999, 0);
  for (int64_t real = 1; real < 100000; ++real) {
    const int64_t local = DriftedNanos(0, 0, -999999999, real);
    ASSERT_GE(local, last) << real;
    last = local;
  }
}

// A change of drift re-anchors without a jump, and the clock never runs back.
TEST(SystemClockTest, DriftChangesNeverMoveMonotonicBack) {
  SystemClock clock;
  absl::Duration last = clock.Monotonic();
  const int64_t drifts[] = {500000000, -500000000, 0, 1000000000, -999999999};
  for (int64_t ppb : drifts) {
    clock.SetDriftPpb(ppb);
    for (int i = 0; i < 1000; ++i) {
      const absl::Duration now = clock.Monotonic();
      ASSERT_GE(now, last) << ppb;
      last = now;
    }
  }
}

}  // namespace
}  // namespace saludo::runtime::live
