// A simulated node's clocks and timers, derived from true virtual time.
//
// Each node has an oscillator that may drift: its local time L advances at
// (1 + drift_ppb / 1e9) times true time. Monotonic() is L; Now() is
// wall_epoch + L + hardware offset (clock faults: fixed offset, step jumps) +
// process offset (SetWallOffset, e.g. --clock_offset). Timers are requested
// in local durations and fire at the true time when L reaches their target,
// so a fast clock fires early in true time, exactly as on a real machine.
#ifndef SALUDO_SIM_NODE_CLOCK_H_
#define SALUDO_SIM_NODE_CLOCK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/timers.h"
#include "sim/event_heap.h"
#include "sim/simulator.h"

namespace saludo::sim {

class NodeClock final : public runtime::Clock, public runtime::Timers {
 public:
  // Runs a due timer's callback "on the node" (the node defers it while
  // paused).
  using Executor = std::function<void(std::function<void()>)>;

  // REQUIRES: `sim` outlives this object.
  NodeClock(Simulator* sim, absl::Time wall_epoch, Executor execute);
  // Takes back its wake-up; its pending timers never run.
  ~NodeClock() override;
  NodeClock(const NodeClock&) = delete;
  NodeClock& operator=(const NodeClock&) = delete;

  // runtime::Clock
  absl::Time Now() override;
  // absl::ToUnixSeconds(Now()) (whole seconds, rounded down), without
  // building an absl::Time when the sum is whole nanoseconds.
  int64_t NowUnixSeconds();
  absl::Duration Monotonic() override;
  void SetWallOffset(absl::Duration offset) override;
  absl::Duration WallOffset() override { return process_offset_; }

  // runtime::Timers (durations on this node's clock)
  runtime::TimerId RunAfter(absl::Duration delay,
                            std::function<void()> callback) override;
  // The same without a std::function: the timer's record holds the target
  // and arg.
  runtime::TimerId NotifyAfter(absl::Duration delay,
                               runtime::TimerTarget* target,
                               uint64_t arg) override;
  bool Cancel(runtime::TimerId id) override;

  // Clock faults: they belong to the machine and survive restarts.
  void SetHardwareOffset(absl::Duration offset) {
    hardware_offset_ = offset;
    OffsetsChanged();
  }
  absl::Duration hardware_offset() const { return hardware_offset_; }
  void Jump(absl::Duration delta) {
    hardware_offset_ += delta;
    OffsetsChanged();
  }
  // From now on the oscillator runs fast (ppb > 0) or slow; pending timers
  // are rescheduled to fire when local time reaches their targets.
  // REQUIRES: drift_ppb > -1e9.
  void SetDriftPpb(int64_t drift_ppb) override;
  int64_t drift_ppb() const { return drift_ppb_; }

  // A crash: every pending timer is dropped and the process offset resets.
  void ResetProcess();

  size_t pending_timers() const { return heap_.size(); }

