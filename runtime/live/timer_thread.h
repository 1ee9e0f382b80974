// The live Timers: one thread runs callbacks in deadline order.
#ifndef SALUDO_RUNTIME_LIVE_TIMER_THREAD_H_
#define SALUDO_RUNTIME_LIVE_TIMER_THREAD_H_

#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "runtime/clock.h"
#include "runtime/sync.h"
#include "runtime/timers.h"

namespace saludo::runtime::live {

class TimerThread final : public Timers {
 public:
  // Deadlines are measured on `clock`'s monotonic reading.
  // REQUIRES: `clock` outlives this object.
  explicit TimerThread(Clock* clock);
  // Stops the thread; pending callbacks are dropped without running.
  ~TimerThread() override;

  TimerId RunAfter(absl::Duration delay,
                   std::function<void()> callback) override;
  bool Cancel(TimerId id) override;

 private:
  void Loop();

  Clock* const clock_;
  runtime::Mutex mu_;
  runtime::CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Ordered by (deadline, id): equal deadlines run in the order requested.
  std::map<std::pair<absl::Duration, TimerId>, std::function<void()>> pending_
      ABSL_GUARDED_BY(mu_);
  std::map<TimerId, absl::Duration> deadline_of_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_TIMER_THREAD_H_
