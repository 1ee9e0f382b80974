#include "runtime/sync.h"

#include "runtime/check.h"

namespace saludo::runtime {

thread_local bool SoleThreadScope::active_ = false;

void Notification::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  SALUDO_CHECK(!notified_);
  notified_ = true;
  notified_cv_.notify_all();
}

bool Notification::HasBeenNotified() const {
  std::lock_guard<std::mutex> lock(mu_);
  return notified_;
}

void Notification::WaitForNotification() const {
  std::unique_lock<std::mutex> lock(mu_);
  notified_cv_.wait(lock, [this] { return notified_; });
}

bool Notification::WaitForNotificationWithTimeout(
    absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  if (timeout <= absl::ZeroDuration()) return notified_;
  // The predicate form waits out spurious wakeups against its own deadline.
  return notified_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                               [this] { return notified_; });
}

}  // namespace saludo::runtime
