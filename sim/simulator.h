// The discrete-event core: one thread, integer-nanosecond virtual time, and an
// event queue ordered by (time, sequence number), so equal-time events run in
// the order they were scheduled, on every run and machine.
#ifndef SALUDO_SIM_SIMULATOR_H_
#define SALUDO_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/check.h"
#include "runtime/random.h"
#include "sim/callback.h"
#include "sim/event_heap.h"
#include "sim/trace.h"

namespace saludo::sim {

struct EventHandle {
  uint32_t slot = 0;
  uint32_t generation = 0;
};

class Simulator {
 public:
  // `seed` is the master seed: every random stream derives from it.
  Simulator(uint64_t seed, bool keep_log);

  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // True virtual time since the start of the run.
  absl::Duration now() const { return absl::Nanoseconds(now_ns_); }
  int64_t now_ns() const { return now_ns_; }
  uint64_t seed() const { return seed_; }

  // Runs `callback` at now() + delay (a negative delay counts as zero).
  // `callback` is anything a Callback is made from; a closure is built in
  // its event's slot (these are templates so that it is not moved there).
  template <typename F>
  EventHandle After(absl::Duration delay, F&& callback) {
    return AtNs(NsAfter(delay), std::forward<F>(callback));
  }
  // The same with a whole-ns delay (the network's latencies are drawn in ns:
  // no absl conversion). REQUIRES: delay_ns >= 0.
  template <typename F>
  EventHandle AfterNs(int64_t delay_ns, F&& callback) {
    return AtNs(NsAfterNs(delay_ns), std::forward<F>(callback));
  }
  // Runs `callback` at `at`. REQUIRES: at >= now().
  template <typename F>
  EventHandle At(absl::Duration at, F&& callback) {
    return AtNs(NsAt(at), std::forward<F>(callback));
  }
  // As At, with `at_ns` in whole nanoseconds of true time (no conversion
  // from absl::Duration, which is a library call). REQUIRES: at_ns >= now_ns().
  template <typename F>
  EventHandle AtNs(int64_t at_ns, F&& callback) {
    return Queue(at_ns, next_sequence_++, std::forward<F>(callback));
  }

  // Takes the next sequence number for an event to be queued later with
  // AtNsInOrder (or WakeUpAtNsInOrder): it will run among the events of its
  // time as if it had been scheduled now. (A node clock keeps its timers,
  // each with its number, in its own heap, and queues a wake-up here.)
  uint64_t TakeSequence() { return next_sequence_++; }
  // As AtNs, in the place of `sequence` among events of the same time.
  // REQUIRES: `sequence` came from TakeSequence and no pending event has it;
  // at_ns >= now_ns().
  template <typename F>
  EventHandle AtNsInOrder(int64_t at_ns, uint64_t sequence, F&& callback) {
    SALUDO_CHECK(sequence < next_sequence_);
    return Queue(at_ns, sequence, std::forward<F>(callback));
  }

  // Wake-ups are events that do not keep the simulation going by
  // themselves: RunUntil stops, as if no event were left, once every
  // pending event is a wake-up and nothing holds the simulation open. A
  // node clock's wake-up may come before any timer is due (NodeClock).
  // As AtNsInOrder, for a wake-up. Cancel it with CancelWakeUp only (and
  // never Reschedule it).
  template <typename F>
  EventHandle WakeUpAtNsInOrder(int64_t at_ns, uint64_t sequence,
                                F&& callback) {
    SALUDO_CHECK(sequence < next_sequence_);
    ++wake_ups_pending_;
    return Queue(at_ns, sequence,
                 [this, callback = std::forward<F>(callback)]() mutable {
                   --wake_ups_pending_;
                   callback();
                 });
  }
  // Cancels a pending wake-up; false if it already ran or was cancelled.
  // REQUIRES: `handle` came from WakeUpAtNsInOrder.
  bool CancelWakeUp(EventHandle handle) {
    if (!Cancel(handle)) return false;
    --wake_ups_pending_;
    return true;
  }
  // While the simulation is held open (more Hold than Release calls),
  // RunUntil goes on through wake-ups: something is pending that only a
  // wake-up will reach (a node clock's timers).
  void Hold() { ++holds_; }
  // REQUIRES: a Hold not yet released.
  void Release() {
    SALUDO_CHECK(holds_ > 0);
    --holds_;
  }

