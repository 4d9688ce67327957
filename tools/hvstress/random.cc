#include "tools/hvstress/random.h"

namespace hvsock::hvstress {

namespace {
constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
}  // namespace

uint64_t Mix(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

uint64_t Random::Next() {
  state_ += kGamma;
  return Mix(state_);
}

uint64_t Random::Between(uint64_t low, uint64_t high) {
  uint64_t span = high - low;
  if (span == UINT64_MAX) return Next();
  // Lemire's multiply-shift; the bias (at most span/2^64) does not matter
  // for choosing sizes.
  unsigned __int128 product =
      static_cast<unsigned __int128>(Next()) * (span + 1);
  return low + static_cast<uint64_t>(product >> 64);
}

}  // namespace hvsock::hvstress
