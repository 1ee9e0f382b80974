#include "sim/distribution.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace saludo::sim {
namespace {

struct Moments {
  double mean = 0, stddev = 0, min = 1e18, max = 0;
};

Moments Measure(const Distribution& d, int n = 200000, uint64_t seed = 11) {
  runtime::Random random(seed);
  std::vector<double> v;
  v.reserve(n);
  Moments m;
  for (int i = 0; i < n; ++i) {
    double s = absl::ToDoubleSeconds(d.Sample(random));
    v.push_back(s);
    m.mean += s;
    m.min = std::min(m.min, s);
    m.max = std::max(m.max, s);
  }
  m.mean /= n;
  for (double s : v) m.stddev += (s - m.mean) * (s - m.mean);
  m.stddev = std::sqrt(m.stddev / n);
  return m;
}

TEST(DistributionTest, Fixed) {
  Moments m = Measure(Distribution::Fixed(absl::Milliseconds(3)), 100);
  EXPECT_DOUBLE_EQ(m.min, 0.003);
  EXPECT_DOUBLE_EQ(m.max, 0.003);
}

// A fixed value is its own draw to the nanosecond; a negative one is zero.
TEST(DistributionTest, FixedDrawsExactlyItsValue) {
  runtime::Random random(1);
  EXPECT_EQ(Distribution::Fixed(absl::Nanoseconds(7)).Sample(random),
            absl::Nanoseconds(7));
  EXPECT_EQ(Distribution::Fixed(absl::Microseconds(50)).Sample(random),
            absl::Microseconds(50));
  EXPECT_EQ(Distribution::Fixed(absl::Milliseconds(-2)).Sample(random),
            absl::ZeroDuration());
}

TEST(DistributionTest, LowerIsTheSmallestDrawThereCanBe) {
  const absl::Duration ms = absl::Milliseconds(1);
  EXPECT_EQ(Distribution::Fixed(3 * ms).Lower(), 3 * ms);
  EXPECT_EQ(Distribution::Uniform(ms, 3 * ms).Lower(), ms);
  EXPECT_EQ(Distribution::Normal(5 * ms, ms, 2 * ms).Lower(), 2 * ms);
  EXPECT_EQ(Distribution::Exponential(4 * ms, ms).Lower(), ms);
  EXPECT_EQ(Distribution::LogNormal(4 * ms, 0.5).Lower(), absl::ZeroDuration());
  EXPECT_EQ(Distribution::Pareto(2 * ms, 1.5).Lower(), 2 * ms);
  EXPECT_EQ(Distribution::Fixed(-ms).Lower(), absl::ZeroDuration());
}

TEST(DistributionTest, UniformMeanAndSpread) {
  Moments m = Measure(
      Distribution::Uniform(absl::Milliseconds(1), absl::Milliseconds(3)));
  EXPECT_NEAR(m.mean, 0.002, 0.00001);
  EXPECT_NEAR(m.stddev, 0.002 / std::sqrt(12.0), 0.00001);
  EXPECT_GE(m.min, 0.001);
  EXPECT_LE(m.max, 0.003);
}

TEST(DistributionTest, NormalMoments) {
  Moments m = Measure(
      Distribution::Normal(absl::Milliseconds(10), absl::Milliseconds(2)));
  EXPECT_NEAR(m.mean, 0.010, 0.00005);
  EXPECT_NEAR(m.stddev, 0.002, 0.00005);
}

TEST(DistributionTest, NormalIsTruncatedAtMin) {
  Moments m = Measure(
      Distribution::Normal(absl::Milliseconds(1), absl::Milliseconds(5)));
  EXPECT_GE(m.min, 0.0);
}

TEST(DistributionTest, ExponentialMoments) {
  Moments m = Measure(
      Distribution::Exponential(absl::Milliseconds(5), absl::Milliseconds(1)));
  EXPECT_NEAR(m.mean, 0.005, 0.00005);
  EXPECT_NEAR(m.stddev, 0.004, 0.00005);  // sd of the exponential part
  EXPECT_GE(m.min, 0.001);
}

TEST(DistributionTest, LogNormalMedianAndMean) {
  const Distribution d = Distribution::LogNormal(absl::Milliseconds(2), 0.5);
  Moments m = Measure(d);
  EXPECT_NEAR(m.mean, d.MeanSeconds(), d.MeanSeconds() * 0.01);
  runtime::Random random(3);
  int below = 0;
  for (int i = 0; i < 100000; ++i) {
    below += d.Sample(random) < absl::Milliseconds(2);
  }
  EXPECT_NEAR(below, 50000, 600);
}

TEST(DistributionTest, ParetoTail) {
  const Distribution d = Distribution::Pareto(absl::Milliseconds(1), 3.0);
  Moments m = Measure(d);
  EXPECT_NEAR(m.mean, 0.0015, 0.00003);  // alpha*min/(alpha-1)
  EXPECT_GE(m.min, 0.001);
  // P(X > 2 min) = 2^-alpha = 1/8.
  runtime::Random random(5);
  int over = 0;
  for (int i = 0; i < 80000; ++i) {
    over += d.Sample(random) > absl::Milliseconds(2);
  }
  EXPECT_NEAR(over, 10000, 400);
}

// The normal's shape, not just its moments: 4 million draws in bins of 0.25
// from -5 to 5 (and one bin each side for the rest) against the normal's
// probabilities (Pearson's chi-square: 41 degrees of freedom, so about 41
// give or take 9; this one scores 48. Drawn wrong on purpose it scored 815
// with the ziggurat's wedge test skipped, 115 with its tail's, 112 with the
// top layer's width wrong, 3,088 with no tail at all).
TEST(DistributionTest, StandardNormalHasTheNormalShape) {
  constexpr int kBins = 40;
  constexpr double kWidth = 0.25, kLow = -5;
  std::vector<double> count(kBins + 2, 0);
  runtime::Random random(3);
  constexpr int kDraws = 4000000;
  double beyond_tail_start = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = StandardNormal(random);
    const int bin = z < kLow     ? 0
                    : z >= -kLow ? kBins + 1
                                 : 1 + static_cast<int>((z - kLow) / kWidth);
    ++count[bin];
    if (std::fabs(z) > 3.442619855899) ++beyond_tail_start;
  }
  auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  double chi2 = 0;
  for (int b = 0; b < kBins + 2; ++b) {
    const double lo = b == 0 ? -INFINITY : kLow + (b - 1) * kWidth;
    const double hi = b == kBins + 1 ? INFINITY : kLow + b * kWidth;
    const double expected = kDraws * (cdf(hi) - cdf(lo));
    chi2 += (count[b] - expected) * (count[b] - expected) / expected;
  }
  EXPECT_LT(chi2, 100);
  // The tail the base layer draws from: 2 (1 - Phi(r)) = 5.76e-4 of draws,
  // 2,304 of them, give or take 48.
  EXPECT_NEAR(beyond_tail_start, 2304, 250);
}