  // Cancels a pending event; false if it already ran or was cancelled.
  bool Cancel(EventHandle handle);
  // Moves a pending event to `at_ns` and returns its new handle: the same as
  // Cancel and then AtNs with its callback (it runs after the events already
  // set for that time), without the caller keeping a copy of the callback.
  // REQUIRES: `handle` is pending, at_ns >= now_ns().
  EventHandle Reschedule(EventHandle handle, int64_t at_ns);

  // Runs events in (time, sequence) order until none is left (but
  // wake-ups, with nothing held open) or the next is later than `until`;
  // then, if `until` is finite, time advances to it.
  // Returns the number of events run.
  uint64_t RunUntil(absl::Duration until);
  uint64_t RunAll() { return RunUntil(absl::InfiniteDuration()); }

  // A random stream for a named component (see runtime::Random::ForComponent).
  runtime::Random RandomFor(absl::string_view component) const {
    return runtime::Random::ForComponent(seed_, component);
  }

  Trace& trace() { return trace_; }
  const Trace& trace() const { return trace_; }
  // Records an event stamped with now() and the next trace sequence number.
  void Record(TraceEvent event);
  // The same for MakeEvent(kind, node, peer, call, code, payload), without
  // building a TraceEvent unless the log is kept (the hash is the same).
  void Record(EventKind kind, int32_t node, int32_t peer = -1,
              uint64_t call = 0, int32_t code = 0, uint64_t payload = 0) {
    if (trace_.keeps_log()) {
      Record(MakeEvent(kind, node, peer, call, code, payload));
      return;
    }
    trace_.Fold(now_ns_, next_trace_sequence_++, kind, node, peer, call, code,
                payload);
  }
  // The same with the event's detail line (not hashed), which
  // `make_detail()` builds only if the log is kept.
  template <typename DetailFn>
  void RecordWithDetail(EventKind kind, int32_t node, int32_t peer,
                        uint64_t call, int32_t code, uint64_t payload,
                        DetailFn make_detail) {
    if (!trace_.keeps_log()) {
      Record(kind, node, peer, call, code, payload);
      return;
    }
    TraceEvent e = MakeEvent(kind, node, peer, call, code, payload);
    e.detail = make_detail();
    Record(std::move(e));
  }

  // Names of nodes, for formatting the trace (index = node id).
  std::vector<std::string>& node_names() { return node_names_; }

  // Events pending, not counting wake-ups.
  uint64_t pending_events() const {
    return heap_.size() - (running_at_root_ ? 1 : 0) - wake_ups_pending_;
  }
  // Event slots whose memory is held (64 bytes each): at least the pending
  // events; after a burst of events has run, close to them again.
  size_t event_slots_held() const {
    return slot_count_ - chunks_given_back_.size() * kSlotsPerChunk;
  }

 private:
  // A slot is live while it holds a callback (AtNs refuses an empty one); a
  // live slot is pending (in the heap, at its state's heap_index) or
  // running.
  struct Slot {
    Callback callback;
  };
  // What the heap and handles need of a slot, apart from its callback in a
  // dense array: a sift writes where each entry it moves now is, and that
  // is one store into this array, not into a 64-byte slot in a chunk.
  struct SlotState {
    uint32_t generation = 0;
    uint32_t heap_index = 0;
  };

