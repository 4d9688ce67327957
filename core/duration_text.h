// DurationText: a duration as people read it, always with a unit ("0s",
// "250ms", "1m30s", "inf"). absl::FormatDuration prints zero as a bare "0".
//
// Thread-safety: a pure function.
#ifndef HVSOCK_CORE_DURATION_TEXT_H_
#define HVSOCK_CORE_DURATION_TEXT_H_

#include <string>

#include "absl/time/time.h"

namespace hvsock {

inline std::string DurationText(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) return "0s";
  return absl::FormatDuration(duration);
}

}  // namespace hvsock

#endif  // HVSOCK_CORE_DURATION_TEXT_H_
