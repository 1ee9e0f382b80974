// Objects keyed by a 64-bit id, as a std::map<uint64_t, T> would hold them,
// for per-call state whose ids come from a counter (the simulator's calls in
// flight and timers, a service's held calls): a lookup is an array index
// (the ids from the oldest one in the table up are a window of slot
// numbers), an object keeps its address while it is in the table, and an
// erased object's slot is reused, so a steady load allocates nothing per
// call. Not thread-safe: its owner locks.
#ifndef SALUDO_RUNTIME_SLOT_TABLE_H_
#define SALUDO_RUNTIME_SLOT_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "runtime/check.h"

namespace saludo::runtime {

// REQUIRES: constructing a default T does not throw.
template <typename T>
class SlotTable {
 public:
  // Adds a default-constructed T under `id` and returns it.
  // REQUIRES: `id` is larger than every id inserted before.
  T& Insert(uint64_t id) {
    SALUDO_CHECK(id >= next_id_);
    next_id_ = id + 1;
    if (window_.empty()) base_ = id;
    if (id - base_ >= window_.size() + kMaxHoles) Retire(window_.size());
    if (window_.empty()) base_ = id;
    window_.resize(id - base_, kNone);
    window_.push_back(NewSlot());
    ++in_window_;
    // Mostly holes (an old object stays while many newer come and go):
    // the oldest move out of the window, which stays O(objects) long.
    if (window_.size() > kMaxHoles && window_.size() > 2 * in_window_) {
      Retire(window_.size() - 2 * in_window_);
    }
    return ObjectAt(window_.back());
  }

  // The object under `id`, or nullptr if there is none.
  ABSL_ATTRIBUTE_ALWAYS_INLINE T* Find(uint64_t id) {
    const uint32_t slot = SlotOf(id);
    return slot == kNone ? nullptr : &ObjectAt(slot);
  }

  // REQUIRES: `id` is in the table.
  T& At(uint64_t id) {
    T* t = Find(id);
    SALUDO_CHECK(t != nullptr);
    return *t;
  }

  // Removes `id` and destroys what its object held (the slot is reset to a
  // default T and reused by a later Insert). REQUIRES: `id` is in the table.
  void Erase(uint64_t id) {
    uint32_t slot;
    if (id >= base_) {
      SALUDO_CHECK(id - base_ < window_.size());
      slot = std::exchange(window_[id - base_], kNone);
      SALUDO_CHECK(slot != kNone);
      --in_window_;
      while (!window_.empty() && window_.front() == kNone) {
        window_.pop_front();
        ++base_;
      }
    } else {
      auto it = retired_.find(id);
      SALUDO_CHECK(it != retired_.end());
      slot = it->second;
      retired_.erase(it);
    }
    // Out of the index first: whatever the old object's members run as they
    // are destroyed may use the table, but not this slot.
    T* object = &ObjectAt(slot);
    object->~T();
    new (object) T();  // cheaper than assigning a T(): no temporary, no moves
    free_.push_back(slot);
  }

  size_t size() const { return in_window_ + retired_.size(); }

  // Every id in the table, ascending (the order a std::map iterates in).
  std::vector<uint64_t> Ids() const {
    std::vector<uint64_t> ids;
    ids.reserve(size());
    for (const auto& [id, slot] : retired_) ids.push_back(id);
    for (size_t i = 0; i < window_.size(); ++i) {
      if (window_[i] != kNone) ids.push_back(base_ + i);
    }
    return ids;
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // How many holes the window may hold before its oldest ids move out.
  static constexpr uint64_t kMaxHoles = uint64_t{1} << 16;

  // A double-ended queue of slot numbers in one power-of-two array: an index
  // is a mask, not std::deque's block arithmetic (this is on every lookup).
  class Ring {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    uint32_t& operator[](size_t i) { return items_[(head_ + i) & mask()]; }
    uint32_t operator[](size_t i) const { return items_[(head_ + i) & mask()]; }
    uint32_t& front() { return (*this)[0]; }
    uint32_t& back() { return (*this)[size_ - 1]; }
    void pop_front() {
      head_ = (head_ + 1) & mask();
      --size_;
    }
    void push_back(uint32_t v) {
      if (size_ == mask_ + 1) Grow();
      ++size_;
      back() = v;
    }
    void resize(size_t n, uint32_t v) {
      while (size_ < n) push_back(v);
    }

   private:
    size_t mask() const { return mask_; }
    void Grow() {
      const size_t capacity = std::max<size_t>(16, 2 * (mask_ + 1));
      std::unique_ptr<uint32_t[]> items(new uint32_t[capacity]);
      for (size_t i = 0; i < size_; ++i) items[i] = (*this)[i];
      items_ = std::move(items);
      mask_ = capacity - 1;
      head_ = 0;
    }
    // mask_ + 1 entries (none, or a power of two): the mask is kept, not
    // worked out from a size on every index.
    std::unique_ptr<uint32_t[]> items_;
    size_t mask_ = static_cast<size_t>(-1);
    size_t head_ = 0;
    size_t size_ = 0;
  };

  uint32_t SlotOf(uint64_t id) const {
    if (id >= base_) {
      const uint64_t i = id - base_;
      return i < window_.size() ? window_[i] : kNone;
    }
    auto it = retired_.find(id);
    return it == retired_.end() ? kNone : it->second;
  }

  uint32_t NewSlot() {
    if (free_.empty()) {
      SALUDO_CHECK(slot_count_ < kNone);
      if (slot_count_ % kPerChunk == 0) {
        chunks_.push_back(std::make_unique<T[]>(kPerChunk));
      }
      return slot_count_++;
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }

  T& ObjectAt(uint32_t slot) {
    return chunks_[slot / kPerChunk][slot % kPerChunk];
  }

  // Moves the window's first `count` ids out to `retired_`.
  void Retire(size_t count) {
    for (size_t i = 0; i < count && !window_.empty(); ++i) {
      if (window_.front() != kNone) {
        retired_.emplace(base_, window_.front());
        --in_window_;
      }
      window_.pop_front();
      ++base_;
    }
    while (!window_.empty() && window_.front() == kNone) {
      window_.pop_front();
      ++base_;
    }
  }

  // Objects in fixed chunks, allocated once: an object keeps its address
  // and costs no allocation of its own. Slot s is object s % kPerChunk of
  // chunk s / kPerChunk (a shift and a mask: a table of object pointers
  // saved those two instructions a lookup but cost 8 to 16 bytes an object).
  static constexpr uint32_t kPerChunk = 64;
  std::vector<std::unique_ptr<T[]>> chunks_;
  uint32_t slot_count_ = 0;  // slots made so far
  std::vector<uint32_t> free_;
  // window_[i]: the slot of id base_ + i, or kNone. Its first entry, if any,
  // is an object's.
  Ring window_;
  uint64_t base_ = 0;
  size_t in_window_ = 0;  // entries of window_ that are not kNone
  // Ids older than the window's (few: see Insert), ascending.
  std::map<uint64_t, uint32_t> retired_;
  uint64_t next_id_ = 0;
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_SLOT_TABLE_H_