  uint64_t seed_;
  int64_t now_ns_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t next_trace_sequence_ = 0;
  // Tells a slot where its heap entry now is: a sift's one store into a
  // dense array per entry it moves.
  struct TellSlot {
    std::vector<SlotState>* states;
    void operator()(uint32_t slot, uint32_t index) const {
      (*states)[slot].heap_index = index;
    }
  };
  // The pending events, earliest first, only pending ones (each slot knows
  // its place, so Cancel takes its entry out at once). A heap that kept
  // cancelled entries until they were popped was several times deeper than
  // the live events: every call sets a deadline and cancels it.
  EventHeap<TellSlot> heap_{TellSlot{&states_}};
  // While an event runs, the heap's root is still its entry, until the
  // first event it schedules is put there (see RunUntil).
  bool running_at_root_ = false;
  // Wake-ups queued and not yet run or cancelled; Hold calls not released.
  uint64_t wake_ups_pending_ = 0;
  uint64_t holds_ = 0;
  // The true time `delay` from now, and `at`, in ns (INT64_MAX, which AtNs
  // refuses, if past the end of time).
  int64_t NsAfter(absl::Duration delay) const;
  int64_t NsAfterNs(int64_t delay_ns) const {
    SALUDO_CHECK(delay_ns >= 0);
    // Past the end of time: NsAfter's answer for the same delay.
    if (delay_ns >= INT64_MAX - now_ns_) {
      return NsAfter(absl::Nanoseconds(delay_ns));
    }
    return now_ns_ + delay_ns;
  }
  static int64_t NsAt(absl::Duration at);
  // Queues an event at (`at_ns`, `sequence`) in a free slot for the caller
  // to fill.
  Slot& NewEvent(int64_t at_ns, uint64_t sequence, EventHandle* handle);
  // NewEvent, with `callback` built in its slot: AtNs and AtNsInOrder.
  template <typename F>
  EventHandle Queue(int64_t at_ns, uint64_t sequence, F&& callback) {
    EventHandle handle;
    Slot& s = NewEvent(at_ns, sequence, &handle);
    if constexpr (std::is_same_v<std::decay_t<F>, Callback>) {
      static_assert(!std::is_lvalue_reference_v<F>, "std::move a Callback");
      s.callback = std::move(callback);
    } else {
      s.callback.Emplace(std::forward<F>(callback));
    }
    SALUDO_CHECK(s.callback);  // an empty slot is a free one
    return handle;
  }
  // Takes a pending event out of the heap and returns its slot, for the
  // caller to Free; nullptr if `handle` is not pending.
  Slot* Unqueue(EventHandle handle);
  // Destroys the callback (if it still has one) of `s`, slot number `slot`,
  // and frees the slot.
  void Free(Slot& s, uint32_t slot) {
    s.callback = nullptr;
    free_slots_.push_back(slot);
    if (heap_.size() < trim_below_pending_) Trim();
  }
  // A free slot for a new event: a free one, else one in a chunk given
  // back before (it comes back), else a new one.
  uint32_t TakeFreeSlot() {
    if (free_slots_.empty()) return TakeNewSlot();
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  // TakeFreeSlot when no slot is free.
  uint32_t TakeNewSlot();
  // After a burst, gives back the chunks whose slots are all free, and the
  // heap's unused room. Runs when the pending events fall below a quarter
  // of the slots held (of 1,024 or more), then each time they halve again:
  // its cost, linear in the chunks and free slots, is spread over the
  // events that ran meanwhile.
  void Trim();
  // Where trim_below_pending_ goes when slots were added.
  void SlotsAdded() {
    const size_t held = event_slots_held();
    trim_below_pending_ = held >= kTrimSlotsMin ? held / 4 : 0;
  }
  // Event slots in fixed-size chunks: adding one never moves the others
  // (no callbacks moved on growth, no doubling slack: a slot costs its own
  // 64 bytes whether 10 or 100,000 events are pending), and their states
  // by slot number (8 bytes each, grown by a quarter; kept when a chunk is
  // given back, as handles to its old events check them).
  static constexpr uint32_t kSlotsPerChunk = 256;
  static constexpr size_t kTrimSlotsMin = 1024;
  Slot& SlotAt(uint32_t slot) {
    return chunks_[slot / kSlotsPerChunk][slot % kSlotsPerChunk];
  }
  std::vector<std::unique_ptr<Slot[]>> chunks_;  // null: given back
  std::vector<SlotState> states_;
  uint32_t slot_count_ = 0;
  // Free slots in chunks that are held (TakeFreeSlot takes the last).
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> chunks_given_back_;
  size_t trim_below_pending_ = 0;  // 0: no trim due
  Trace trace_;
  std::vector<std::string> node_names_;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_SIMULATOR_H_
