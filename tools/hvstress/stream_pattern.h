// StreamPattern: the bytes every hvstress connection sends, and the
// reference its echo is compared with.
//
// A block of seeded random bytes (the period, a little under 4 MiB) is
// made once per run. Connection streams are windows onto it: a stream that
// starts at `origin` has byte k equal to block[(origin + k) % period]. So
// the sender hands the flow slices of the block without copying or
// generating anything (Cords that reference the block), and the checker
// compares the echo with memcmp at the right offset. Because the bytes are
// random, a dropped, duplicated or reordered byte shows up as a mismatch
// at (or just after) the place it happened.
//
// Immutable after construction; safe to share between threads. It must
// outlive every Cord made by Slice().
#ifndef HVSOCK_TOOLS_HVSTRESS_STREAM_PATTERN_H_
#define HVSOCK_TOOLS_HVSTRESS_STREAM_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace hvsock::hvstress {

class StreamPattern {
 public:
  // An odd length, so that windows of any power-of-two size drift across it.
  static constexpr size_t kDefaultPeriod = 4 * 1024 * 1024 - 1;

  explicit StreamPattern(uint64_t seed, size_t period = kDefaultPeriod);

  StreamPattern(const StreamPattern&) = delete;
  StreamPattern& operator=(const StreamPattern&) = delete;

  size_t period() const { return block_.size(); }

  // Bytes [offset, offset + n) of the stream starting at `origin`, as a
  // Cord referencing the block (no copy).
  absl::Cord Slice(uint64_t origin, uint64_t offset, size_t n) const;

  // Compares `bytes` with the stream starting at `origin`, from `offset`.
  // Returns the index within `bytes` of the first byte that differs, or
  // absl::string_view::npos when all match.
  size_t FirstMismatch(uint64_t origin, uint64_t offset,
                       absl::string_view bytes) const;

 private:
  std::string block_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_STREAM_PATTERN_H_
