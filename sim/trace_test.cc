#include "sim/trace.h"

#include <cstdint>
#include <string>

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

}  // namespace
}  // namespace saludo::sim
