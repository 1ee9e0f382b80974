#include "runtime/sync.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace saludo::runtime {
namespace {

TEST(NotificationTest, WakesEveryWaiter) {
  Notification ready;
  Mutex mu;
  int woken = 0;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      ready.WaitForNotification();
      MutexLock lock(&mu);
      ++woken;
    });
  }
  EXPECT_FALSE(ready.HasBeenNotified());
  ready.Notify();
  for (std::thread& t : waiters) t.join();
  EXPECT_TRUE(ready.HasBeenNotified());
  MutexLock lock(&mu);
  EXPECT_EQ(woken, 4);
}

TEST(NotificationTest, TimeoutReportsWhetherItHappened) {
  Notification never;
  EXPECT_FALSE(never.WaitForNotificationWithTimeout(absl::Milliseconds(1)));
  EXPECT_FALSE(never.WaitForNotificationWithTimeout(-absl::Seconds(1)));
  Notification done;
  done.Notify();
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::ZeroDuration()));
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(CondVarTest, HandsOverUnderTheLock) {
  Mutex mu;
  CondVar changed;
  int turn = 0;  // guarded by mu
  std::thread other([&] {
    MutexLock lock(&mu);
    while (turn != 1) changed.Wait(&mu);
    turn = 2;
    changed.SignalAll();
  });
  {
    MutexLock lock(&mu);
    turn = 1;
    changed.SignalAll();
    while (turn != 2) changed.Wait(&mu);
  }
  other.join();
  MutexLock lock(&mu);
  EXPECT_EQ(turn, 2);
}

TEST(CondVarTest, NonPositiveTimeoutReturnsAtOnceHoldingTheLock) {
  Mutex mu;
  CondVar never;
  MutexLock lock(&mu);
  never.WaitWithTimeout(&mu, absl::ZeroDuration());
  never.WaitWithTimeout(&mu, absl::Milliseconds(1));  // returns after ~1 ms
}

// Another thread takes and releases `mu` (it would wait forever if `mu`
// were still held).
void LockFromAnotherThread(Mutex* mu) {
  std::thread other([mu] { MutexLock lock(mu); });
  other.join();
}

// Locks `mu` twice over, which only a skipped lock survives (the analysis
// would rightly refuse it).
void LockTwice(Mutex* mu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  MutexLock a(mu);
  MutexLock b(mu);
}

TEST(SoleThreadScopeTest, LocksInsideAScopeAreSkipped) {
  Mutex mu;
  EXPECT_FALSE(SoleThreadScope::Active());
  {
    const SoleThreadScope sole;
    EXPECT_TRUE(SoleThreadScope::Active());
    LockTwice(&mu);  // non-recursive: this would deadlock if it locked
    {
      const SoleThreadScope nested;
      EXPECT_TRUE(SoleThreadScope::Active());
    }
    EXPECT_TRUE(SoleThreadScope::Active());  // the outer scope still holds
  }
  EXPECT_FALSE(SoleThreadScope::Active());
  std::thread([] { EXPECT_FALSE(SoleThreadScope::Active()); }).join();
  LockFromAnotherThread(&mu);
}

TEST(SoleThreadScopeTest, ALockTakenBeforeTheScopeIsReleasedInsideIt) {
  Mutex mu;
  mu.Lock();
  {
    const SoleThreadScope sole;
    mu.Unlock();
  }
  LockFromAnotherThread(&mu);  // it was released for real
  // One skipped inside a scope and released after it: nothing to release.
  {
    const SoleThreadScope sole;
    mu.Lock();
  }
  mu.Unlock();
  LockFromAnotherThread(&mu);
  MutexLock lock(&mu);  // and it locks as ever
}

}  // namespace
}  // namespace saludo::runtime
