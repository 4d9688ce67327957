// Percentiles of a sample of durations, for the latency benchmarks.
#ifndef HVSOCK_BENCH_PERCENTILES_H_
#define HVSOCK_BENCH_PERCENTILES_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace hvsock::testing {

// The value below which `fraction` (0..1) of `samples` fall (nearest rank);
// 0 for an empty sample. Reorders `samples`.
inline double Percentile(std::vector<double>& samples, double fraction) {
  if (samples.empty()) return 0;
  size_t rank =
      static_cast<size_t>(fraction * static_cast<double>(samples.size()));
  rank = std::min(rank, samples.size() - 1);
  std::nth_element(samples.begin(), samples.begin() + static_cast<long>(rank),
                   samples.end());
  return samples[rank];
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BENCH_PERCENTILES_H_
