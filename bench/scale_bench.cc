// Scale: 1,000 and 10,000 flows on one epoll loop, one thread.
//
// Flows come in socketpairs whose two ends are both flows on the loop, so
// N flows hold N descriptors. RLIMIT_NOFILE is raised to its hard limit
// first; if N flows do not fit, the benchmark runs as many as fit and says
// so (`flows` is what ran, `fits` is 1 when all N did).
//
//  * BM_IdleFlows: user-space memory per idle flow (a LoopFlow: the Flow
//    core, its SocketDriver and the loop's bookkeeping), measured as the
//    growth of malloc's in-use bytes (mallinfo2, allocator overhead
//    included) from before the flows were added to after the loop has
//    serviced each once and they went idle. Kernel socket buffers are not
//    in it. The time is that of adding N flows and one pass over them.
//  * BM_ActiveRaw / BM_ActiveFlows: aggregate throughput with every pair
//    streaming 64 KiB from one end to the other in 4 KiB writes, all at
//    once: raw write()/read() pairs, then flows. BM_ActiveFlows reports
//    `flow_over_raw` against the raw run with the same N (run first).
#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "bench/flow_socket_pair.h"
#include "bench/raw_socket_pair.h"
#include "bench/socket_pair.h"
#include "bench/stopwatch.h"
#include "benchmark/benchmark.h"
#include "core/flow_options.h"

namespace hvsock::testing {
namespace {

constexpr size_t kPerPair = 64 * 1024;
constexpr size_t kWriteSize = 4096;
// Descriptors kept free for the loop, stdio and the benchmark library.
constexpr size_t kSpareDescriptors = 64;

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) std::abort();
  return *std::move(loop);
}

// How many of `wanted` flows (an even number: pairs) fit under the
// descriptor limit, which is raised first.
size_t FlowsThatFit(benchmark::State& state, size_t wanted) {
  static const size_t limit = RaiseDescriptorLimit();
  size_t room = limit > kSpareDescriptors ? limit - kSpareDescriptors : 0;
  size_t flows = std::min(wanted, room / 2 * 2);
  state.counters["flows"] = static_cast<double>(flows);
  state.counters["fits"] = flows == wanted ? 1 : 0;
  state.counters["fd_limit"] = static_cast<double>(limit);
  return flows;
}

size_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

void BM_IdleFlows(benchmark::State& state) {
  const size_t flows = FlowsThatFit(state, static_cast<size_t>(state.range(0)));
  double bytes_per_flow = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<EventLoop> loop = NewLoop();
    loop->RunOnce(absl::ZeroDuration()).IgnoreError();  // its own buffers
    std::vector<std::pair<UniqueFd, UniqueFd>> pairs;
    pairs.reserve(flows / 2);
    for (size_t i = 0; i < flows / 2; ++i) pairs.push_back(MakeSocketPair());
    std::vector<LoopFlow*> added;
    added.reserve(flows);
    const size_t before = HeapInUse();
    state.ResumeTiming();
    for (auto& [a, b] : pairs) {
      for (UniqueFd* fd : {&a, &b}) {
        absl::StatusOr<LoopFlow*> flow = loop->AddFlow(
            std::move(*fd), FlowOptions(), [](FlowHandle&, FlowEvent) {});
        if (!flow.ok()) std::abort();
        added.push_back(*flow);
      }
    }
    loop->RunOnce(absl::ZeroDuration()).IgnoreError();
    state.PauseTiming();
    bytes_per_flow =
        static_cast<double>(HeapInUse() - before) / static_cast<double>(flows);
    loop.reset();  // releases the flows
    state.ResumeTiming();
  }
  state.counters["bytes_per_idle_flow"] = bytes_per_flow;
  state.counters["sizeof_loop_flow"] = sizeof(LoopFlow);
  state.counters["sizeof_flow_and_driver"] =
      sizeof(Flow) + sizeof(SocketDriver);
}

// Raw aggregate bytes/s by number of flows, for BM_ActiveFlows's ratio.
std::map<size_t, double>& RawRates() {
  static auto* rates = new std::map<size_t, double>();
  return *rates;
}

// Every pair streams kPerPair bytes at once, `start` starting each one;
// times the iterations and returns the aggregate bytes/s.
template <typename SocketPairT, typename Start>
double StreamAll(benchmark::State& state, EventLoop& loop,
                 std::vector<std::unique_ptr<SocketPairT>>& pairs,
                 Start start) {
  auto all_done = [&] {
    for (auto& pair : pairs) {
      if (!pair->done()) return false;
    }
    return true;
  };
  double seconds = 0;
  for (auto _ : state) {
    double s = Time([&] {
      for (auto& pair : pairs) start(*pair);
      if (!loop.RunUntil(all_done, absl::Seconds(120)).ok()) std::abort();
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes =
      static_cast<double>(state.iterations() * pairs.size() * kPerPair);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  return bytes / seconds;
}

void BM_ActiveRaw(benchmark::State& state) {
  const size_t flows = FlowsThatFit(state, static_cast<size_t>(state.range(0)));
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::vector<std::unique_ptr<RawSocketPair>> pairs;
  for (size_t i = 0; i < flows / 2; ++i) {
    pairs.push_back(std::make_unique<RawSocketPair>(*loop));
  }
  RawRates()[flows] = StreamAll(state, *loop, pairs, [](RawSocketPair& pair) {
    pair.StartStream(kPerPair, kWriteSize);
  });
}

void BM_ActiveFlows(benchmark::State& state) {
  const size_t flows = FlowsThatFit(state, static_cast<size_t>(state.range(0)));
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::vector<std::unique_ptr<FlowSocketPair>> pairs;
  for (size_t i = 0; i < flows / 2; ++i) {
    pairs.push_back(std::make_unique<FlowSocketPair>(*loop, FlowOptions()));
  }
  const absl::Cord message(std::string(kWriteSize, 's'));
  const double rate = StreamAll(state, *loop, pairs, [&](FlowSocketPair& pair) {
    pair.StartStream(kPerPair, message);
  });
  auto raw = RawRates().find(flows);
  if (raw != RawRates().end()) {
    state.counters["flow_over_raw"] = rate / raw->second;
  }
}

BENCHMARK(BM_IdleFlows)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ActiveRaw)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ActiveFlows)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
