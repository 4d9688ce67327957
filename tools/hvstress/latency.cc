#include "tools/hvstress/latency.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hvsock::hvstress {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1} << Latencies::kSubBucketBits;

}  // namespace

Latencies::Latencies() : buckets_(kBuckets, 0) {}

size_t Latencies::BucketOf(uint64_t nanos) {
  if (nanos < kSubBuckets) return static_cast<size_t>(nanos);
  int exponent = std::bit_width(nanos) - 1;  // >= kSubBucketBits
  int shift = exponent - kSubBucketBits;
  uint64_t sub = (nanos >> shift) & (kSubBuckets - 1);
  return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSubBuckets +
                             sub);
}

uint64_t Latencies::BucketStart(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  uint64_t shift = bucket / kSubBuckets - 1;
  uint64_t sub = bucket % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

void Latencies::Add(absl::Duration sample) {
  int64_t signed_nanos = absl::ToInt64Nanoseconds(sample);
  uint64_t nanos = signed_nanos > 0 ? static_cast<uint64_t>(signed_nanos) : 0;
  ++buckets_[BucketOf(nanos)];
  if (count_ == 0 || nanos < min_) min_ = nanos;
  if (count_ == 0 || nanos > max_) max_ = nanos;
  ++count_;
}

void Latencies::AddAll(const Latencies& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (count_ == 0 || other.max_ > max_) max_ = other.max_;
  count_ += other.count_;
}

absl::Duration Latencies::Percentile(double p) const {
  if (count_ == 0) return absl::ZeroDuration();
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the smallest sample with at least p% at or below it.
  uint64_t rank =
      static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return Max();
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += buckets_[bucket];
    if (seen < rank) continue;
    uint64_t start = BucketStart(bucket);
    uint64_t width = bucket + 1 < kBuckets ? BucketStart(bucket + 1) - start
                                           : ~uint64_t{0} - start;
    uint64_t middle = start + width / 2;
    return absl::Nanoseconds(std::clamp(middle, min_, max_));
  }
  return Max();
}

}  // namespace hvsock::hvstress
