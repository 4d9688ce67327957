// Latencies: samples of one kind of duration (connect, round trip) and
// their percentiles.
//
// Keeps every sample (8 bytes each; a million connections is 8 MB) so the
// percentiles are exact. Thread-compatible value type.
#ifndef HVSOCK_TOOLS_HVSTRESS_LATENCY_H_
#define HVSOCK_TOOLS_HVSTRESS_LATENCY_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"

namespace hvsock::hvstress {

class Latencies {
 public:
  void Add(absl::Duration sample) { samples_.push_back(sample); }
  // Every sample of `other` too (the runs of --threads, merged).
  void AddAll(const Latencies& other) {
    samples_.insert(samples_.end(), other.samples_.begin(),
                    other.samples_.end());
  }
  size_t count() const { return samples_.size(); }

  // The nearest-rank percentile, p in [0, 100]; zero without samples.
  // Sorts the samples on first use after an Add.
  absl::Duration Percentile(double p);
  absl::Duration Max() { return Percentile(100); }

 private:
  std::vector<absl::Duration> samples_;
  size_t sorted_ = 0;  // samples_[0, sorted_) is sorted and nothing else
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_LATENCY_H_
