#include "sim/trace.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

std::string NodeName(int32_t node, const std::vector<std::string>& names) {
  if (node < 0) return "-";
  if (node < static_cast<int32_t>(names.size())) return names[node];
  return absl::StrCat("node", node);
}

}  // namespace

absl::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kCallStart:
      return "call-start";
    case EventKind::kRequestDelivered:
      return "request-delivered";
    case EventKind::kRequestDropped:
      return "request-dropped";
    case EventKind::kRequestDuplicated:
      return "request-duplicated";
    case EventKind::kRefused:
      return "refused";
    case EventKind::kReplySent:
      return "reply-sent";
    case EventKind::kReplyDelivered:
      return "reply-delivered";
    case EventKind::kReplyDropped:
      return "reply-dropped";
    case EventKind::kReset:
      return "reset";
    case EventKind::kCallDone:
      return "call-done";
    case EventKind::kConnect:
      return "connect";
    case EventKind::kConnected:
      return "connected";
    case EventKind::kCancel:
      return "cancel";
    case EventKind::kAbandon:
      return "abandon";
    case EventKind::kCrash:
      return "crash";
    case EventKind::kRestart:
      return "restart";
    case EventKind::kPause:
      return "pause";
    case EventKind::kResume:
      return "resume";
    case EventKind::kFault:
      return "fault";
    case EventKind::kClock:
      return "clock";
    case EventKind::kNote:
      return "note";
  }
  return "unknown";
}

std::string FormatEvent(const TraceEvent& e,
                        const std::vector<std::string>& node_names) {
  std::string line = absl::StrFormat(
      "%d.%09ds #%d %s node=%s", e.time_ns / 1000000000, e.time_ns % 1000000000,
      e.sequence, EventKindName(e.kind), NodeName(e.node, node_names));
  if (e.peer >= 0)
    absl::StrAppend(&line, " peer=", NodeName(e.peer, node_names));
  if (e.call != 0) absl::StrAppend(&line, " call=", e.call);
  if (e.kind == EventKind::kCallDone || e.code != 0) {
    absl::StrAppend(&line, " code=", e.code);
  }
  if (e.payload != 0)
    absl::StrAppend(&line, absl::StrFormat(" bytes=%016x", e.payload));
  if (!e.detail.empty()) absl::StrAppend(&line, " ", e.detail);
  return line;
}

void TraceLog::Append(TraceEvent event) {
  if (size_ % kChunk == 0) {
    chunks_.push_back(std::make_unique<TraceEvent[]>(kChunk));
  }
  chunks_[size_ / kChunk][size_ % kChunk] = std::move(event);
  ++size_;
}

std::vector<TraceEvent> TraceLog::ToVector() const {
  std::vector<TraceEvent> events;
  events.reserve(size_);
  for (const TraceEvent& e : *this) events.push_back(e);
  return events;
}

void Trace::Record(TraceEvent event) {
  FoldFields(event.time_ns, event.sequence, event.kind, event.node, event.peer,
             event.call, event.code, event.payload);
  if (keep_log_) log_.Append(std::move(event));
}

uint64_t HashBytes(absl::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL ^ bytes.size();
  size_t i = 0;
  // Eight bytes at a time, read as little-endian whatever the machine.
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    h = FoldWord(h, word);
  }
  // The last 0-7 bytes as one little-endian word (the first of them the
  // lowest byte).
  const size_t rest = bytes.size() - i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const bool one_load = rest > 0 && bytes.size() >= 8;
#else
  const bool one_load = false;
#endif
  uint64_t tail = 0;
  if (one_load) {
    // The last eight bytes, less those already mixed: one load and a shift,
    // where the loop takes a step a byte.
    std::memcpy(&tail, bytes.data() + bytes.size() - 8, 8);
    tail >>= 8 * (8 - rest);
  } else {
    for (size_t k = bytes.size(); k > i; --k) {
      tail = (tail << 8) | static_cast<unsigned char>(bytes[k - 1]);
    }
  }
  h = FoldWord(h, tail);
  return h ^ (h >> 32);
}

namespace {

// For a vector or a TraceLog.
template <typename Log>
int64_t FirstDivergenceIn(const Log& a, const Log& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const TraceEvent& x = a[i];
    const TraceEvent& y = b[i];
    if (x.time_ns != y.time_ns || x.sequence != y.sequence ||
        x.kind != y.kind || x.node != y.node || x.peer != y.peer ||
        x.call != y.call || x.code != y.code || x.payload != y.payload ||
        x.detail != y.detail) {
      return static_cast<int64_t>(i);
    }
  }
  if (a.size() != b.size()) return static_cast<int64_t>(n);
  return -1;
}

}  // namespace

int64_t FirstDivergence(const std::vector<TraceEvent>& a,
                        const std::vector<TraceEvent>& b) {
  return FirstDivergenceIn(a, b);
}

int64_t FirstDivergence(const TraceLog& a, const TraceLog& b) {
  return FirstDivergenceIn(a, b);
}

}  // namespace saludo::sim
