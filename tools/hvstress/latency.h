// Latencies: samples of one kind of duration (connect, round trip) and
// their percentiles, in constant memory.
//
// A log-bucketed histogram: durations are counted in nanoseconds, each
// power-of-two range [2^e, 2^(e+1)) split into 64 equal buckets, and
// durations under 64 ns counted exactly. So the whole range, 0 to 292 years,
// takes kBuckets counters (about 30 KiB, allocated once at construction)
// however many samples are added: a run of a million or a billion
// connections costs the same.
//
// Bounded relative error: a percentile is reported as the middle of the
// bucket that holds it, at most half a bucket (1/128 of the true value,
// under 0.8%) from the exact nearest-rank sample, and never outside the
// smallest and largest samples, which are kept exactly (so Max() is exact).
//
// Thread-compatible value type.
#ifndef HVSOCK_TOOLS_HVSTRESS_LATENCY_H_
#define HVSOCK_TOOLS_HVSTRESS_LATENCY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace hvsock::hvstress {

class Latencies {
 public:
  // Buckets per power of two, and the number of buckets in all.
  static constexpr int kSubBucketBits = 6;
  static constexpr size_t kBuckets = (64 - kSubBucketBits + 1)
                                     << kSubBucketBits;
  // The largest relative error of Percentile() (below the largest sample).
  static constexpr double kMaxRelativeError = 1.0 / (2 << kSubBucketBits);

  Latencies();

  // Negative samples count as zero; finer than a nanosecond is dropped.
  void Add(absl::Duration sample);
  // Every sample of `other` too (the runs of --threads, merged).
  void AddAll(const Latencies& other);
  uint64_t count() const { return count_; }

  // The nearest-rank percentile, p in [0, 100] (within kMaxRelativeError,
  // see above); zero without samples.
  absl::Duration Percentile(double p) const;
  // The largest sample, exactly.
  absl::Duration Max() const { return absl::Nanoseconds(max_); }

  // Which bucket counts `nanos`, and the smallest value of a bucket; for
  // tests.
  static size_t BucketOf(uint64_t nanos);
  static uint64_t BucketStart(size_t bucket);

 private:
  std::vector<uint64_t> buckets_;  // kBuckets counters
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_LATENCY_H_
