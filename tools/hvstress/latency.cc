#include "tools/hvstress/latency.h"

#include <algorithm>
#include <cmath>

namespace hvsock::hvstress {

absl::Duration Latencies::Percentile(double p) {
  if (samples_.empty()) return absl::ZeroDuration();
  if (sorted_ != samples_.size()) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = samples_.size();
  }
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest sample with at least p% at or below it.
  size_t rank = static_cast<size_t>(
      std::ceil(p / 100.0 * static_cast<double>(samples_.size())));
  return samples_[rank == 0 ? 0 : rank - 1];
}

}  // namespace hvsock::hvstress
