#include "runtime/live/cli.h"

#include <pthread.h>
#include <signal.h>

#include "gtest/gtest.h"

namespace saludo::runtime::live {
namespace {

// Stop signals are blocked in this thread, so raising one leaves it pending.
class StopSignalTest : public ::testing::Test {
 protected:
  void SetUp() override { BlockStopSignals(); }
};

TEST_F(StopSignalTest, TakeStopSignalTakesAPendingSignalOnce) {
  EXPECT_EQ(TakeStopSignal(), 0);  // nothing pending: returns at once
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  EXPECT_EQ(TakeStopSignal(), SIGTERM);
  EXPECT_EQ(TakeStopSignal(), 0);  // taken
  ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
  EXPECT_EQ(TakeStopSignal(), SIGINT);
}

TEST_F(StopSignalTest, WaitForStopSignalReturnsAPendingSignalOrWhenToldToStop) {
  int ticks = 0;
  EXPECT_EQ(
      WaitForStopSignal(absl::Milliseconds(1), [&] { return ++ticks < 3; }), 0);
  EXPECT_EQ(ticks, 3);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
  EXPECT_EQ(WaitForStopSignal(absl::Milliseconds(1), [] { return true; }),
            SIGINT);
}

}  // namespace
}  // namespace saludo::runtime::live