// The ziggurat's fast path takes one 64-bit value and nothing else; the
// wedge and the tail take more. It should serve the mean of the table's
// x[i+1]/x[i], 0.9724, of draws (give or take 0.00016 over a million).
TEST(DistributionTest, MostNormalDrawsTakeOneRandomValue) {
  runtime::Random random(5);
  constexpr int kDraws = 1000000;
  int took_one = 0;
  for (int i = 0; i < kDraws; ++i) {
    runtime::Random skipped_one = random;
    skipped_one.Next();
    StandardNormal(random);
    runtime::Random after_draw = random;
    if (after_draw.Next() == skipped_one.Next()) ++took_one;
  }
  EXPECT_NEAR(static_cast<double>(took_one) / kDraws, 0.9724, 0.001);
}

TEST(DistributionTest, SameSeedSameDraws) {
  const Distribution d = Distribution::LogNormal(absl::Milliseconds(2), 1.0);
  runtime::Random a(99), b(99);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(d.Sample(a), d.Sample(b));
}

TEST(DistributionTest, Describes) {
  EXPECT_EQ(Distribution::Uniform(absl::Milliseconds(1), absl::Milliseconds(3))
                .ToString(),
            "uniform(1ms, 3ms)");
}

// RoundToNs is std::llround wherever a draw can land: at, just below and
// just above every half, at whole numbers, across magnitudes up to the cap.
TEST(RoundToNsTest, IsLlround) {
  std::vector<double> xs = {0.0,
                            0.25,
                            0.5,
                            1.5,
                            2.5,
                            1e9,
                            9.2e18 - 4096,
                            4503599627370495.5,
                            4503599627370496.0};
  runtime::Random random(3);
  for (int i = 0; i < 20000; ++i) {
    const double whole =
        static_cast<double>(random.NextBelow(uint64_t{1} << (i % 62)));
    xs.push_back(whole + 0.5);
    xs.push_back(whole + random.NextDouble());
    xs.push_back(random.NextDouble() * 9.2e18);
  }
  for (const double x : std::vector<double>(xs)) {
    xs.push_back(std::nextafter(x, 0.0));
    xs.push_back(std::nextafter(x, 1e19));
  }
  for (const double x : xs) {
    ASSERT_EQ(RoundToNs(x), std::llround(x)) << std::hexfloat << x;
  }
}

}  // namespace
}  // namespace saludo::sim
