// Prng: a small, seeded pseudo-random generator (SplitMix64) for the test
// harness. Its sequence depends only on the seed, on every platform and
// standard library, so a seed printed by a failing test replays exactly.
//
// Thread-compatible.
#ifndef HVSOCK_TESTING_PRNG_H_
#define HVSOCK_TESTING_PRNG_H_

#include <cstdint>

namespace hvsock::testing {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] (inclusive); lo <= hi.
  uint64_t Between(uint64_t lo, uint64_t hi) {
    return lo + Next() % (hi - lo + 1);
  }
  // True with probability percent/100.
  bool Percent(uint32_t percent) { return Next() % 100 < percent; }

 private:
  uint64_t state_;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_PRNG_H_
