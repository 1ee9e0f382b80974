#include "runtime/random.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace saludo::runtime {
namespace {

TEST(RandomTest, SameSeedSameStream) {
  Random a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Next(), b.Next());
}

TEST(RandomTest, KnownValuesPinTheAlgorithm) {
  // If these change, every recorded trace hash changes: that must be a
  // deliberate decision, not an accident.
  Random r(1);
  std::vector<uint64_t> first = {r.Next(), r.Next(), r.Next()};
  Random again(1);
  EXPECT_EQ(first[0], again.Next());
  EXPECT_NE(first[0], first[1]);
  EXPECT_EQ(Random(0).Next(), 0x99ec5f36cb75f2b4ULL);
}

TEST(RandomTest, ComponentStreamsDifferByName) {
  Random a = Random::ForComponent(7, "server1");
  Random b = Random::ForComponent(7, "server2");
  Random a2 = Random::ForComponent(7, "server1");
  uint64_t x = a.Next();
  EXPECT_NE(x, b.Next());
  EXPECT_EQ(x, a2.Next());
}

TEST(RandomTest, NextDoubleInUnitIntervalWithMeanOneHalf) {
  Random r(3);
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    double d = r.NextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
}

TEST(RandomTest, NextBelowCoversRangeEvenly) {
  Random r(5);
  int counts[6] = {};
  for (int i = 0; i < 60000; ++i) counts[r.NextBelow(6)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(RandomTest, BernoulliEdgesAndRate) {
  Random r(9);
  int hits = 0;
  for (int i = 0; i < 10000; ++i) {
    EXPECT_FALSE(r.Bernoulli(0));
    EXPECT_TRUE(r.Bernoulli(1));
    hits += r.Bernoulli(0.25);
  }
  EXPECT_NEAR(hits, 2500, 200);
}

}  // namespace
}  // namespace saludo::runtime
