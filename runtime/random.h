// Our own PRNG (xoshiro256**, seeded through SplitMix64). Its output is fixed
// by its seed on every platform and standard library, unlike std::*_engine
// distributions or absl::BitGen, which is what determinism needs.
#ifndef SALUDO_RUNTIME_RANDOM_H_
#define SALUDO_RUNTIME_RANDOM_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace saludo::runtime {

class Random {
 public:
  explicit Random(uint64_t seed);

  // A stream derived from `seed` and `name`: the same pair always gives the
  // same stream, and streams of different names are independent, so adding a
  // component does not perturb the others.
  static Random ForComponent(uint64_t seed, absl::string_view name);

  // 64 uniformly distributed bits.
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), with 53 bits of precision.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t NextBelow(uint64_t bound);

  // True with probability p (p <= 0: never; p >= 1: always).
  bool Bernoulli(double p);

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_RANDOM_H_
