// Real sockets, side by side in one run: an AF_UNIX socketpair moved with
// plain write()/read() (one write() per application message) against the
// same kind of socketpair carrying a flow (native and framed) driven by the
// posix backend, on the same event loop, for 64 B, 4 KiB and 64 KiB
// application writes.
//
// Each flow iteration moves the same volume through the raw pair twice and
// then through the flows, timing each; the flow's time is the benchmark's
// time. Two ratios, each against raw bytes/s measured in the same
// iterations, so background load affects both sides alike:
//   flow_over_raw       raw with one write() per application message;
//   flow_over_raw_best  raw at its best: the same bytes in 64 KiB writes
//                       (what a program that buffers its messages gets
//                       from the socket), whatever the message size.
// BM_Raw reports the raw figures on their own. The *_copied variants write
// 64 B messages from the application's bytes instead of as shared Cords.
//
// The Time column is the flow's part only; the CPU column covers the whole
// iteration, raw part included.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "backends/posix/event_loop.h"
#include "bench/flow_socket_pair.h"
#include "bench/raw_socket_pair.h"
#include "bench/stopwatch.h"
#include "benchmark/benchmark.h"
#include "core/flow_options.h"

namespace hvsock::testing {
namespace {

// Bytes moved per iteration: enough for many socket buffers' worth, short
// enough that a run has many iterations.
constexpr size_t kVolume = 8 << 20;

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) std::abort();
  return *std::move(loop);
}

// A message of `size` bytes as one flat Cord that the writer can hand over
// again and again without copying.
absl::Cord Message(size_t size) { return absl::Cord(std::string(size, 'f')); }

void BM_Raw(benchmark::State& state) {
  const size_t write_size = static_cast<size_t>(state.range(0));
  std::unique_ptr<EventLoop> loop = NewLoop();
  RawSocketPair raw(*loop);
  for (auto _ : state) {
    state.SetIterationTime(Time([&] { raw.Stream(kVolume, write_size); }));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kVolume));
  state.counters["writes_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kVolume / write_size),
      benchmark::Counter::kIsRate);
}

enum class Writes { kShareCord, kCopyBytes };

// `max_send_frame` 0 keeps the default (4096, for old peers).
void BM_Flow(benchmark::State& state, Codec codec, uint32_t max_send_frame,
             Writes writes = Writes::kShareCord) {
  const size_t write_size = static_cast<size_t>(state.range(0));
  std::unique_ptr<EventLoop> loop = NewLoop();
  RawSocketPair raw(*loop);
  FlowOptions options;
  options.codec = codec;
  if (max_send_frame != 0) options.max_send_frame = max_send_frame;
  FlowSocketPair flows(*loop, options);
  flows.set_copy_writes(writes == Writes::kCopyBytes);
  const absl::Cord message = Message(write_size);
  double raw_seconds = 0;
  double raw_best_seconds = 0;
  double flow_seconds = 0;
  for (auto _ : state) {
    raw_seconds += Time([&] { raw.Stream(kVolume, write_size); });
    raw_best_seconds +=
        Time([&] { raw.Stream(kVolume, RawSocketPair::kMaxWrite); });
    double seconds = Time([&] { flows.Stream(kVolume, message); });
    flow_seconds += seconds;
    state.SetIterationTime(seconds);
  }
  const double bytes = static_cast<double>(state.iterations() * kVolume);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["raw_bytes_per_second"] = bytes / raw_seconds;
  state.counters["flow_over_raw"] = raw_seconds / flow_seconds;
  state.counters["raw_best_bytes_per_second"] = bytes / raw_best_seconds;
  state.counters["flow_over_raw_best"] = raw_best_seconds / flow_seconds;
  // Coalescing: application writes per sendmsg() the sender's driver made.
  const SocketDriverStats& sender = flows.a().driver().stats();
  state.counters["writes_per_sendmsg"] = bytes /
                                         static_cast<double>(write_size) /
                                         static_cast<double>(sender.sends);
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(4096)->Arg(64 * 1024)->UseManualTime();
}

BENCHMARK(BM_Raw)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Flow, native, Codec::kNative, 0)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Flow, framed, Codec::kFramed, 0)->Apply(Sizes);
// Framed with 64 KiB Data messages, for peers known to read them (every
// receiver of this library accepts them by default): a 16th of the headers.
BENCHMARK_CAPTURE(BM_Flow, framed_64k_frames, Codec::kFramed, 64 * 1024)
    ->Apply(Sizes);
// Small messages written from the application's own bytes (copied into the
// send queue, as small Cords are too) rather than as a shared Cord each: no
// reference count taken and dropped per message.
BENCHMARK_CAPTURE(BM_Flow, native_copied, Codec::kNative, 0, Writes::kCopyBytes)
    ->Arg(64)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_Flow, framed_copied, Codec::kFramed, 0, Writes::kCopyBytes)
    ->Arg(64)
    ->UseManualTime();

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
