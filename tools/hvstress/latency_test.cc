// Latencies: percentiles within the documented relative error of the exact
// ones, an exact maximum, and memory that does not grow with the samples.
#include "tools/hvstress/latency.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hvsock::hvstress {
namespace {

// The nearest-rank percentile of `sorted`, computed the slow, exact way.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  size_t rank = static_cast<size_t>(
      std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

TEST(Latencies, NoSamplesIsZero) {
  Latencies latencies;
  EXPECT_EQ(latencies.count(), 0u);
  EXPECT_EQ(latencies.Percentile(50), absl::ZeroDuration());
  EXPECT_EQ(latencies.Max(), absl::ZeroDuration());
}

TEST(Latencies, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  EXPECT_EQ(Latencies::BucketOf(0), 0u);
  EXPECT_EQ(Latencies::BucketOf(UINT64_MAX), Latencies::kBuckets - 1);
  for (size_t bucket = 1; bucket < Latencies::kBuckets; ++bucket) {
    uint64_t start = Latencies::BucketStart(bucket);
    ASSERT_GT(start, Latencies::BucketStart(bucket - 1));
    ASSERT_EQ(Latencies::BucketOf(start), bucket);
    ASSERT_EQ(Latencies::BucketOf(start - 1), bucket - 1);
  }
}

TEST(Latencies, PercentilesAreWithinTheRelativeErrorOfTheExactOnes) {
  // Log-uniform from 1 µs to 10 s: every bucket width is exercised.
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> exponent(3, 10);
  Latencies latencies;
  std::vector<uint64_t> exact;
  for (int i = 0; i < 100000; ++i) {
    uint64_t nanos = static_cast<uint64_t>(std::pow(10.0, exponent(random)));
    exact.push_back(nanos);
    latencies.Add(absl::Nanoseconds(nanos));
  }
  std::sort(exact.begin(), exact.end());
  EXPECT_EQ(latencies.count(), exact.size());
  for (double p : {0.0, 0.1, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99}) {
    double want = static_cast<double>(ExactPercentile(exact, p));
    double got = absl::ToDoubleNanoseconds(latencies.Percentile(p));
    EXPECT_LE(std::abs(got - want), want * Latencies::kMaxRelativeError)
        << "p" << p << ": " << got << " ns, exactly " << want << " ns";
  }
  EXPECT_EQ(latencies.Max(), absl::Nanoseconds(exact.back()));
  EXPECT_EQ(latencies.Percentile(100), absl::Nanoseconds(exact.back()));
}

TEST(Latencies, ShortDurationsAreExact) {
  Latencies latencies;
  for (int nanos = 1; nanos <= 50; ++nanos) {
    latencies.Add(absl::Nanoseconds(nanos));
  }
  EXPECT_EQ(latencies.Percentile(50), absl::Nanoseconds(25));
  EXPECT_EQ(latencies.Percentile(2), absl::Nanoseconds(1));
}

TEST(Latencies, AReportedPercentileNeverLiesOutsideTheSamples) {
  // 1,000,000 ns is not the middle of its bucket, but every sample is it.
  Latencies latencies;
  for (int i = 0; i < 10; ++i) latencies.Add(absl::Microseconds(1000));
  EXPECT_EQ(latencies.Percentile(0), absl::Microseconds(1000));
  EXPECT_EQ(latencies.Percentile(50), absl::Microseconds(1000));
  EXPECT_EQ(latencies.Max(), absl::Microseconds(1000));
}

TEST(Latencies, NegativeSamplesCountAsZero) {
  Latencies latencies;
  latencies.Add(absl::Seconds(-1));
  EXPECT_EQ(latencies.count(), 1u);
  EXPECT_EQ(latencies.Max(), absl::ZeroDuration());
}

TEST(Latencies, AMillionSamplesAllocateNothing) {
  Latencies latencies;
  size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 1000000; ++i) {
    latencies.Add(absl::Microseconds(i % 5000) + absl::Nanoseconds(i));
  }
  EXPECT_EQ(mallinfo2().uordblks, before);
  EXPECT_EQ(latencies.count(), 1000000u);
}

}  // namespace
}  // namespace hvsock::hvstress
