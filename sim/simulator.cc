#include "sim/simulator.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "runtime/check.h"
#include "runtime/sync.h"

namespace saludo::sim {

Simulator::Simulator(uint64_t seed, bool keep_log)
    : seed_(seed), trace_(keep_log) {}

int64_t Simulator::NsAfter(absl::Duration delay) const {
  if (delay < absl::ZeroDuration()) delay = absl::ZeroDuration();
  const int64_t delay_ns = absl::ToInt64Nanoseconds(delay);
  if (delay_ns >= INT64_MAX - now_ns_) {  // infinite or past the end of time
    return NsAt(now() + delay);
  }
  // now + delay in whole ns, as At would truncate it.
  return now_ns_ + delay_ns;
}

int64_t Simulator::NsAt(absl::Duration at) {
  SALUDO_CHECK(at != absl::InfiniteDuration());
  return absl::ToInt64Nanoseconds(at);
}

Simulator::Slot& Simulator::NewEvent(int64_t at_ns, uint64_t sequence,
                                     EventHandle* handle) {
  SALUDO_CHECK(at_ns >= now_ns_);
  SALUDO_CHECK(at_ns != INT64_MAX);  // ToInt64Nanoseconds(infinity)
  const uint32_t slot = TakeFreeSlot();
  Slot& s = SlotAt(slot);
  SALUDO_CHECK(!s.callback);
  const HeapEntry e = HeapEntry::Make(at_ns, sequence, slot);
  if (running_at_root_) {
    // The first event a running one schedules takes its entry's place: one
    // sift down instead of a removal and then a sift up.
    running_at_root_ = false;
    heap_.ReplaceRoot(e);  // which tells the slot its place
  } else {
    heap_.Push(e);  // which tells the slot its place
  }
  *handle = EventHandle{slot, states_[slot].generation};
  return s;
}

uint32_t Simulator::TakeNewSlot() {
  if (!chunks_given_back_.empty()) {
    const uint32_t chunk = chunks_given_back_.back();
    chunks_given_back_.pop_back();
    chunks_[chunk] = std::make_unique<Slot[]>(kSlotsPerChunk);
    const uint32_t first = chunk * kSlotsPerChunk;
    const uint32_t end = std::min(first + kSlotsPerChunk, slot_count_);
    for (uint32_t slot = end; slot > first; --slot) {
      free_slots_.push_back(slot - 1);  // the lowest is taken first
    }
    SlotsAdded();
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  const uint32_t slot = slot_count_++;
  if (slot % kSlotsPerChunk == 0) {
    chunks_.push_back(std::make_unique<Slot[]>(kSlotsPerChunk));
    SlotsAdded();
  }
  PushBackGrowingByAQuarter(states_, SlotState());
  return slot;
}

void Simulator::Trim() {
  std::vector<uint32_t> free_in_chunk(chunks_.size(), 0);
  for (uint32_t slot : free_slots_) ++free_in_chunk[slot / kSlotsPerChunk];
  for (uint32_t chunk = 0; chunk < chunks_.size(); ++chunk) {
    const uint32_t first = chunk * kSlotsPerChunk;
    const uint32_t slots = std::min(kSlotsPerChunk, slot_count_ - first);
    if (chunks_[chunk] != nullptr && free_in_chunk[chunk] == slots) {
      chunks_[chunk].reset();
      chunks_given_back_.push_back(chunk);
    }
  }
  // The free slots left, in their order.
  free_slots_.erase(std::remove_if(free_slots_.begin(), free_slots_.end(),
                                   [this](uint32_t slot) {
                                     return chunks_[slot / kSlotsPerChunk] ==
                                            nullptr;
                                   }),
                    free_slots_.end());
  free_slots_.shrink_to_fit();
  heap_.ShrinkToFit();
  // Again when the pending events have halved (if many slots are still
  // held: a chunk is given back only when all its events are over).
  trim_below_pending_ =
      event_slots_held() >= kTrimSlotsMin ? heap_.size() / 2 : 0;
}

bool Simulator::Cancel(EventHandle handle) {
  Slot* s = Unqueue(handle);
  if (s == nullptr) return false;
  Free(*s, handle.slot);  // the callback is destroyed where it is
  return true;
}

EventHandle Simulator::Reschedule(EventHandle handle, int64_t at_ns) {
  Slot* s = Unqueue(handle);
  SALUDO_CHECK(s != nullptr);                  // it was pending
  Callback callback = std::move(s->callback);
  Free(*s, handle.slot);
  return AtNs(at_ns, std::move(callback));
}

Simulator::Slot* Simulator::Unqueue(EventHandle handle) {
  if (handle.slot >= slot_count_) return nullptr;
  // A running event's generation was bumped when it started, and a
  // cancelled one's when it was cancelled: what matches is pending (and its
  // chunk is held).
  SlotState& state = states_[handle.slot];
  if (state.generation != handle.generation) return nullptr;
  Slot& s = SlotAt(handle.slot);
  if (!s.callback) return nullptr;
  SALUDO_CHECK(state.heap_index < heap_.size() &&
               heap_.at(state.heap_index).slot() == handle.slot);
  heap_.RemoveAt(state.heap_index);
  ++state.generation;
  return &s;
}

uint64_t Simulator::RunUntil(absl::Duration until) {
  // The world is this thread's alone while it runs: its locks are skipped.
  const runtime::SoleThreadScope sole_thread;
  SALUDO_CHECK(!running_at_root_);  // not called from a running event
  const int64_t until_ns = until == absl::InfiniteDuration()
                               ? INT64_MAX
                               : absl::ToInt64Nanoseconds(until);
  uint64_t ran = 0;
  while (!heap_.empty() && heap_.front().time_ns <= until_ns &&
         (holds_ > 0 || heap_.size() > wake_ups_pending_)) {
    const HeapEntry entry = heap_.front();
    Slot& s = SlotAt(entry.slot());
    SALUDO_CHECK(s.callback);  // the heap holds pending events only
    // Its handle is spent: Cancel refuses it from now on.
    ++states_[entry.slot()].generation;
    SALUDO_CHECK(entry.time_ns >= now_ns_);
    now_ns_ = entry.time_ns;
    // Its entry stays at the root while it runs, for the first event it
    // schedules to take over (every pending event runs after it, so none
    // sifts above it meanwhile); if it schedules none, it leaves after.
    running_at_root_ = true;
    // It runs where it is (chunks never move, and the slot is not free
    // until it returns), then its closure is destroyed.
    s.callback();
    if (running_at_root_) {
      running_at_root_ = false;
      heap_.RemoveAt(0);
    }
    Free(s, entry.slot());
    ++ran;
  }
  if (until_ns != INT64_MAX && until_ns > now_ns_) now_ns_ = until_ns;
  return ran;
}

void Simulator::Record(TraceEvent event) {
  event.time_ns = now_ns_;
  event.sequence = next_trace_sequence_++;
  trace_.Record(std::move(event));
}

}  // namespace saludo::sim
