// What happened in a simulated run: every observable event folds into a 64-bit
// trace hash (the run's fingerprint), and optionally into an event log that a
// determinism check can diff.
#ifndef SALUDO_SIM_TRACE_H_
#define SALUDO_SIM_TRACE_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/check.h"

namespace saludo::sim {

enum class EventKind : uint8_t {
  kCallStart,         // a client-side call begins (node = caller)
  kRequestDelivered,  // the request reached the server (node = server)
  kRequestDropped,    // lost, partitioned, or the server was unreachable
  kRequestDuplicated,
  kRefused,         // the server's node is down: connection refused
  kReplySent,       // the handler answered (node = server)
  kReplyDelivered,  // the reply reached the caller
  kReplyDropped,
  kReset,      // the server crashed during the call
  kCallDone,   // the caller's completion ran (code = status)
  kConnect,    // a proxy opens a connection (SYN sent)
  kConnected,  // the SYN-ACK came back (node = proxy)
  kCancel,     // the caller gave up; the server side is told
  kAbandon,    // a proxy gave up on an attempt
  kCrash,
  kRestart,
  kPause,
  kResume,
  kFault,  // a scheduled fault was applied (detail says which)
  kClock,  // a clock fault (offset, drift, jump)
  kNote,   // free-form, from tests or tools
};

absl::string_view EventKindName(EventKind kind);

// The wide fields first: 80 bytes, not 88.
struct TraceEvent {
  int64_t time_ns = 0;  // true virtual time
  uint64_t sequence = 0;
  uint64_t call = 0;
  uint64_t payload = 0;  // e.g. a hash of the message bytes
  int32_t node = -1;
  int32_t peer = -1;
  int32_t code = 0;  // status code, where one applies
  EventKind kind = EventKind::kNote;
  std::string detail;  // kept only when logging
};

inline TraceEvent MakeEvent(EventKind kind, int32_t node, int32_t peer = -1,
                            uint64_t call = 0, int32_t code = 0,
                            uint64_t payload = 0) {
  TraceEvent e;
  e.kind = kind;
  e.node = node;
  e.peer = peer;
  e.call = call;
  e.code = code;
  e.payload = payload;
  return e;
}

// One line: "1.000250000s #12 call-done node=client peer=lb call=3 code=0".
std::string FormatEvent(const TraceEvent& event,
                        const std::vector<std::string>& node_names);

// The kept events, in order, in chunks of 4,096: appending never moves
// what is kept. (A vector copied every event each time it grew, and the
// page faults of each new copy were most of the time of a run that kept
// its log.)
class TraceLog {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TraceEvent;
    using difference_type = std::ptrdiff_t;
    using pointer = const TraceEvent*;
    using reference = const TraceEvent&;

    const_iterator(const TraceLog* log, size_t i) : log_(log), i_(i) {}
    const TraceEvent& operator*() const { return (*log_)[i_]; }
    const TraceEvent* operator->() const { return &(*log_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const TraceLog* log_;
    size_t i_;
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // REQUIRES: i < size().
  const TraceEvent& operator[](size_t i) const {
    return chunks_[i / kChunk][i % kChunk];
  }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void Append(TraceEvent event);
  // A copy, as one vector.
  std::vector<TraceEvent> ToVector() const;

 private:
  static constexpr size_t kChunk = 4096;
  std::vector<std::unique_ptr<TraceEvent[]>> chunks_;
  size_t size_ = 0;
};

// Folds one 64-bit word into a hash: xor, rotate left by 29, multiply by an
// odd constant (2^64 divided by the golden ratio). Each step is a bijection
// of the hash. A multiply only carries a difference upwards, and a
// difference in bit 63 alone passes through it unchanged, so without the
// rotation the same high bit flipped in any two words would cancel out.
inline uint64_t FoldWord(uint64_t hash, uint64_t word) {
  const uint64_t x = hash ^ word;
  return ((x << 29) | (x >> 35)) * 0x9e3779b97f4a7c15ULL;
}

class Trace {
 public:
  // `keep_log`: also keep every event (for diffs and the event log); the hash
  // is the same either way.
  explicit Trace(bool keep_log) : keep_log_(keep_log) {}

  // Folds the event's fields (all but the detail text) into the hash, and
  // keeps it if the log is kept.
  void Record(TraceEvent event);
  // What Record does to the hash, for an event given field by field (and not
  // kept in the log). REQUIRES: !keeps_log().
  void Fold(int64_t time_ns, uint64_t sequence, EventKind kind, int32_t node,
            int32_t peer, uint64_t call, int32_t code, uint64_t payload) {
    SALUDO_CHECK(!keep_log_);  // a kept log must have every event
    FoldFields(time_ns, sequence, kind, node, peer, call, code, payload);
  }

  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }
  const TraceLog& log() const { return log_; }
  bool keeps_log() const { return keep_log_; }

 private:
  // The event's fields as six 64-bit words (node and peer share one, the
  // kind and the code another; nothing is lost), each folded in by
  // FoldWord, then the high half xored into the low one. Every step is a
  // bijection of the hash, so no two histories that differ before an event
  // can agree after it because of it.
  void FoldFields(int64_t time_ns, uint64_t sequence, EventKind kind,
                  int32_t node, int32_t peer, uint64_t call, int32_t code,
                  uint64_t payload) {
    ++events_;
    const uint64_t nodes = uint64_t{static_cast<uint32_t>(node)} |
                           uint64_t{static_cast<uint32_t>(peer)} << 32;
    const uint64_t kind_and_code = uint64_t{static_cast<uint32_t>(code)} |
                                   uint64_t{static_cast<uint8_t>(kind)} << 32;
    uint64_t h = hash_;
    h = FoldWord(h, static_cast<uint64_t>(time_ns));
    h = FoldWord(h, sequence);
    h = FoldWord(h, nodes);
    h = FoldWord(h, kind_and_code);
    h = FoldWord(h, call);
    h = FoldWord(h, payload);
    hash_ = h ^ (h >> 32);
  }
  bool keep_log_;
  uint64_t hash_ = 0x243f6a8885a308d3ULL;
  uint64_t events_ = 0;
  TraceLog log_;
};

// A fixed, platform-independent 64-bit hash of bytes, for payloads: the
// length, then each eight bytes as a little-endian word, then the 0-7 left
// (zero-padded), each folded in by FoldWord, and the high half
// xored into the low one at the end.
uint64_t HashBytes(absl::string_view bytes);

// The index of the first event where the logs differ (by every field), or -1
// if they are identical.
int64_t FirstDivergence(const std::vector<TraceEvent>& a,
                        const std::vector<TraceEvent>& b);
int64_t FirstDivergence(const TraceLog& a, const TraceLog& b);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_TRACE_H_
