#include "client/clock_sync.h"

#include "client/berkeley.h"
#include "gtest/gtest.h"

namespace saludo::client {
namespace {

const absl::Time kT = absl::FromUnixSeconds(1767225600);

// A sample of a server `offset` ahead, with delays d1 (there), d2 (back) and
// `service` time at the server.
ClockSample Make(absl::Duration offset, absl::Duration d1, absl::Duration d2,
                 absl::Duration service = absl::ZeroDuration()) {
  ClockSample s;
  s.t1 = kT;
  s.t2 = kT + d1 + offset;
  s.t3 = s.t2 + service;
  s.t4 = kT + d1 + service + d2;
  return s;
}

TEST(ClockSyncTest, SymmetricDelaysGiveTheExactOffset) {
  ClockSample s = Make(absl::Milliseconds(250), absl::Milliseconds(3),
                       absl::Milliseconds(3), absl::Milliseconds(1));
  OffsetEstimate ntp = Estimate(s, SyncMethod::kNtp);
  EXPECT_EQ(ntp.offset, absl::Milliseconds(250));
  EXPECT_EQ(ntp.delay, absl::Milliseconds(6));
  EXPECT_EQ(ntp.error_bound, absl::Milliseconds(3));
  OffsetEstimate cristian = Estimate(s, SyncMethod::kCristian);
  EXPECT_EQ(cristian.error_bound,
            absl::Microseconds(3500));  // rtt/2 with service
  EXPECT_EQ(cristian.offset,
            absl::Microseconds(250500));  // service time hurts it
}

TEST(ClockSyncTest, AsymmetryErrorIsHalfOfIt) {
  ClockSample s = Make(absl::Milliseconds(-100), absl::Milliseconds(5),
                       absl::Milliseconds(1));
  for (SyncMethod m : {SyncMethod::kNtp, SyncMethod::kCristian}) {
    OffsetEstimate e = Estimate(s, m);
    EXPECT_EQ(e.offset - absl::Milliseconds(-100), absl::Milliseconds(2));
    EXPECT_LE(absl::AbsDuration(e.offset - absl::Milliseconds(-100)),
              e.error_bound);
  }
}

TEST(ClockSyncTest, MinimumDelayFilterPicksTheTightestSample) {
  std::vector<ClockSample> samples = {
      Make(absl::Seconds(1), absl::Milliseconds(9), absl::Milliseconds(1)),
      Make(absl::Seconds(1), absl::Milliseconds(1), absl::Milliseconds(1)),
      Make(absl::Seconds(1), absl::Milliseconds(2), absl::Milliseconds(7))};
  OffsetEstimate e = MinimumDelayEstimate(samples, SyncMethod::kNtp);
  EXPECT_EQ(e.delay, absl::Milliseconds(2));
  EXPECT_EQ(e.offset, absl::Seconds(1));
}

TEST(BerkeleyTest, AveragesWithoutOutliersAndCorrectsEveryone) {
  auto est = [](absl::Duration o) {
    OffsetEstimate e;
    e.offset = o;
    return e;
  };
  BerkeleyRound r = PlanBerkeleyRound(
      {est(absl::Milliseconds(300)), est(absl::Milliseconds(-200)),
       est(absl::Milliseconds(50)), est(absl::Seconds(5))},
      absl::Milliseconds(500));
  ASSERT_EQ(r.outlier.size(), 4u);
  EXPECT_TRUE(r.outlier[3]);
  EXPECT_FALSE(r.outlier[0]);
  // (0 + 300 - 200 + 50) / 4 = 37.5 ms
  EXPECT_EQ(r.average, absl::Microseconds(37500));
  EXPECT_EQ(r.corrections[0], absl::Microseconds(37500 - 300000));
  EXPECT_EQ(r.corrections[3], absl::Microseconds(37500) - absl::Seconds(5));
}

}  // namespace
}  // namespace saludo::client
