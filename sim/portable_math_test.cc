#include "sim/portable_math.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "gtest/gtest.h"
#include "runtime/random.h"

namespace saludo::sim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Doubles in order as integers: the distance is the number of doubles
// between a and b (0 when equal), across the subnormals too.
int64_t Ordered(double x) {
  int64_t i;
  std::memcpy(&i, &x, sizeof i);
  return i < 0 ? std::numeric_limits<int64_t>::min() - i : i;
}
int64_t UlpsApart(double a, double b) {
  const int64_t d = Ordered(a) - Ordered(b);
  return d < 0 ? -d : d;
}

// Compares f with the system's g at `n` arguments drawn by `arg`; returns the
// largest distance seen and fails at the first one over 2.
template <typename Arg>
int64_t WorstUlps(double (*f)(double), double (*g)(double), Arg arg, int n) {
  runtime::Random random(7);
  int64_t worst = 0;
  for (int i = 0; i < n && worst <= 2; ++i) {
    const double x = arg(random);
    const int64_t d = UlpsApart(f(x), g(x));
    EXPECT_LE(d, 2) << "at x = " << std::hexfloat << x;
    if (d > worst) worst = d;
  }
  return worst;
}

double SysExp(double x) { return std::exp(x); }
double SysLog(double x) { return std::log(x); }

TEST(PortableExpTest, WithinTwoUlpsOfTheSystem) {
  auto anywhere = [](runtime::Random& r) {
    return -745.0 + 1454.78 * r.NextDouble();
  };
  auto near_zero = [](runtime::Random& r) { return -2 + 4 * r.NextDouble(); };
  auto tiny = [](runtime::Random& r) { return (r.NextDouble() - 0.5) * 1e-9; };
  EXPECT_LE(WorstUlps(PortableExp, SysExp, anywhere, 1000000), 2);
  EXPECT_LE(WorstUlps(PortableExp, SysExp, near_zero, 1000000), 2);
  EXPECT_LE(WorstUlps(PortableExp, SysExp, tiny, 100000), 2);
}

TEST(PortableExpTest, EdgesAndSpecialValues) {
  EXPECT_EQ(PortableExp(0), 1);
  EXPECT_EQ(PortableExp(-0.0), 1);
  EXPECT_EQ(PortableExp(kInf), kInf);
  EXPECT_EQ(PortableExp(-kInf), 0);
  EXPECT_TRUE(std::isnan(PortableExp(std::nan(""))));
  EXPECT_EQ(PortableExp(710), kInf);
  EXPECT_EQ(PortableExp(-746), 0);
  EXPECT_LE(UlpsApart(PortableExp(709.78), std::exp(709.78)), 2);
  // Subnormal results.
  EXPECT_LE(UlpsApart(PortableExp(-740), std::exp(-740)), 2);
  EXPECT_LE(UlpsApart(PortableExp(-745), std::exp(-745)), 2);
  EXPECT_LE(UlpsApart(PortableExp(-708.5), std::exp(-708.5)), 2);
}

TEST(PortableLogTest, WithinTwoUlpsOfTheSystem) {
  // Every positive finite double is as likely as any other bit pattern.
  auto any_bits = [](runtime::Random& r) {
    double x;
    uint64_t b = r.Next() >> 1;                        // sign 0
    if ((b >> 52) == 2047) b &= ~(uint64_t{1} << 62);  // no inf/NaN
    std::memcpy(&x, &b, sizeof x);
    return x == 0 ? 1.0 : x;
  };
  auto unit = [](runtime::Random& r) { return 1 - r.NextDouble(); };
  auto near_one = [](runtime::Random& r) {
    return 1 + (r.NextDouble() - 0.5) * 1e-6;
  };
  EXPECT_LE(WorstUlps(PortableLog, SysLog, any_bits, 1000000), 2);
  EXPECT_LE(WorstUlps(PortableLog, SysLog, unit, 1000000), 2);
  EXPECT_LE(WorstUlps(PortableLog, SysLog, near_one, 100000), 2);
}

TEST(PortableLogTest, EdgesAndSpecialValues) {
  EXPECT_EQ(PortableLog(1), 0);
  EXPECT_EQ(PortableLog(0), -kInf);
  EXPECT_EQ(PortableLog(-0.0), -kInf);
  EXPECT_EQ(PortableLog(kInf), kInf);
  EXPECT_TRUE(std::isnan(PortableLog(-1)));
  EXPECT_TRUE(std::isnan(PortableLog(-kInf)));
  EXPECT_TRUE(std::isnan(PortableLog(std::nan(""))));
  const double smallest = std::numeric_limits<double>::denorm_min();
  EXPECT_LE(UlpsApart(PortableLog(smallest), std::log(smallest)), 2);
  const double largest = std::numeric_limits<double>::max();
  EXPECT_LE(UlpsApart(PortableLog(largest), std::log(largest)), 2);
  EXPECT_LE(UlpsApart(PortableLog(2), std::log(2.0)), 2);
}

// The point of these functions: their bits are fixed. A hash of 100,000
// results each, as measured; it moves only if the arithmetic changes (which
// moves every seed's draws, so is its own commit that updates the pins).
TEST(PortableMathTest, BitsArePinned) {
  runtime::Random random(2024);
  uint64_t h = 1469598103934665603ull;
  auto fold = [&h](double v) {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    h = (h ^ b) * 1099511628211ull;
  };
  for (int i = 0; i < 100000; ++i) {
    const double u = random.NextDouble();
    fold(PortableExp(-20 + 40 * u));
    fold(PortableLog(1 - u));
  }
  EXPECT_EQ(h, 0x9fc2ea6a26dcedaaULL) << std::hex << h;
}

}  // namespace
}  // namespace saludo::sim
