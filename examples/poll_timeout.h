// PollTimeoutMs: the poll(2) timeout that wakes a loop when a flow's
// deadline has passed. Shared by the examples' poll loops.
//
// Thread-safe (a pure function).
#ifndef HVSOCK_EXAMPLES_POLL_TIMEOUT_H_
#define HVSOCK_EXAMPLES_POLL_TIMEOUT_H_

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace hvsock::examples {

// -1 (no limit) without a deadline; otherwise the milliseconds until it,
// rounded up so that the deadline has passed on waking, at least 0, at most
// a minute (a loop may always wake early).
inline int PollTimeoutMs(std::optional<absl::Time> deadline, absl::Time now) {
  if (!deadline) return -1;
  absl::Duration wait = std::max(*deadline - now, absl::ZeroDuration());
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

}  // namespace hvsock::examples

#endif  // HVSOCK_EXAMPLES_POLL_TIMEOUT_H_
