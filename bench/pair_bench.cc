// Core pair, no syscalls: two flows joined by the loopback backend
// (LoopbackDriver over BytePipes) moving 64 MiB per iteration in 64 B,
// 4 KiB and 64 KiB application writes, both codecs; and, in the same
// binary, memcpy of the same volume as the reference.
//
// The pump is deterministic and greedy (write until the send queue pushes
// back, send everything, receive everything, read everything), so what is
// measured is the two cores and the in-memory transport: each byte is
// copied into the pipe and out of it into the receiver's buffer; every
// other hand-over is by reference. BM_Memcpy runs first; each pair
// benchmark reports `over_memcpy`, its bytes/s over memcpy's in this run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/cord.h"
#include "backends/loopback/byte_pipe.h"
#include "backends/loopback/loopback_driver.h"
#include "bench/stopwatch.h"
#include "benchmark/benchmark.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "testing/pattern.h"
#include "testing/scripted_app.h"

namespace hvsock::testing {
namespace {

constexpr size_t kVolume = 64 << 20;

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "loopback pair: %s\n", status.ToString().c_str());
  std::abort();
}

// memcpy's bytes/s measured by BM_Memcpy in this run (0 if it did not run).
double memcpy_rate = 0;

// One 64 MiB buffer into another: the DRAM reference.
void BM_Memcpy(benchmark::State& state) {
  auto from = std::make_unique<char[]>(kVolume);
  auto to = std::make_unique<char[]>(kVolume);
  std::memset(from.get(), 'm', kVolume);
  std::memset(to.get(), 0, kVolume);
  double seconds = 0;
  for (auto _ : state) {
    double s = Time([&] {
      std::memcpy(to.get(), from.get(), kVolume);
      benchmark::DoNotOptimize(to.get());
      benchmark::ClobberMemory();
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * kVolume);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  memcpy_rate = bytes / seconds;
}

// Two flows over the loopback backend, A writing to B.
class LoopbackPair {
 public:
  explicit LoopbackPair(const FlowOptions& options)
      : a_(Flow::Create(options).value()),
        b_(Flow::Create(options).value()),
        a_driver_(a_, b_to_a_, a_to_b_),
        b_driver_(b_, a_to_b_, b_to_a_) {}

  // Moves `total` bytes (a whole number of messages) from A to B.
  void Stream(size_t total, const absl::Cord& message) {
    uint64_t to_write = total;
    uint64_t received = 0;
    while (received < total) {
      if (absl::Status s = testing::WriteRepeatedly(a_, message, &to_write);
          !s.ok()) {
        Die(s);
      }
      while (a_driver_.CanTransmit()) a_driver_.Transmit(SIZE_MAX);
      while (b_driver_.CanReceive()) b_driver_.Receive(SIZE_MAX);
      absl::StatusOr<ReadResult> end = testing::ReadUntilBlocked(
          b_, [&](absl::Cord data) { received += data.size(); });
      if (!end.ok()) Die(end.status());
      while (a_.PollEvent().has_value()) {
      }
      while (b_.PollEvent().has_value()) {
      }
    }
  }

 private:
  Flow a_;
  Flow b_;
  BytePipe a_to_b_;
  BytePipe b_to_a_;
  LoopbackDriver a_driver_;
  LoopbackDriver b_driver_;
};

// `max_send_frame` 0 keeps the default (4096, for old peers).
void BM_Pair(benchmark::State& state, Codec codec, uint32_t max_send_frame) {
  const size_t write_size = static_cast<size_t>(state.range(0));
  FlowOptions options;
  options.codec = codec;
  if (max_send_frame != 0) options.max_send_frame = max_send_frame;
  LoopbackPair pair(options);
  const absl::Cord message(testing::PatternBytes(write_size, 1));
  double seconds = 0;
  for (auto _ : state) {
    double s = Time([&] { pair.Stream(kVolume, message); });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * kVolume);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (memcpy_rate > 0)
    state.counters["over_memcpy"] = bytes / seconds / memcpy_rate;
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(4096)->Arg(64 * 1024)->UseManualTime();
}

BENCHMARK(BM_Memcpy)->UseManualTime();
BENCHMARK_CAPTURE(BM_Pair, native, Codec::kNative, 0)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Pair, framed, Codec::kFramed, 0)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Pair, framed_64k_frames, Codec::kFramed, 64 * 1024)
    ->Apply(Sizes);

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
