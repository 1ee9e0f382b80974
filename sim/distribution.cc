#include "sim/distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/check.h"
#include "sim/portable_math.h"

namespace saludo::sim {
namespace {

std::string Fmt(double seconds) {
  return absl::FormatDuration(absl::Nanoseconds(std::llround(seconds * 1e9)));
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating Random
// Variables", 2000) for f(z) = exp(-z^2 / 2), z >= 0, with 128 layers of
// equal area: layer 0 is the base strip with the tail beyond kTailStart,
// layer i > 0 the rectangle of width x[i] between heights f(x[i]) and
// f(x[i + 1]). A draw picks a layer and a point across it; 97.2 % of draws
// fall inside the next layer's width and are accepted with no arithmetic
// beyond a multiply. The table is built with PortableExp and PortableLog, so
// it, and every draw, has the same bits on every machine.
class Ziggurat {
 public:
  static constexpr int kLayers = 128;
  static constexpr double kTailStart = 3.442619855899;       // r
  static constexpr double kLayerArea = 9.91256303526217e-3;  // v

  static const Ziggurat& Get() {
    static const Ziggurat table;
    return table;
  }

  // The common case inline; the rest (2.8 % of draws) out of line.
  double Draw(runtime::Random& random) const {
    const uint64_t bits = random.Next();
    const int layer = static_cast<int>(bits & (kLayers - 1));      // bits 0-6
    const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;  // 53-63
    if (ABSL_PREDICT_TRUE(u < inner_[layer])) {
      return Signed(bits, u * width_[layer]);
    }
    return DrawOutside(random, bits, layer, u);
  }

 private:
  // z with the sign bit 7 of `bits` gives it.
  static double Signed(uint64_t bits, double z) {
    return (bits & kLayers) != 0 ? -z : z;
  }

  // The draw `bits` (its layer and fraction u) fell outside the next layer's
  // width: the tail, or a point in the wedge under or over the curve (over
  // it, a fresh draw).
  ABSL_ATTRIBUTE_NOINLINE double DrawOutside(runtime::Random& random,
                                             uint64_t bits, int layer,
                                             double u) const {
    if (layer == 0) return Signed(bits, Tail(random));
    const double z = u * width_[layer];
    const double y = height_[layer] + random.NextDouble() *
                                          (height_[layer + 1] - height_[layer]);
    if (y < PortableExp(-0.5 * z * z)) return Signed(bits, z);
    return Draw(random);
  }

  // Out of line, so the draw's fast path stays small.
  ABSL_ATTRIBUTE_NOINLINE Ziggurat() {
    width_[0] = kLayerArea / PortableExp(-0.5 * kTailStart * kTailStart);
    width_[1] = kTailStart;
    for (int i = 1; i + 1 < kLayers; ++i) {
      const double top =
          kLayerArea / width_[i] + PortableExp(-0.5 * width_[i] * width_[i]);
      width_[i + 1] = std::sqrt(-2 * PortableLog(top));
    }
    width_[kLayers] = 0;
    for (int i = 0; i <= kLayers; ++i) {
      height_[i] = PortableExp(-0.5 * width_[i] * width_[i]);
    }
    for (int i = 0; i < kLayers; ++i) inner_[i] = width_[i + 1] / width_[i];
  }

  // Beyond kTailStart (Marsaglia's method for the normal tail).
  static double Tail(runtime::Random& random) {
    for (;;) {
      const double a = -PortableLog(1.0 - random.NextDouble()) / kTailStart;
      const double b = -PortableLog(1.0 - random.NextDouble());
      if (b + b >= a * a) return kTailStart + a;
    }
  }

  double width_[kLayers + 1];   // x[i]; x[0] = v / f(r) is the base strip's
  double height_[kLayers + 1];  // f(x[i])
  double inner_[kLayers];       // x[i + 1] / x[i]
};

}  // namespace

double StandardNormal(runtime::Random& random) {
  return Ziggurat::Get().Draw(random);
}

double StandardExponential(runtime::Random& random) {
  return -PortableLog(1.0 - random.NextDouble());
}

Distribution Distribution::Fixed(absl::Duration value) {
  return Distribution(Kind::kFixed, Seconds(value), 0, 0);
}

Distribution Distribution::Uniform(absl::Duration low, absl::Duration high) {
  SALUDO_CHECK(low <= high);
  return Distribution(Kind::kUniform, Seconds(low), Seconds(high), 0);
}

Distribution Distribution::Normal(absl::Duration mean, absl::Duration stddev,
                                  absl::Duration min) {
  SALUDO_CHECK(stddev >= absl::ZeroDuration());
  return Distribution(Kind::kNormal, Seconds(mean), Seconds(stddev),
                      Seconds(min));
}

Distribution Distribution::Exponential(absl::Duration mean,
                                       absl::Duration min) {
  SALUDO_CHECK(mean >= min);
  return Distribution(Kind::kExponential, Seconds(mean), Seconds(min), 0);
}

Distribution Distribution::LogNormal(absl::Duration median, double sigma) {
  SALUDO_CHECK(sigma >= 0);
  return Distribution(Kind::kLogNormal, Seconds(median), sigma, 0);
}

Distribution Distribution::Pareto(absl::Duration min, double alpha) {
  SALUDO_CHECK(alpha > 0);
  return Distribution(Kind::kPareto, Seconds(min), alpha, 0);
}

Distribution::Distribution(Kind kind, double a, double b, double c)
    : kind_(kind), a_(a), b_(b), c_(c) {
  lower_ = LowerOf(kind, a, b, c);
  if (kind == Kind::kFixed) fixed_ns_ = DrawToNs(a);
}

int64_t Distribution::DrawToNs(double seconds) {
  // Cap absurd tail draws at ~292 years so the conversion cannot overflow.
  seconds = std::min(std::max(seconds, 0.0), 9.2e9);
  return RoundToNs(seconds * 1e9);
}

int64_t Distribution::SampleNs(runtime::Random& random) const {
  double seconds = 0;
  switch (kind_) {
    case Kind::kFixed:
      return fixed_ns_;  // DrawToNs(a_), worked out once
    case Kind::kUniform:
      seconds = a_ + (b_ - a_) * random.NextDouble();
      break;
    case Kind::kNormal:
      seconds = std::max(c_, a_ + b_ * StandardNormal(random));
      break;
    case Kind::kExponential:
      seconds = b_ + (a_ - b_) * StandardExponential(random);
      break;
    case Kind::kLogNormal:
      seconds = a_ * PortableExp(b_ * StandardNormal(random));
      break;
    case Kind::kPareto:
      // Inverse CDF: min / U^(1/alpha) = min e^(-ln(U) / alpha), U in (0, 1].
      seconds = a_ * PortableExp(-PortableLog(1.0 - random.NextDouble()) / b_);
      break;
  }
  return DrawToNs(seconds);
}

absl::Duration Distribution::LowerOf(Kind kind, double a, double b, double c) {
  double seconds = 0;
  switch (kind) {
    case Kind::kFixed:
    case Kind::kUniform:
    case Kind::kPareto:
      seconds = a;
      break;
    case Kind::kNormal:
      seconds = c;
      break;
    case Kind::kExponential:
      seconds = b;
      break;
    case Kind::kLogNormal:
      seconds = 0;
      break;
  }
  return absl::Nanoseconds(std::llround(std::max(seconds, 0.0) * 1e9));
}

double Distribution::MeanSeconds() const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kNormal:
      return a_;  // ignoring truncation
    case Kind::kExponential:
      return a_;
    case Kind::kLogNormal:
      return a_ * PortableExp(b_ * b_ / 2);
    case Kind::kPareto:
      return b_ <= 1 ? std::numeric_limits<double>::infinity()
                     : b_ * a_ / (b_ - 1);
  }
  return 0;
}

std::string Distribution::ToString() const {
  switch (kind_) {
    case Kind::kFixed:
      return absl::StrCat("fixed(", Fmt(a_), ")");
    case Kind::kUniform:
      return absl::StrCat("uniform(", Fmt(a_), ", ", Fmt(b_), ")");
    case Kind::kNormal:
      return absl::StrCat("normal(", Fmt(a_), ", sd ", Fmt(b_), ")");
    case Kind::kExponential:
      return absl::StrCat("exponential(mean ", Fmt(a_), ", min ", Fmt(b_), ")");
    case Kind::kLogNormal:
      return absl::StrFormat("lognormal(median %s, sigma %g)", Fmt(a_), b_);
    case Kind::kPareto:
      return absl::StrFormat("pareto(min %s, alpha %g)", Fmt(a_), b_);
  }
  return "?";
}

}  // namespace saludo::sim
