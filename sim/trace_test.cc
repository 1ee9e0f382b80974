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
    h = (h ^ value) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
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
  return h;
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
  EXPECT_EQ(HashBytes("/Saludo/saludar"), uint64_t{0xd6160b4f12a263a3});
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
