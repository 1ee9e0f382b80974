// Locks for the live code: a mutex, a condition variable and a one-shot
// notification, built on the C++ standard library.
//
// Why not absl::Mutex: the system's Abseil is not built with ThreadSanitizer,
// so its locks are invisible to TSan (they are atomics and futexes inside an
// uninstrumented library) and every access they protect looks like a race.
// std::mutex is pthread underneath, which TSan intercepts. These classes keep
// Abseil's thread-safety annotations; clang's -Wthread-safety (an error in
// --config=clang, so in CI's sanitizer passes) checks GUARDED_BY.
// //tests:banned_calls_test keeps absl's locks out of our code.
//
// The simulator needs none of this: it is single-threaded. While it runs a
// world it holds a SoleThreadScope, and the locks its services and clients
// take on that thread cost a thread-local test instead of a lock (the seam
// decides: service and client code have no simulator branch).
#ifndef SALUDO_RUNTIME_SYNC_H_
#define SALUDO_RUNTIME_SYNC_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "runtime/check.h"

namespace saludo::runtime {

// Declares that, while it lives, the calling thread is the only one that
// touches every Mutex it locks (a simulated world, run on one thread): Lock
// and Unlock there skip the lock. Scopes nest.
// REQUIRES: no Mutex locked by this thread inside the scope is used by
// another thread at the same time, and no CondVar is waited on inside it
// (there is nobody to signal it).
class SoleThreadScope {
 public:
  SoleThreadScope() : outer_(active_) { active_ = true; }
  ~SoleThreadScope() { active_ = outer_; }
  SoleThreadScope(const SoleThreadScope&) = delete;
  SoleThreadScope& operator=(const SoleThreadScope&) = delete;

  // Whether the calling thread is inside a scope.
  static bool Active() { return active_; }

 private:
  static thread_local bool active_;
  const bool outer_;
};

// A non-recursive exclusive lock.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // REQUIRES: the calling thread does not hold the lock.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (SoleThreadScope::Active()) return;
    mu_.lock();
    locked_ = true;
  }
  // REQUIRES: the calling thread holds the lock. (A lock taken before a
  // SoleThreadScope began is released inside it, and one skipped inside a
  // scope is not released after it: `locked_` says which it was.)
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (!locked_) return;
    locked_ = false;
    mu_.unlock();
  }

 private:
  friend class CondVar;
  std::mutex mu_;
  bool locked_ = false;  // written only by the thread that holds mu_
};

// Holds `mu` for the lifetime of the object.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable used with Mutex. Wakeups may be spurious: callers
// re-check their condition in a loop.
class CondVar {
 public:
  // Releases `mu`, waits for a Signal/SignalAll, re-acquires `mu`.
  // REQUIRES: the calling thread holds `mu`.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    WaitHolding(mu,
                [this](std::unique_lock<std::mutex>& lock) { cv_.wait(lock); });
  }
  // As Wait, but returns after at most `timeout` (a non-positive timeout
  // returns at once, with `mu` still held).
  // REQUIRES: the calling thread holds `mu`.
  void WaitWithTimeout(Mutex* mu, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (timeout <= absl::ZeroDuration()) return;
    WaitHolding(mu, [this, timeout](std::unique_lock<std::mutex>& lock) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout));
    });
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  // Runs `wait` on `mu`'s std::mutex, which the caller holds (for real: not
  // inside a SoleThreadScope) and holds again when it returns.
  template <typename WaitFn>
  static void WaitHolding(Mutex* mu, WaitFn wait) {
    SALUDO_CHECK(mu->locked_);
    mu->locked_ = false;
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    wait(lock);
    lock.release();
    mu->locked_ = true;
  }

  std::condition_variable cv_;
};

// A one-shot event: any number of threads wait until one thread notifies.
class Notification {
 public:
  // REQUIRES: called at most once.
  void Notify();
  bool HasBeenNotified() const;
  void WaitForNotification() const;
  // Returns whether the notification happened within `timeout`.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable notified_cv_;
  bool notified_ = false;  // guarded by mu_
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_SYNC_H_
