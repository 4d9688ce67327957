// Pattern bytes: deterministic test payloads that a reader can verify at any
// offset without keeping a copy of what was sent.
//
// Byte k of the pattern with seed s is the low byte of SplitMix64's output
// for the state s + (k + 1) * golden-ratio increment, i.e. the k-th output of
// Prng(s) (testing/prng.h). Because each byte is a function of (seed, offset)
// alone, a stream checker can compare what arrives piece by piece, and a
// dropped, duplicated or reordered byte shows up at (or just after) the
// place it happened. The bytes are the same on every platform.
//
// Header-only (the Windows tests use it through CMake). Stateless; safe to
// use from any thread.
#ifndef HVSOCK_TESTING_PATTERN_H_
#define HVSOCK_TESTING_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace hvsock::testing {

// Byte `offset` of the pattern with `seed`.
inline char PatternByte(uint64_t seed, uint64_t offset) {
  uint64_t z = seed + (offset + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<char>((z ^ (z >> 31)) & 0xff);
}

// Bytes [offset, offset + n) of the pattern with `seed`.
inline std::string PatternBytes(size_t n, uint64_t seed, uint64_t offset = 0) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = PatternByte(seed, offset + i);
  return bytes;
}

// The index in `bytes` of the first byte that is not the pattern with `seed`
// from `offset`, or absl::string_view::npos when every byte matches.
inline size_t FirstPatternMismatch(absl::string_view bytes, uint64_t seed,
                                   uint64_t offset = 0) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != PatternByte(seed, offset + i)) return i;
  }
  return absl::string_view::npos;
}

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_PATTERN_H_
