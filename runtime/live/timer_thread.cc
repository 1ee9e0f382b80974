#include "runtime/live/timer_thread.h"

#include <chrono>

namespace saludo::runtime::live {

TimerThread::TimerThread(Clock* clock)
    : clock_(clock), thread_([this] { Loop(); }) {}

TimerThread::~TimerThread() {
  {
    runtime::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
  }
  thread_.join();
}

TimerId TimerThread::RunAfter(absl::Duration delay,
                              std::function<void()> callback) {
  const absl::Duration deadline =
      clock_->Monotonic() + std::max(delay, absl::ZeroDuration());
  runtime::MutexLock lock(&mu_);
  const TimerId id = next_id_++;
  pending_.emplace(std::make_pair(deadline, id), std::move(callback));
  deadline_of_.emplace(id, deadline);
  changed_.Signal();
  return id;
}

bool TimerThread::Cancel(TimerId id) {
  runtime::MutexLock lock(&mu_);
  auto it = deadline_of_.find(id);
  if (it == deadline_of_.end()) return false;
  pending_.erase(std::make_pair(it->second, id));
  deadline_of_.erase(it);
  return true;
}

void TimerThread::Loop() {
  runtime::MutexLock lock(&mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      changed_.Wait(&mu_);
      continue;
    }
    auto first = pending_.begin();
    const absl::Duration wait = first->first.first - clock_->Monotonic();
    if (wait > absl::ZeroDuration()) {
      changed_.WaitWithTimeout(&mu_, wait);
      continue;
    }
    std::function<void()> callback = std::move(first->second);
    deadline_of_.erase(first->first.second);
    pending_.erase(first);
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace saludo::runtime::live
