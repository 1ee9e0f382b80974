#include "sim/distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/check.h"

namespace saludo::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string Fmt(double seconds) {
  return absl::FormatDuration(absl::Nanoseconds(std::llround(seconds * 1e9)));
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

double StandardNormal(runtime::Random& random) {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const double u1 = 1.0 - random.NextDouble();
  const double u2 = random.NextDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

double StandardExponential(runtime::Random& random) {
  return -std::log(1.0 - random.NextDouble());
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
      seconds = a_ * std::exp(b_ * StandardNormal(random));
      break;
    case Kind::kPareto:
      // Inverse CDF: min / U^(1/alpha), U in (0, 1].
      seconds = a_ / std::pow(1.0 - random.NextDouble(), 1.0 / b_);
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
      return a_ * std::exp(b_ * b_ / 2);
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
