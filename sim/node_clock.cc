#include "sim/node_clock.h"

#include <utility>

#include "absl/base/attributes.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

constexpr int64_t kBillion = 1000000000;

}  // namespace

NodeClock::NodeClock(Simulator* sim, absl::Time wall_epoch, Executor execute)
    : sim_(sim),
      wall_epoch_(wall_epoch),
      epoch_unix_ns_(absl::ToUnixNanos(wall_epoch)),
      epoch_exact_(absl::FromUnixNanos(epoch_unix_ns_) == wall_epoch),
      execute_(std::move(execute)) {}

int64_t NodeClock::LocalNs() const {
  // Without drift local time runs at true rate (the same result, without
  // 128-bit division: most nodes never drift).
  if (drift_ppb_ == 0) {
    return anchor_local_ns_ + (sim_->now_ns() - anchor_true_ns_);
  }
  const __int128 elapsed = sim_->now_ns() - anchor_true_ns_;
  return anchor_local_ns_ +
         static_cast<int64_t>(elapsed * (kBillion + drift_ppb_) / kBillion);
}

int64_t NodeClock::TrueNsForLocal(int64_t target_local_ns) const {
  const int64_t now_local = LocalNs();
  if (target_local_ns <= now_local) return sim_->now_ns();
  if (drift_ppb_ == 0) {
    return std::max(anchor_true_ns_ + (target_local_ns - anchor_local_ns_),
                    sim_->now_ns());
  }
  const __int128 local_span = target_local_ns - anchor_local_ns_;
  const __int128 rate = kBillion + drift_ppb_;
  // Ceiling division: the first true nanosecond at which L >= target.
  int64_t t = anchor_true_ns_ +
              static_cast<int64_t>((local_span * kBillion + rate - 1) / rate);
  return std::max(t, sim_->now_ns());
}

absl::Time NodeClock::Now() {
  int64_t unix_ns;
  if (UnixNs(&unix_ns)) return absl::FromUnixNanos(unix_ns);
  if (offset_exact_) {
    return wall_epoch_ + absl::Nanoseconds(LocalNs() + offset_ns_);
  }
  return wall_epoch_ + absl::Nanoseconds(LocalNs()) + hardware_offset_ +
         process_offset_;
}

int64_t NodeClock::NowUnixSeconds() {
  int64_t unix_ns;
  if (UnixNs(&unix_ns)) {
    // Floor division, as ToUnixSeconds rounds before 1970 too.
    const int64_t seconds = unix_ns / kBillion;
    return unix_ns % kBillion < 0 ? seconds - 1 : seconds;
  }
  return absl::ToUnixSeconds(Now());
}

void NodeClock::OffsetsChanged() {
  const absl::Duration sum = hardware_offset_ + process_offset_;
  // Exact (absl sums durations without rounding) and far from overflow.
  offset_ns_ = absl::ToInt64Nanoseconds(sum);
  offset_exact_ = absl::Nanoseconds(offset_ns_) == sum &&
                  absl::AbsDuration(sum) < absl::Hours(24 * 365 * 100);
}

absl::Duration NodeClock::Monotonic() { return absl::Nanoseconds(LocalNs()); }

void NodeClock::SetWallOffset(absl::Duration offset) {
  process_offset_ = offset;
  OffsetsChanged();
}

template <typename Work>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline runtime::TimerId NodeClock::Arm(
    absl::Duration delay, Work work) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  const runtime::TimerId id = next_timer_id_++;
  PendingTimer& timer = timers_.Insert(id);
  timer.target_local_ns = LocalNs() + absl::ToInt64Nanoseconds(delay);
  timer.event = sim_->AtNs(TrueNsForLocal(timer.target_local_ns),
                           [this, id, work = std::move(work)]() mutable {
                             timers_.Erase(id);
                             execute_(std::move(work));
                           });
  return id;
}

runtime::TimerId NodeClock::RunAfter(absl::Duration delay,
                                     std::function<void()> callback) {
  return Arm(delay, std::move(callback));
}

runtime::TimerId NodeClock::NotifyAfter(absl::Duration delay,
                                        runtime::TimerTarget* target,
                                        uint64_t arg) {
  SALUDO_CHECK(target != nullptr);
  return Arm(delay, [target, arg] { target->OnTimer(arg); });
}

bool NodeClock::Cancel(runtime::TimerId id) {
  PendingTimer* timer = timers_.Find(id);
  if (timer == nullptr) return false;
  sim_->Cancel(timer->event);
  timers_.Erase(id);
  return true;
}

void NodeClock::SetDriftPpb(int64_t drift_ppb) {
  SALUDO_CHECK(drift_ppb > -kBillion);
  anchor_local_ns_ = LocalNs();
  anchor_true_ns_ = sim_->now_ns();
  drift_ppb_ = drift_ppb;
  for (runtime::TimerId id : timers_.Ids()) {  // in the order they were set
    PendingTimer& timer = timers_.At(id);
    timer.event =
        sim_->Reschedule(timer.event, TrueNsForLocal(timer.target_local_ns));
  }
}

void NodeClock::ResetProcess() {
  for (runtime::TimerId id : timers_.Ids()) {
    sim_->Cancel(timers_.At(id).event);
    timers_.Erase(id);
  }
  process_offset_ = absl::ZeroDuration();
  OffsetsChanged();
}

}  // namespace saludo::sim
