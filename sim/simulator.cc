#include "sim/simulator.h"

#include <utility>

#include "runtime/check.h"

namespace saludo::sim {

Simulator::Simulator(uint64_t seed, bool keep_log)
    : seed_(seed), trace_(keep_log) {}

EventHandle Simulator::After(absl::Duration delay, Callback callback) {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  return At(now() + delay, std::move(callback));
}

EventHandle Simulator::At(absl::Duration at, Callback callback) {
  SALUDO_CHECK(at >= now());
  SALUDO_CHECK(at != absl::InfiniteDuration());
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.callback = std::move(callback);
  s.live = true;
  queue_.push(Entry{absl::ToInt64Nanoseconds(at), next_sequence_++, slot,
                    s.generation});
  ++pending_;
  return EventHandle{slot, s.generation};
}

bool Simulator::Cancel(EventHandle handle) {
  if (handle.slot >= slots_.size()) return false;
  Slot& s = slots_[handle.slot];
  if (!s.live || s.generation != handle.generation) return false;
  s.live = false;
  s.callback = nullptr;
  // The queue entry stays; it is skipped (and the slot freed) when popped.
  --pending_;
  return true;
}

uint64_t Simulator::RunUntil(absl::Duration until) {
  const int64_t until_ns = until == absl::InfiniteDuration()
                               ? INT64_MAX
                               : absl::ToInt64Nanoseconds(until);
  uint64_t ran = 0;
  while (!queue_.empty() && queue_.top().time_ns <= until_ns) {
    const Entry entry = queue_.top();
    queue_.pop();
    Slot& s = slots_[entry.slot];
    if (s.generation != entry.generation) continue;  // stale
    const bool live = s.live;
    Callback callback = std::move(s.callback);
    s.callback = nullptr;
    s.live = false;
    ++s.generation;
    free_slots_.push_back(entry.slot);
    if (!live) continue;  // cancelled
    --pending_;
    SALUDO_CHECK(entry.time_ns >= now_ns_);
    now_ns_ = entry.time_ns;
    callback();
    ++ran;
  }
  if (until_ns != INT64_MAX && until_ns > now_ns_) now_ns_ = until_ns;
  return ran;
}

void Simulator::Record(TraceEvent event) {
  event.time_ns = now_ns_;
  event.sequence = next_trace_sequence_++;
  trace_.Record(event);
}

}  // namespace saludo::sim