 private:
  // A pending timer. Only the earliest waits in the simulator (as one event
  // with that timer's time and sequence number, so it runs exactly where
  // its own event would have); the others wait in this clock's heap. A timer
  // costs its 32 bytes here and a 16-byte heap entry, not a 64-byte event
  // slot, its state and heap entry, and a record of where that event is.
  struct Timer {
    int64_t target_local_ns = 0;             // a drift change needs it
    runtime::TimerTarget* target = nullptr;  // null: in callbacks_
    uint64_t arg = 0;
    uint32_t generation = 1;  // the id's high bits; never 0
    uint32_t heap_index = 0;
  };
  // Tells a timer where its heap entry now is.
  struct TellTimer {
    std::vector<Timer>* timers;
    void operator()(uint32_t slot, uint32_t index) const {
      (*timers)[slot].heap_index = index;
    }
  };
  // A timer's id is its slot and that slot's generation, which changes
  // when the timer ends: an id names one timer only.
  static runtime::TimerId IdOf(uint32_t slot, uint32_t generation) {
    return uint64_t{generation} << 32 | slot;
  }
  static uint32_t SlotOf(runtime::TimerId id) {
    return static_cast<uint32_t>(id & 0xffffffffu);
  }
  // Sets a timer `delay` from now that runs target->OnTimer(arg), or (a
  // null target) its callback in callbacks_; returns its id.
  runtime::TimerId Arm(absl::Duration delay, runtime::TimerTarget* target,
                       uint64_t arg);
  // The pending timer `id` names, or nullptr.
  Timer* Find(runtime::TimerId id);
  // Takes a pending timer's entry out of the heap and frees its slot.
  void Remove(uint32_t slot);
  // Queues the heap's earliest timer (if any) in the simulator, in place
  // of the one queued there (if any).
  void RequeueEarliest();
  // After the earliest timer changed: requeues it unless the queued wake-up
  // still comes first (see wake_).
  void EarliestChanged();
  // The queued wake-up is due: the earliest timer ends and its work runs on
  // the node, if the wake-up was for it; otherwise one is queued for it.
  void RunEarliest();
  int64_t LocalNs() const;  // L(now)
  // The wall clock in Unix ns, if the epoch and the offsets are whole ns
  // and the sum fits in int64 (Now()'s fast path, without absl's
  // out-of-line additions); false otherwise.
  bool UnixNs(int64_t* unix_ns) const {
    return offset_exact_ && epoch_exact_ &&
           !__builtin_add_overflow(epoch_unix_ns_, LocalNs() + offset_ns_,
                                   unix_ns);
  }
  // Keeps offset_ns_ the two offsets' sum when that is whole nanoseconds.
  void OffsetsChanged();
  // The earliest true time (ns) at which L >= target.
  int64_t TrueNsForLocal(int64_t target_local_ns) const;

  Simulator* const sim_;
  const absl::Time wall_epoch_;
  // Now()'s fast path: the epoch in Unix ns, if it is exactly that.
  const int64_t epoch_unix_ns_;
  const bool epoch_exact_;
  const Executor execute_;
  int64_t drift_ppb_ = 0;
  int64_t anchor_true_ns_ = 0;
  int64_t anchor_local_ns_ = 0;
  absl::Duration hardware_offset_ = absl::ZeroDuration();
  absl::Duration process_offset_ = absl::ZeroDuration();
  // Now()'s fast path (one absl addition, not three: they are calls into
  // the library): hardware + process offset in ns, if exactly that.
  int64_t offset_ns_ = 0;
  bool offset_exact_ = true;
  // Pending timers by slot (a freed slot's record stays, for reuse), and
  // their entries, earliest first.
  std::vector<Timer> timers_;
  std::vector<uint32_t> free_timers_;
  EventHeap<TellTimer> heap_{TellTimer{&timers_}};
  // The simulator's wake-up event (Simulator::WakeUpAtNsInOrder), queued
  // while the heap is not empty (and not while its timer runs) and maybe
  // after, at the (time, sequence) in wake_. It never comes after
  // heap_.front(), but it may come before: when the earliest timer is
  // cancelled, the wake-up stays where it was, and when it comes it finds
  // that it is early and queues one for the earliest timer then, if any.
  // A run of calls (each setting a deadline and cancelling it, the
  // earliest, as it ends) then costs the simulator one event a deadline
  // period, not a cancel and an event each. Timers still run at their own
  // (time, sequence): the order and the trace are the same. While the heap
  // is not empty, the clock holds the simulation open (Simulator::Hold):
  // an early wake-up alone would not.
  EventHandle earliest_event_;
  bool earliest_queued_ = false;
  HeapEntry wake_{0, 0};
  // True while RunEarliest runs a timer: what it sets or cancels queues no
  // wake-up; RunEarliest queues one for the earliest timer afterwards.
  bool running_timer_ = false;
  // RunAfter's callbacks, by timer id (the simulator's own timers use
  // NotifyAfter: a callback is rare).
  std::map<runtime::TimerId, std::function<void()>> callbacks_;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_NODE_CLOCK_H_
