// Our own distributions of durations, drawn from runtime::Random. Never
// std::*_distribution: their output differs between standard libraries, and a
// seed must mean the same run everywhere. For the same reason no draw goes
// through the C library's exp, log or cos (sim/portable_math.h).
#ifndef SALUDO_SIM_DISTRIBUTION_H_
#define SALUDO_SIM_DISTRIBUTION_H_

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/random.h"

namespace saludo::sim {

// Standard draws (doubles), the building blocks. The normal is a ziggurat:
// one 64-bit draw and a multiply for 97.2 % of draws.
double StandardNormal(runtime::Random& random);       // mean 0, sd 1
double StandardExponential(runtime::Random& random);  // mean 1

// std::llround(x) for 0 <= x < 2^63, without the library call (every
// drawn latency is rounded to whole ns): x less its integer part is exact
// in a double, so comparing it with one half rounds exactly as llround
// does (halves away from zero). Other x go to std::llround.
inline int64_t RoundToNs(double x) {
  if (x >= 0 && x < 9.2e18) {
    const int64_t whole = static_cast<int64_t>(x);
    return x - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;
  }
  return std::llround(x);
}

class Distribution {
 public:
  enum class Kind {
    kFixed,
    kUniform,
    kNormal,
    kExponential,
    kLogNormal,
    kPareto
  };

  // Always `value`.
  static Distribution Fixed(absl::Duration value);
  // Uniform in [low, high]. REQUIRES: low <= high.
  static Distribution Uniform(absl::Duration low, absl::Duration high);
  // Normal, truncated at `min` (default zero): draws below are clamped.
  static Distribution Normal(absl::Duration mean, absl::Duration stddev,
                             absl::Duration min = absl::ZeroDuration());
  // min + Exponential(mean - min). REQUIRES: mean >= min.
  static Distribution Exponential(absl::Duration mean,
                                  absl::Duration min = absl::ZeroDuration());
  // exp(N(mu, sigma)) with the median given: median * exp(sigma * Z).
  static Distribution LogNormal(absl::Duration median, double sigma);
  // Pareto with scale `min` and shape `alpha` (> 0): heavy tail.
  static Distribution Pareto(absl::Duration min, double alpha);

  // A draw, rounded to whole nanoseconds, never negative.
  absl::Duration Sample(runtime::Random& random) const {
    return absl::Nanoseconds(SampleNs(random));
  }
  // The same draw in nanoseconds (at most 9.2e18: about 292 years).
  int64_t SampleNs(runtime::Random& random) const;

  // The mean in theory (infinite for Pareto with alpha <= 1).
  double MeanSeconds() const;

  // The smallest draw there can be (zero when draws come arbitrarily close
  // to it, as for a log-normal).
  absl::Duration Lower() const { return lower_; }

  Kind kind() const { return kind_; }
  // e.g. "uniform(1ms, 3ms)".
  std::string ToString() const;

 private:
  Distribution(Kind kind, double a, double b, double c);
  // A draw of `seconds` as SampleNs returns it.
  static int64_t DrawToNs(double seconds);
  static absl::Duration LowerOf(Kind kind, double a, double b, double c);
  Kind kind_;
  // Parameters in seconds (or unitless shape), by kind.
  double a_, b_, c_;
  // Worked out once (they are on every message's path): Lower(), and a
  // fixed distribution's one value.
  absl::Duration lower_;
  int64_t fixed_ns_ = 0;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_DISTRIBUTION_H_
