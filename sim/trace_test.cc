#include "sim/trace.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

// HashBytes by its definition, a byte at a time: the length, then each
// eight bytes as a little-endian word, then the 0-7 left (zero-padded).
uint64_t HashBytesByDefinition(const std::string& bytes) {
  auto mix = [](uint64_t& h, uint64_t value) {
    const uint64_t x = h ^ value;
    h = ((x << 29) | (x >> 35)) * 0x9e3779b97f4a7c15ULL;
  };
  uint64_t h = 0xcbf29ce484222325ULL ^ bytes.size();
  uint64_t word = 0;
  size_t in_word = 0;
  for (unsigned char c : bytes) {
    word |= uint64_t{c} << (8 * in_word);
    if (++in_word == 8) {
      mix(h, word);
      word = 0;
      in_word = 0;
    }
  }
  mix(h, word);
  return h ^ (h >> 32);
}

TEST(HashBytesTest, IsItsDefinitionForEveryLengthAndByte) {
  std::string bytes;
  for (int length = 0; length <= 70; ++length) {
    EXPECT_EQ(HashBytes(bytes), HashBytesByDefinition(bytes)) << length;
    bytes.push_back(static_cast<char>(0x80 + 37 * length));  // high bits too
  }
}

// A pinned value: every trace hash depends on it.
TEST(HashBytesTest, KnownValue) {
  EXPECT_EQ(HashBytes(""), HashBytesByDefinition(""));
  EXPECT_EQ(HashBytes("/Saludo/saludar"), uint64_t{0x2a0e3b7321c83096});
}

// One event's hash, recorded with the log kept and folded without it.
uint64_t HashOfOne(const TraceEvent& e) {
  Trace kept(true), folded(false);
  kept.Record(e);
  folded.Fold(e.time_ns, e.sequence, e.kind, e.node, e.peer, e.call, e.code,
              e.payload);
  EXPECT_EQ(kept.hash(), folded.hash());
  return folded.hash();
}

// Every field of an event moves the hash, in its low bits and its high
// ones, and no two fields that share a folded word can stand in for each
// other (node and peer; the kind and the code). The detail is not hashed.
TEST(TraceTest, EveryFieldMovesTheHashAndNoneStandsInForAnother) {
  TraceEvent base = MakeEvent(EventKind::kReplySent, 3, 5, 77, 0, 0x1234);
  base.time_ns = 1000;
  base.sequence = 9;
  const uint64_t h = HashOfOne(base);
  std::vector<TraceEvent> changed;
  for (uint64_t bit : {uint64_t{1}, uint64_t{1} << 31, uint64_t{1} << 63}) {
    TraceEvent e = base;
    e.time_ns ^= static_cast<int64_t>(bit);
    changed.push_back(e);
    e = base;
    e.sequence ^= bit;
    changed.push_back(e);
    e = base;
    e.call ^= bit;
    changed.push_back(e);
    e = base;
    e.payload ^= bit;
    changed.push_back(e);
  }
  for (int32_t value : {-1, 4, INT32_MIN}) {
    TraceEvent e = base;
    e.node = value;
    changed.push_back(e);
    e = base;
    e.peer = value;
    changed.push_back(e);
    e = base;
    e.code = value;
    changed.push_back(e);
  }
  TraceEvent e = base;
  e.kind = EventKind::kReplyDelivered;
  changed.push_back(e);
  e = base;  // node and peer swapped
  std::swap(e.node, e.peer);
  changed.push_back(e);
  e = base;  // the kind's value as the code, and the code's as the kind
  e.code = static_cast<int32_t>(base.kind);
  e.kind = static_cast<EventKind>(base.code);
  changed.push_back(e);
  std::vector<uint64_t> seen = {h};
  for (const TraceEvent& c : changed) {
    const uint64_t hc = HashOfOne(c);
    for (uint64_t other : seen) EXPECT_NE(hc, other) << FormatEvent(c, {});
    seen.push_back(hc);
  }
  e = base;
  e.detail = "not hashed";
  EXPECT_EQ(HashOfOne(e), h);
}

// A pinned value, computed by hand from the definition (FoldWord and the
// field layout in trace.h): every trace hash depends on the fold.
TEST(TraceTest, KnownValue) {
  TraceEvent e = MakeEvent(EventKind::kCallDone, 1, 2, 3, 14, 0x5);
  e.time_ns = 6;
  e.sequence = 7;
  EXPECT_EQ(HashOfOne(e), uint64_t{0xc26e85b1694e441e});
}

// The kept log across its chunks: every event where it was put, in order
// by index and by iteration, and as one vector; a log that kept the same
// events differs from it nowhere, one that differs in one event there.
TEST(TraceLogTest, KeepsEveryEventInOrderAcrossChunks) {
  Trace trace(true), other(true);
  constexpr int kEvents = 3 * 4096 + 17;
  for (int i = 0; i < kEvents; ++i) {
    TraceEvent e = MakeEvent(EventKind::kNote, i % 7, -1, i, 0, 3 * i);
    e.time_ns = i;
    e.sequence = i;
    if (i % 1000 == 0) e.detail = "detail " + std::to_string(i);
    other.Record(e);
    if (i == 5000) e.code = 1;
    trace.Record(std::move(e));
  }
  const TraceLog& log = trace.log();
  ASSERT_EQ(log.size(), static_cast<size_t>(kEvents));
  int i = 0;
  for (const TraceEvent& e : log) {
    ASSERT_EQ(e.call, static_cast<uint64_t>(i));
    ASSERT_EQ(&e, &log[i]);
    EXPECT_EQ(e.payload, 3u * i);
    EXPECT_EQ(e.detail,
              i % 1000 == 0 ? "detail " + std::to_string(i) : std::string());
    ++i;
  }
  EXPECT_EQ(i, kEvents);
  const std::vector<TraceEvent> copy = log.ToVector();
  ASSERT_EQ(copy.size(), log.size());
  EXPECT_EQ(copy[4096].call, 4096u);
  EXPECT_EQ(FirstDivergence(log, log), -1);
  EXPECT_EQ(FirstDivergence(log, other.log()), 5000);
  EXPECT_EQ(FirstDivergence(copy, other.log().ToVector()), 5000);
}

}  // namespace
}  // namespace saludo::sim
