// Latency: 1-byte ping-pong round trips over an AF_UNIX socketpair, raw
// write()/read() against a flow (native and framed), both ends on one event
// loop thread.
//
// Each flow iteration is one raw round trip followed by one flow round
// trip, each timed on its own; the flow's is the benchmark's time. The
// counters give the median and p99 of both samples, in microseconds, and
// their ratios (flow over raw), so the comparison is made in the same run
// under the same background load. BM_RawPingPong reports raw on its own.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backends/posix/event_loop.h"
#include "bench/flow_socket_pair.h"
#include "bench/percentiles.h"
#include "bench/raw_socket_pair.h"
#include "bench/stopwatch.h"
#include "benchmark/benchmark.h"
#include "core/flow_options.h"

namespace hvsock::testing {
namespace {

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) std::abort();
  return *std::move(loop);
}

constexpr double kMicros = 1e6;

void ReportPercentiles(benchmark::State& state, const char* prefix,
                       std::vector<double>& seconds) {
  std::string p(prefix);
  state.counters[p + "median_us"] = Percentile(seconds, 0.5) * kMicros;
  state.counters[p + "p99_us"] = Percentile(seconds, 0.99) * kMicros;
}

void BM_RawPingPong(benchmark::State& state) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  RawSocketPair raw(*loop);
  std::vector<double> samples;
  for (auto _ : state) {
    double seconds = Time([&] { raw.PingPong(); });
    samples.push_back(seconds);
    state.SetIterationTime(seconds);
  }
  ReportPercentiles(state, "", samples);
}

void BM_FlowPingPong(benchmark::State& state, Codec codec) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  RawSocketPair raw(*loop);
  FlowOptions options;
  options.codec = codec;
  FlowSocketPair flows(*loop, options);
  std::vector<double> raw_samples;
  std::vector<double> flow_samples;
  for (auto _ : state) {
    raw_samples.push_back(Time([&] { raw.PingPong(); }));
    double seconds = Time([&] { flows.PingPong(); });
    flow_samples.push_back(seconds);
    state.SetIterationTime(seconds);
  }
  ReportPercentiles(state, "", flow_samples);
  ReportPercentiles(state, "raw_", raw_samples);
  state.counters["median_over_raw"] =
      state.counters["median_us"] / state.counters["raw_median_us"];
  state.counters["p99_over_raw"] =
      state.counters["p99_us"] / state.counters["raw_p99_us"];
}

BENCHMARK(BM_RawPingPong)->UseManualTime();
BENCHMARK_CAPTURE(BM_FlowPingPong, native, Codec::kNative)->UseManualTime();
BENCHMARK_CAPTURE(BM_FlowPingPong, framed, Codec::kFramed)->UseManualTime();

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
