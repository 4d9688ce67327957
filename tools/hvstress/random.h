// Seeded pseudo-random numbers for hvstress workloads.
//
// hvstress draws everything it varies (stream lengths, write sizes, the
// bytes themselves) from one seed, so a run can be replayed with --seed.
// SplitMix64 is small, fast and good enough for choosing sizes and filling
// buffers; it is not for anything secret.
//
// Thread-compatible value type.
#ifndef HVSOCK_TOOLS_HVSTRESS_RANDOM_H_
#define HVSOCK_TOOLS_HVSTRESS_RANDOM_H_

#include <cstdint>

namespace hvsock::hvstress {

// Mixes `value` into a well-spread 64-bit number (SplitMix64's finaliser).
// Used to derive independent seeds, e.g. one per connection.
uint64_t Mix(uint64_t value);

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next();
  // Uniform in [low, high], both inclusive. Requires low <= high.
  uint64_t Between(uint64_t low, uint64_t high);

 private:
  uint64_t state_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_RANDOM_H_
