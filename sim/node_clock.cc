#include "sim/node_clock.h"

#include <algorithm>
#include <utility>
#include <vector>

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

NodeClock::~NodeClock() {
  if (earliest_queued_) SALUDO_CHECK(sim_->CancelWakeUp(earliest_event_));
  if (!heap_.empty()) sim_->Release();
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void NodeClock::RequeueEarliest() {
  if (earliest_queued_) {
    SALUDO_CHECK(sim_->CancelWakeUp(earliest_event_));
    earliest_queued_ = false;
  }
  if (heap_.empty()) return;
  wake_ = heap_.front();
  earliest_event_ = sim_->WakeUpAtNsInOrder(wake_.time_ns, wake_.sequence(),
                                            [this] { RunEarliest(); });
  earliest_queued_ = true;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void NodeClock::EarliestChanged() {
  // While a timer runs, RunEarliest queues the wake-up when it is done.
  if (running_timer_) return;
  // A wake-up before the earliest timer, or with no timer left, may stay:
  // when it comes it queues one for the earliest timer then, if any.
  if (earliest_queued_ && (heap_.empty() || !heap_.front().RunsBefore(wake_))) {
    return;
  }
  RequeueEarliest();
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void NodeClock::Remove(uint32_t slot) {
  Timer& timer = timers_[slot];
  heap_.RemoveAt(timer.heap_index);
  if (heap_.empty()) sim_->Release();  // no timer holds the simulation
  // A slot whose generations are spent is never used again: ids are not
  // reused.
  if (++timer.generation != 0) free_timers_.push_back(slot);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline NodeClock::Timer* NodeClock::Find(
    runtime::TimerId id) {
  const uint32_t slot = SlotOf(id);
  if (slot >= timers_.size()) return nullptr;
  Timer& timer = timers_[slot];
  if (timer.generation != id >> 32) return nullptr;  // over, or never set
  SALUDO_CHECK(timer.heap_index < heap_.size() &&
               heap_.at(timer.heap_index).slot() == slot);
  return &timer;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline runtime::TimerId NodeClock::Arm(
    absl::Duration delay, runtime::TimerTarget* target, uint64_t arg) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  uint32_t slot;
  if (!free_timers_.empty()) {
    slot = free_timers_.back();
    free_timers_.pop_back();
  } else {
    slot = static_cast<uint32_t>(timers_.size());
    PushBackGrowingByAQuarter(timers_, Timer());
  }
  Timer& timer = timers_[slot];
  timer.target_local_ns = LocalNs() + absl::ToInt64Nanoseconds(delay);
  timer.target = target;
  timer.arg = arg;
  const int64_t true_ns = TrueNsForLocal(timer.target_local_ns);
  SALUDO_CHECK(true_ns != INT64_MAX);  // as the simulator refuses it
  if (heap_.empty()) sim_->Hold();     // until no timer is left
  // The sequence number its own simulator event would have had.
  heap_.Push(HeapEntry::Make(true_ns, sim_->TakeSequence(), slot));
  if (timer.heap_index == 0) EarliestChanged();  // it is the earliest now
  return IdOf(slot, timer.generation);
}

void NodeClock::RunEarliest() {
  earliest_queued_ = false;  // it is running
  if (heap_.empty()) return;  // early, and no timer is left
  if (heap_.front().order != wake_.order) {
    // Early: its timer was cancelled. The earliest now comes after it.
    SALUDO_CHECK(wake_.RunsBefore(heap_.front()));
    RequeueEarliest();
    return;
  }
  const uint32_t slot = heap_.front().slot();
  runtime::TimerTarget* const target = timers_[slot].target;
  const uint64_t arg = timers_[slot].arg;
  const runtime::TimerId id = IdOf(slot, timers_[slot].generation);
  Remove(slot);  // over: Cancel refuses it from now on
  // The wake-up for the earliest timer is queued once the timer has run: it
  // often sets an earlier one (a load's next tick), and a wake-up queued
  // before would be cancelled and queued again. Its place in the run is its
  // timer's (time, sequence) either way.
  running_timer_ = true;
  if (target != nullptr) {
    execute_([target, arg] { target->OnTimer(arg); });
  } else {
    auto it = callbacks_.find(id);
    SALUDO_CHECK(it != callbacks_.end());
    std::function<void()> callback = std::move(it->second);
    callbacks_.erase(it);
    execute_(std::move(callback));
  }
  running_timer_ = false;
  RequeueEarliest();
}

runtime::TimerId NodeClock::RunAfter(absl::Duration delay,
                                     std::function<void()> callback) {
  const runtime::TimerId id = Arm(delay, nullptr, 0);
  callbacks_.emplace(id, std::move(callback));
  return id;
}

runtime::TimerId NodeClock::NotifyAfter(absl::Duration delay,
                                        runtime::TimerTarget* target,
                                        uint64_t arg) {
  SALUDO_CHECK(target != nullptr);
  return Arm(delay, target, arg);
}

bool NodeClock::Cancel(runtime::TimerId id) {
  Timer* timer = Find(id);
  if (timer == nullptr) return false;
  const bool earliest = timer->heap_index == 0;
  if (timer->target == nullptr) callbacks_.erase(id);
  Remove(SlotOf(id));
  if (earliest) EarliestChanged();
  return true;
}

void NodeClock::SetDriftPpb(int64_t drift_ppb) {
  SALUDO_CHECK(drift_ppb > -kBillion);
  anchor_local_ns_ = LocalNs();
  anchor_true_ns_ = sim_->now_ns();
  drift_ppb_ = drift_ppb;
  // Each pending timer moves to its new true time, in the order they were
  // set (their sequence numbers' order), taking a new sequence number as a
  // timer cancelled and set again would.
  std::vector<HeapEntry> pending;
  pending.reserve(heap_.size());
  for (size_t i = 0; i < heap_.size(); ++i) pending.push_back(heap_.at(i));
  std::sort(pending.begin(), pending.end(),
            [](const HeapEntry& a, const HeapEntry& b) {
              return a.sequence() < b.sequence();
            });
  heap_.Clear();
  for (const HeapEntry& e : pending) {
    const Timer& timer = timers_[e.slot()];
    heap_.Push(HeapEntry::Make(TrueNsForLocal(timer.target_local_ns),
                               sim_->TakeSequence(), e.slot()));
  }
  RequeueEarliest();
}

void NodeClock::ResetProcess() {
  while (!heap_.empty()) Remove(heap_.at(heap_.size() - 1).slot());
  RequeueEarliest();  // none is left: takes the simulator's event back
  callbacks_.clear();
  process_offset_ = absl::ZeroDuration();
  OffsetsChanged();
}

}  // namespace saludo::sim
