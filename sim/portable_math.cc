#include "sim/portable_math.h"

#include <cstdint>
#include <limits>

#include "absl/base/casts.h"

namespace saludo::sim {
namespace {

// ln 2 split in two: the high part has its low 21 bits zero, so k * kLn2Hi is
// exact for every |k| below 2^21 (Cody and Waite's reduction).
constexpr double kLn2Hi = 0x1.62e42feep-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
constexpr double kLog2E = 0x1.71547652b82fep+0;
constexpr double kSqrt2 = 0x1.6a09e667f3bcdp+0;
// Beyond these e^x is not a finite double / rounds to zero.
constexpr double kExpArgMax = 709.782712893384;
constexpr double kExpArgMin = -745.1332191019412;

// 2^k for a normal exponent. REQUIRES: -1022 <= k <= 1023.
double TwoTo(int k) {
  return absl::bit_cast<double>(static_cast<uint64_t>(k + 1023) << 52);
}

// e^r - 1 - r for |r| <= ln(2)/2 + a little: the Taylor terms r^2/2! to
// r^13/13! (the next one is below 2^-57 of the result), in a fixed order.
double ExpTail(double r) {
  constexpr double c2 = 1.0 / 2, c3 = 1.0 / 6, c4 = 1.0 / 24, c5 = 1.0 / 120;
  constexpr double c6 = 1.0 / 720, c7 = 1.0 / 5040, c8 = 1.0 / 40320;
  constexpr double c9 = 1.0 / 362880, c10 = 1.0 / 3628800;
  constexpr double c11 = 1.0 / 39916800, c12 = 1.0 / 479001600;
  constexpr double c13 = 1.0 / 6227020800;
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double low = (c2 + c3 * r) + r2 * (c4 + c5 * r);
  const double mid = (c6 + c7 * r) + r2 * (c8 + c9 * r);
  const double high = (c10 + c11 * r) + r2 * (c12 + c13 * r);
  return r2 * (low + r4 * mid + r8 * high);
}

// 2 s^2 / 3 + 2 s^4 / 5 + ... + 2 s^20 / 21 for |s| <= 0.1716, so that
// ln((1 + s) / (1 - s)) = 2s + s * LogSeries(s).
double LogSeries(double s) {
  constexpr double c1 = 2.0 / 3, c2 = 2.0 / 5, c3 = 2.0 / 7, c4 = 2.0 / 9;
  constexpr double c5 = 2.0 / 11, c6 = 2.0 / 13, c7 = 2.0 / 15;
  constexpr double c8 = 2.0 / 17, c9 = 2.0 / 19, c10 = 2.0 / 21;
  const double z = s * s, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  const double low = (c1 + c2 * z) + z2 * (c3 + c4 * z);
  const double mid = (c5 + c6 * z) + z2 * (c7 + c8 * z);
  const double high = c9 + c10 * z;
  return z * (low + z4 * mid + z8 * high);
}

}  // namespace

double PortableExp(double x) {
  if (x != x) return x;  // NaN
  if (x > kExpArgMax) return std::numeric_limits<double>::infinity();
  if (x < kExpArgMin) return 0;
  // x = k ln2 + r with |r| <= ln(2)/2 (plus rounding), then e^x = 2^k e^r.
  const double kd = x * kLog2E;
  const int k = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  const double er = 1 + (r + ExpTail(r));
  if (k > 1023) return er * TwoTo(1023) * 2;
  if (k < -1021) return er * TwoTo(k + 1000) * TwoTo(-1000);  // subnormal
  return er * TwoTo(k);
}

double PortableLog(double x) {
  if (!(x > 0)) {
    return x == 0 ? -std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  }
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  uint64_t bits = absl::bit_cast<uint64_t>(x);
  if ((bits >> 52) == 0) {  // subnormal: scale into the normal range
    bits = absl::bit_cast<uint64_t>(x * TwoTo(54));
    e = -54;
  }
  e += static_cast<int>(bits >> 52) - 1023;
  // x = 2^e m with m in [sqrt(2)/2, sqrt(2)): f = m - 1 is exact.
  double m = absl::bit_cast<double>((bits & ((uint64_t{1} << 52) - 1)) |
                                    (uint64_t{1023} << 52));
  if (m > kSqrt2) {
    m *= 0.5;
    ++e;
  }
  const double f = m - 1;
  // ln(1 + f) = 2 atanh(s) with s = f / (2 + f); written as
  // f - (f^2/2 - s (f^2/2 + R)) so the exact f carries the result and the
  // rounding errors stay in the small correction.
  const double s = f / (2 + f);
  const double half_f2 = 0.5 * f * f;
  const double ed = e;
  return ed * kLn2Hi +
         (f - (half_f2 - (s * (half_f2 + LogSeries(s)) + ed * kLn2Lo)));
}

}  // namespace saludo::sim
