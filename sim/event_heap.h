// The heap the simulator's events and a node clock's timers wait in: entries
// ordered by (time, sequence number), each naming a slot whose owner is told
// where the entry moves, so that a pending entry can be taken out at once.
#ifndef SALUDO_SIM_EVENT_HEAP_H_
#define SALUDO_SIM_EVENT_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/check.h"

namespace saludo::sim {

// v.push_back(x), but a full `v` grows by a quarter, not doubled: at most
// a fifth of it lies unused (copying it more often costs only while it
// grows).
template <typename T>
void PushBackGrowingByAQuarter(std::vector<T>& v, const T& x) {
  if (v.size() == v.capacity()) v.reserve(v.size() + v.size() / 4 + 16);
  v.push_back(x);
}

// An entry keeps its slot in the low bits of the word whose high bits are
// its sequence number: 16 bytes, not 24, and the order the same (sequence
// numbers are unique). The limits: 2^25 (33.5 million) slots, 2^39 (550
// billion) sequence numbers.
struct HeapEntry {
  static constexpr int kSlotBits = 25;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;

  // REQUIRES: slot <= kSlotMask, sequence < 2^39.
  static HeapEntry Make(int64_t time_ns, uint64_t sequence, uint32_t slot) {
    SALUDO_CHECK(slot <= kSlotMask);
    SALUDO_CHECK(sequence < (uint64_t{1} << (64 - kSlotBits)));
    return HeapEntry{time_ns, sequence << kSlotBits | slot};
  }

  int64_t time_ns;
  uint64_t order;  // sequence << kSlotBits | slot

  uint32_t slot() const { return static_cast<uint32_t>(order & kSlotMask); }
  uint64_t sequence() const { return order >> kSlotBits; }
  // The order entries come out in: (time, sequence), a total order.
  bool RunsBefore(const HeapEntry& o) const {
    return time_ns != o.time_ns ? time_ns < o.time_ns : order < o.order;
  }
};

// A binary min-heap of HeapEntry. `Moved` is called as moved(slot, index)
// each time an entry is put at an index, so its owner always knows where
// each slot's entry is (what RemoveAt needs).
template <typename Moved>
class EventHeap {
 public:
  explicit EventHeap(Moved moved) : moved_(moved) {}

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // REQUIRES: i < size().
  const HeapEntry& at(size_t i) const { return entries_[i]; }
  // The earliest entry. REQUIRES: !empty().
  const HeapEntry& front() const { return entries_.front(); }

  void Push(const HeapEntry& e) {
    PushBackGrowingByAQuarter(entries_, e);
    SiftUp(entries_.size() - 1);
  }
  // Puts `e` in the root's place (the root leaves): one sift down, not a
  // removal and then a sift up. REQUIRES: !empty().
  void ReplaceRoot(const HeapEntry& e) {
    SALUDO_CHECK(!entries_.empty());
    entries_[0] = e;
    SiftDown(0);
  }
  // Takes entries_[i] out. REQUIRES: i < size().
  void RemoveAt(size_t i) {
    SALUDO_CHECK(i < entries_.size());
    const HeapEntry last = entries_.back();
    entries_.pop_back();
    if (i == entries_.size()) return;  // it was the last
    const bool up = i > 0 && last.RunsBefore(entries_[(i - 1) / 2]);
    entries_[i] = last;
    if (up) {
      SiftUp(i);
    } else {
      SiftDown(i);
    }
  }
  // Empties the heap, keeping its memory.
  void Clear() { entries_.clear(); }
  // Gives back the room of entries that left, if it is most of it.
  void ShrinkToFit() {
    if (entries_.size() < entries_.capacity() / 4) entries_.shrink_to_fit();
  }

 private:
  void Place(size_t i, const HeapEntry& e) {
    entries_[i] = e;
    moved_(e.slot(), static_cast<uint32_t>(i));
  }
  void SiftUp(size_t i) {
    const HeapEntry e = entries_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!e.RunsBefore(entries_[parent])) break;
      Place(i, entries_[parent]);
      i = parent;
    }
    Place(i, e);
  }
  void SiftDown(size_t i) {
    const HeapEntry e = entries_[i];
    const size_t n = entries_.size();
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && entries_[child + 1].RunsBefore(entries_[child])) {
        ++child;
      }
      if (!entries_[child].RunsBefore(e)) break;
      Place(i, entries_[child]);
      i = child;
    }
    Place(i, e);
  }

  std::vector<HeapEntry> entries_;
  Moved moved_;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_EVENT_HEAP_H_
