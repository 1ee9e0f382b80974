#include "sim/node_clock.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/random.h"

namespace saludo::sim {
namespace {

const absl::Time kEpoch = absl::FromUnixSeconds(1767225600);

class NodeClockTest : public ::testing::Test {
 protected:
  Simulator sim_{1, false};
  NodeClock clock_{&sim_, kEpoch, [](std::function<void()> work) { work(); }};
};

TEST_F(NodeClockTest, NoFaultsFollowsTrueTime) {
  sim_.RunUntil(absl::Seconds(2));
  EXPECT_EQ(clock_.Monotonic(), absl::Seconds(2));
  EXPECT_EQ(clock_.Now(), kEpoch + absl::Seconds(2));
}

TEST_F(NodeClockTest, OffsetAndJumpMoveWallButNotMonotonic) {
  clock_.SetHardwareOffset(absl::Seconds(5));
  clock_.Jump(-absl::Seconds(1));
  clock_.SetWallOffset(absl::Milliseconds(250));
  EXPECT_EQ(clock_.Now(), kEpoch + absl::Milliseconds(4250));
  EXPECT_EQ(clock_.Monotonic(), absl::ZeroDuration());
  clock_.ResetProcess();  // a crash forgets the process offset only
  EXPECT_EQ(clock_.Now(), kEpoch + absl::Seconds(4));
}

// Now() is epoch + local time + offsets exactly, however it is worked out:
// an epoch with a quarter nanosecond, and offsets that take the sum past
// what int64 nanoseconds hold, give what absl's exact arithmetic gives.
TEST(NodeClockEdgeTest, NowIsExactForOddEpochsAndHugeOffsets) {
  Simulator sim(1, false);
  auto inline_work = [](std::function<void()> work) { work(); };
  const absl::Time quarter = kEpoch + absl::Nanoseconds(0.25);
  NodeClock odd(&sim, quarter, inline_work);
  NodeClock far(&sim, kEpoch, inline_work);
  sim.RunUntil(absl::Milliseconds(3));
  EXPECT_EQ(odd.Now(), quarter + absl::Milliseconds(3));
  EXPECT_EQ(far.Now(), kEpoch + absl::Milliseconds(3));
  far.SetHardwareOffset(absl::Hours(24 * 365 * 99));
  far.SetWallOffset(absl::Hours(24 * 365 * 99));  // the sum: 198 years
  EXPECT_EQ(far.Now(),
            kEpoch + absl::Milliseconds(3) + absl::Hours(2 * 24 * 365 * 99));
  far.SetWallOffset(-absl::Hours(24 * 365 * 99));
  EXPECT_EQ(far.Now(), kEpoch + absl::Milliseconds(3));
  // Year 2248 and 50 years ahead: past int64 ns (2262) since the epoch.
  const absl::Time late_epoch = absl::FromUnixSeconds(int64_t{8800000000});
  NodeClock late(&sim, late_epoch, inline_work);
  late.SetHardwareOffset(absl::Hours(24 * 365 * 50));
  EXPECT_EQ(late.Now(),
            late_epoch + absl::Milliseconds(3) + absl::Hours(24 * 365 * 50));
}

// NowUnixSeconds is ToUnixSeconds(Now()) on either side of 1970, at and
// between whole seconds, and when the offsets are not whole nanoseconds.
TEST(NodeClockEdgeTest, NowUnixSecondsIsNowRoundedDown) {
  Simulator sim(1, false);
  auto inline_work = [](std::function<void()> work) { work(); };
  const absl::Time epochs[] = {kEpoch, absl::FromUnixSeconds(-5),
                               absl::FromUnixNanos(-1500000000),
                               kEpoch + absl::Nanoseconds(0.25)};
  for (const absl::Time epoch : epochs) {
    NodeClock clock(&sim, epoch, inline_work);
    for (const absl::Duration offset :
         {absl::ZeroDuration(), -absl::Seconds(7), absl::Nanoseconds(-1),
          absl::Nanoseconds(0.5)}) {
      clock.SetWallOffset(offset);
      EXPECT_EQ(clock.NowUnixSeconds(), absl::ToUnixSeconds(clock.Now()))
          << epoch << " " << offset;
    }
  }
  NodeClock clock(&sim, absl::FromUnixSeconds(-2), inline_work);
  for (int step = 0; step < 9; ++step) {
    EXPECT_EQ(clock.NowUnixSeconds(), absl::ToUnixSeconds(clock.Now()))
        << sim.now();
    sim.RunUntil(sim.now() + absl::Milliseconds(500));
  }
}

TEST_F(NodeClockTest, DriftScalesLocalTimeAndTimers) {
  clock_.SetDriftPpb(100000000);  // +10%: runs fast
  sim_.RunUntil(absl::Seconds(10));
  EXPECT_EQ(clock_.Monotonic(), absl::Seconds(11));
  absl::Duration fired_at;
  clock_.RunAfter(absl::Seconds(11), [&] { fired_at = sim_.now(); });
  sim_.RunAll();
  EXPECT_EQ(fired_at, absl::Seconds(20));  // 11 local s = 10 true s
}

TEST_F(NodeClockTest, DriftChangeReschedulesPendingTimers) {
  absl::Duration fired_at;
  clock_.RunAfter(absl::Seconds(10), [&] { fired_at = sim_.now(); });
  sim_.RunUntil(absl::Seconds(5));
  clock_.SetDriftPpb(-500000000);  // half speed from t=5
  sim_.RunAll();
  // 5 local s done; the other 5 take 10 true s.
  EXPECT_EQ(fired_at, absl::Seconds(15));
  EXPECT_EQ(clock_.Monotonic(), absl::Seconds(10));
}

TEST_F(NodeClockTest, TimersCancelAndResetDropsThem) {
  int fired = 0;
  runtime::TimerId a = clock_.RunAfter(absl::Seconds(1), [&] { ++fired; });
  clock_.RunAfter(absl::Seconds(2), [&] { ++fired; });
  EXPECT_TRUE(clock_.Cancel(a));
  EXPECT_FALSE(clock_.Cancel(a));
  clock_.ResetProcess();
  sim_.RunAll();
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

TEST_F(NodeClockTest, EqualTimersFireInRequestOrder) {
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    clock_.RunAfter(absl::Milliseconds(1), [&, i] { order.push_back(i); });
  }
  sim_.RunAll();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

// NotifyAfter timers: each runs its target with its arg through the node's
// executor, in request order with RunAfter timers, and drift moves,
// Cancel and ResetProcess drop them as they do RunAfter timers.
class Recorder : public runtime::TimerTarget {
 public:
  explicit Recorder(Simulator* sim) : sim_(sim) {}
  void OnTimer(uint64_t arg) override {
    fired.push_back({arg, sim_->now_ns()});
  }
  std::vector<std::pair<uint64_t, int64_t>> fired;  // (arg, true ns)

 private:
  Simulator* sim_;
};

TEST(NodeClockNotifyTest, TargetTimersRunThroughTheExecutorInOrder) {
  Simulator sim(1, false);
  int executed = 0;
  NodeClock clock(&sim, kEpoch, [&](std::function<void()> work) {
    ++executed;
    work();
  });
  Recorder target(&sim);
  clock.NotifyAfter(absl::Nanoseconds(10), &target, 7);
  clock.RunAfter(absl::Nanoseconds(10), [&] {
    target.fired.push_back({99, sim.now_ns()});
  });
  clock.NotifyAfter(absl::Nanoseconds(10), &target, 8);
  const runtime::TimerId cancelled =
      clock.NotifyAfter(absl::Nanoseconds(5), &target, 9);
  clock.NotifyAfter(-absl::Seconds(1), &target, 6);  // counts as zero
  EXPECT_EQ(clock.pending_timers(), 5u);
  EXPECT_TRUE(clock.Cancel(cancelled));
  EXPECT_FALSE(clock.Cancel(cancelled));
  sim.RunAll();
  EXPECT_EQ(target.fired, (std::vector<std::pair<uint64_t, int64_t>>{
                              {6, 0}, {7, 10}, {99, 10}, {8, 10}}));
  EXPECT_EQ(executed, 4);
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST_F(NodeClockTest, DriftMovesAndResetDropsTargetTimers) {
  Recorder target(&sim_);
  clock_.NotifyAfter(absl::Seconds(10), &target, 1);
  clock_.NotifyAfter(absl::Seconds(30), &target, 2);
  sim_.RunUntil(absl::Seconds(5));
  clock_.SetDriftPpb(-500000000);  // half speed from t=5
  sim_.RunUntil(absl::Seconds(20));
  // 5 local s done at t=5; the other 5 take 10 true s.
  EXPECT_EQ(target.fired,
            (std::vector<std::pair<uint64_t, int64_t>>{{1, 15000000000}}));
  clock_.ResetProcess();
  sim_.RunAll();
  EXPECT_EQ(target.fired.size(), 1u);
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

// A clock queues one wake-up in the simulator, for its earliest timer or
// before it. Whatever is set,
// cancelled and run, its timers run exactly where each would if it were its
// own simulator event (the model here): the same order among themselves and
// among other events, and Cancel answers the same.
class TimerWorld {
 public:
  explicit TimerWorld(bool use_clock) : use_clock_(use_clock) {}

  // Runs `steps` random actions, each taken when a timer or an event runs,
  // and returns what ran, in order.
  std::vector<std::string> Run(int steps) {
    steps_left_ = steps;
    for (int i = 0; i < 8; ++i) Act();
    sim_.RunAll();
    // Where the run ended: a cancelled timer does not hold it open.
    ran_.push_back("end at " + std::to_string(sim_.now_ns()));
    return ran_;
  }

 private:
  int64_t Delay() { return static_cast<int64_t>(random_.NextBelow(4)) * 1000; }
  void Ran(const std::string& what) {
    ran_.push_back(what);
    if (steps_left_-- > 0) {
      for (int i = 0; i < 3; ++i) Act();
    }
  }
  void Act() {
    const uint64_t kind = random_.NextBelow(5);
    const int label = next_label_++;
    if (kind <= 1) {  // a timer
      const int64_t delay_ns = Delay();
      if (use_clock_) {
        timers_.push_back(clock_.RunAfter(absl::Nanoseconds(delay_ns), [=] {
          Ran("timer " + std::to_string(label));
        }));
      } else {
        const EventHandle h = sim_.AfterNs(
            delay_ns, [=] { Ran("timer " + std::to_string(label)); });
        timers_.push_back(uint64_t{h.generation} << 32 | h.slot);
      }
    } else if (kind <= 3) {  // another event
      sim_.AfterNs(Delay(), [=] { Ran("event " + std::to_string(label)); });
    } else if (!timers_.empty()) {  // cancel a timer, maybe one that ran
      const uint64_t id = timers_[random_.NextBelow(timers_.size())];
      const bool cancelled =
          use_clock_
              ? clock_.Cancel(id)
              : sim_.Cancel(EventHandle{static_cast<uint32_t>(id),
                                        static_cast<uint32_t>(id >> 32)});
      ran_.push_back(cancelled ? "cancelled" : "not pending");
    }
  }

  const bool use_clock_;
  Simulator sim_{1, false};
  NodeClock clock_{&sim_, kEpoch, [](std::function<void()> work) { work(); }};
  runtime::Random random_{12345};
  std::vector<uint64_t> timers_;
  std::vector<std::string> ran_;
  int next_label_ = 0;
  int steps_left_ = 0;
};

TEST(NodeClockTimersTest, RunWhereTheirOwnEventsWould) {
  const std::vector<std::string> model = TimerWorld(false).Run(3000);
  const std::vector<std::string> clock = TimerWorld(true).Run(3000);
  ASSERT_GT(model.size(), 3000u);
  EXPECT_EQ(clock, model);
}

// Deadlines cancelled in the order they were set (calls ending): each
// cancel takes the earliest, and the timers left still run on time; once
// none is left, nothing holds the simulation.
TEST_F(NodeClockTest, CancellingTheEarliestLeavesTheOthersOnTime) {
  std::vector<int64_t> fired_at_ms;
  std::vector<runtime::TimerId> ids;
  for (int s = 1; s <= 4; ++s) {
    ids.push_back(clock_.RunAfter(absl::Seconds(s), [&] {
      fired_at_ms.push_back(absl::ToInt64Milliseconds(sim_.now()));
    }));
  }
  EXPECT_TRUE(clock_.Cancel(ids[0]));
  EXPECT_TRUE(clock_.Cancel(ids[1]));
  sim_.RunUntil(absl::Milliseconds(2500));
  EXPECT_TRUE(fired_at_ms.empty());
  EXPECT_TRUE(clock_.Cancel(ids[2]));
  sim_.RunAll();
  EXPECT_EQ(fired_at_ms, std::vector<int64_t>({4000}));
  EXPECT_EQ(sim_.now(), absl::Seconds(4));
  // The last one cancelled: the run ends where it is.
  const runtime::TimerId last = clock_.RunAfter(absl::Seconds(1), [] {});
  EXPECT_TRUE(clock_.Cancel(last));
  EXPECT_EQ(sim_.pending_events(), 0u);
  sim_.RunAll();
  EXPECT_EQ(sim_.now(), absl::Seconds(4));
}

TEST_F(NodeClockTest, ATimerIdIsNeverReusedForALaterTimer) {
  int fired = 0;
  const runtime::TimerId first =
      clock_.RunAfter(absl::Seconds(1), [&] { ++fired; });
  EXPECT_TRUE(clock_.Cancel(first));
  // The same place in the clock, a new timer: the old id does not name it.
  const runtime::TimerId second =
      clock_.RunAfter(absl::Seconds(1), [&] { ++fired; });
  EXPECT_NE(second, first);
  EXPECT_FALSE(clock_.Cancel(first));
  sim_.RunAll();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(clock_.Cancel(second));
}

// A drift change moves each pending timer as cancelling it and setting it
// again would: in the order they were set, each behind the events already
// at its new time.
TEST_F(NodeClockTest, DriftChangeRequeuesTimersInTheOrderTheyWereSet) {
  std::vector<std::string> order;
  clock_.RunAfter(absl::Seconds(2), [&] { order.push_back("b"); });
  clock_.RunAfter(absl::Seconds(1), [&] { order.push_back("a"); });
  clock_.RunAfter(absl::Seconds(2), [&] { order.push_back("c"); });
  sim_.After(absl::Seconds(4), [&] { order.push_back("event"); });
  clock_.SetDriftPpb(-500000000);  // half speed: 2 s local is 4 s true
  sim_.After(absl::Seconds(4), [&] { order.push_back("later event"); });
  sim_.RunAll();
  EXPECT_EQ(order,
            (std::vector<std::string>{"a", "event", "b", "c", "later event"}));
}

}  // namespace
}  // namespace saludo::sim
