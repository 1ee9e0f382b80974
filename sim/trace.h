// What happened in a simulated run: every observable event folds into a 64-bit
// trace hash (the run's fingerprint), and optionally into an event log that a
// determinism check can diff.
#ifndef SALUDO_SIM_TRACE_H_
#define SALUDO_SIM_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

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

struct TraceEvent {
  int64_t time_ns = 0;  // true virtual time
  uint64_t sequence = 0;
  EventKind kind = EventKind::kNote;
  int32_t node = -1;
  int32_t peer = -1;
  uint64_t call = 0;
  int32_t code = 0;      // status code, where one applies
  uint64_t payload = 0;  // e.g. a hash of the message bytes
  std::string detail;    // kept only when logging
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

class Trace {
 public:
  // `keep_log`: also keep every event (for diffs and the event log); the hash
  // is the same either way.
  explicit Trace(bool keep_log) : keep_log_(keep_log) {}

  // Folds the event's fields (all but the detail text) into the hash.
  void Record(const TraceEvent& event);
  // What Record does to the hash, for an event given field by field (and not
  // kept in the log). REQUIRES: !keeps_log().
  void Fold(int64_t time_ns, uint64_t sequence, EventKind kind, int32_t node,
            int32_t peer, uint64_t call, int32_t code, uint64_t payload);

  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }
  const std::vector<TraceEvent>& log() const { return log_; }
  bool keeps_log() const { return keep_log_; }

 private:
  void FoldFields(int64_t time_ns, uint64_t sequence, EventKind kind,
                  int32_t node, int32_t peer, uint64_t call, int32_t code,
                  uint64_t payload);
  bool keep_log_;
  uint64_t hash_ = 0x243f6a8885a308d3ULL;
  uint64_t events_ = 0;
  std::vector<TraceEvent> log_;
};

// A fixed, platform-independent 64-bit hash of bytes, for payloads.
uint64_t HashBytes(absl::string_view bytes);

// The index of the first event where the logs differ (by every field), or -1
// if they are identical.
int64_t FirstDivergence(const std::vector<TraceEvent>& a,
                        const std::vector<TraceEvent>& b);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_TRACE_H_
