// The multiplexer (core/mux over backends/posix LoopMux) against plain
// flows, in the same run, on one epoll loop, one thread, AF_UNIX sockets.
//
//  * BM_FlowSockets/N then BM_MuxChannels/N (N = 1, 100, 10000): every one
//    of N streams moves kTotal / N bytes (at least 4 KiB) from one end to
//    the other at once; plain flows use N socketpairs (2N descriptors;
//    capped by the descriptor limit, see `fits`), channels share one.
//    BM_MuxChannels reports `mux_over_flows`, its aggregate rate over the
//    flows' with the same N.
//  * BM_FlowPingPong then BM_MuxPingPong: 1-byte round trips on one flow vs
//    one channel; `latency_over_flow` is the channel's time per round trip
//    over the flow's.
//  * BM_FlowBulk then BM_MuxBulk: one stream of 64 MiB in 64 KiB writes, a
//    plain flow vs one channel; `mux_over_flow` (the goal: >= 0.9)
//    comes from BM_MuxBulk alone, which streams over a flow and a channel
//    in turn in every iteration (BM_FlowBulk gives the flow's own figure).
//  * BM_IdleChannels/N: user-space memory per idle channel end (its
//    MuxChannel: Flow core and flow-control state, and the connection's
//    bookkeeping), the growth of malloc's in-use bytes when N channels are
//    opened, accepted and idle, divided by 2N (both ends are in this
//    process). Compare bench/scale_bench BM_IdleFlows (per flow: Flow +
//    SocketDriver + loop entry; plus a socket in the kernel).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/unique_fd.h"
#include "bench/flow_socket_pair.h"
#include "bench/socket_pair.h"
#include "bench/stopwatch.h"
#include "benchmark/benchmark.h"
#include "core/flow_error.h"
#include "core/flow_options.h"
#include "testing/heap_in_use.h"
#include "testing/scripted_app.h"

namespace hvsock::testing {
namespace {

constexpr size_t kTotal = 64 * 1024 * 1024;
constexpr size_t kMinPerStream = 4096;
constexpr size_t kWriteSize = 4096;
constexpr size_t kBulkWrite = 64 * 1024;
constexpr size_t kSpareDescriptors = 64;

[[noreturn]] void Die(const absl::Status& status) {
  fprintf(stderr, "mux_bench: %s\n", std::string(status.message()).c_str());
  std::abort();
}

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) Die(loop.status());
  return *std::move(loop);
}

size_t PerStream(size_t n) { return std::max(kMinPerStream, kTotal / n); }

// Two LoopMux ends over one socketpair with `n` channels opened by A and
// accepted by B, and the small application the benchmarks need.
class MuxPair {
 public:
  MuxPair(EventLoop& loop, size_t n) : loop_(loop) {
    auto [fa, fb] = MakeSocketPair();
    MuxOptions options;
    options.max_live_channels = std::max<size_t>(4096, n + 16);
    options.max_pending_opens = std::max<size_t>(128, n);
    options.receive_budget =
        std::max<size_t>(options.receive_budget, 2 * options.max_live_channels);
    options.connector = true;
    a_ = Make(std::move(fa), options, /*side_a=*/true);
    options.connector = false;
    b_ = Make(std::move(fb), options, /*side_a=*/false);
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<MuxChannel*> ch =
          a_->mux().Open(MuxDestination::Unix("/bench"), loop_.Now());
      if (!ch.ok()) Die(ch.status());
      Add(true, *ch);
    }
    a_->Kick();
    Run([&] {
      return b_ends_.size() == n && a_->mux().stats().transmit_queued == 0 &&
             b_->mux().stats().transmit_queued == 0;
    });
  }

  void StartStream(size_t per_channel, const absl::Cord& message) {
    message_ = message;
    ping_ = false;
    for (End& e : a_ends_) e.to_write = per_channel;
    for (End& e : b_ends_) {
      e.received = 0;
      e.target = per_channel;
    }
    for (End& e : a_ends_) Pump(e);
    a_->Kick();
  }
  void PingPong() {
    ping_ = true;
    a_ends_[0].received = 0;
    if (!a_ends_[0].channel->Write("p").ok()) std::abort();
    a_->Kick();
    Run([&] { return a_ends_[0].received == 1; });
  }
  bool done() const {
    for (const End& e : b_ends_) {
      if (e.received < e.target) return false;
    }
    return true;
  }
  void Run(const std::function<bool()>& until) {
    if (absl::Status s = loop_.RunUntil(until, absl::Seconds(120)); !s.ok()) {
      Die(s);
    }
  }

 private:
  struct End {
    MuxChannel* channel = nullptr;
    uint64_t to_write = 0;
    uint64_t received = 0;
    uint64_t target = 0;
  };

  std::unique_ptr<LoopMux> Make(UniqueFd fd, const MuxOptions& options,
                                bool side_a) {
    absl::StatusOr<std::unique_ptr<LoopMux>> m =
        LoopMux::Create(loop_, std::move(fd), options,
                        [this, side_a](LoopMux& mux) { OnNews(mux, side_a); });
    if (!m.ok()) Die(m.status());
    return *std::move(m);
  }

  void Add(bool side_a, MuxChannel* channel) {
    std::vector<End>& ends = side_a ? a_ends_ : b_ends_;
    (side_a ? a_index_ : b_index_)[channel] = ends.size();
    ends.push_back({channel});
  }

  void Pump(End& e) {
    absl::Status s =
        testing::WriteRepeatedly(*e.channel, message_, &e.to_write);
    if (!s.ok()) Die(s);
  }

  void OnNews(LoopMux& mux, bool side_a) {
    while (MuxChannel* incoming = mux.mux().PollIncoming()) {
      if (absl::Status s = mux.mux().Accept(incoming); !s.ok()) Die(s);
      Add(side_a, incoming);
    }
    auto& index = side_a ? a_index_ : b_index_;
    std::vector<End>& ends = side_a ? a_ends_ : b_ends_;
    while (MuxChannel* channel = mux.mux().PollChannelEvent()) {
      End& e = ends[index.at(channel)];
      bool writable = false;
      while (std::optional<FlowEvent> ev = channel->PollEvent()) {
        if (*ev == FlowEvent::kWritable) writable = true;
        if (*ev == FlowEvent::kFailed) Die(channel->error());
      }
      if (writable && !ping_) Pump(e);
      const bool echoes = ping_ && !side_a;
      absl::StatusOr<ReadResult> last =
          testing::ReadUntilBlocked(*channel, [&](absl::Cord data) {
            e.received += data.size();
            if (echoes && !channel->Write(std::move(data)).ok()) std::abort();
          });
      if (!last.ok()) Die(last.status());
    }
  }

  EventLoop& loop_;
  std::unique_ptr<LoopMux> a_;
  std::unique_ptr<LoopMux> b_;
  std::vector<End> a_ends_, b_ends_;
  std::unordered_map<MuxChannel*, size_t> a_index_, b_index_;
  absl::Cord message_;
  bool ping_ = false;
};

std::map<std::string, double>& Baselines() {
  static auto* rates = new std::map<std::string, double>();
  return *rates;
}

// ── N streams ───────────────────────────────────────────────────────────

void BM_FlowSockets(benchmark::State& state) {
  static const size_t limit = RaiseDescriptorLimit();
  const size_t wanted = static_cast<size_t>(state.range(0));
  const size_t room =
      limit > kSpareDescriptors ? (limit - kSpareDescriptors) / 2 : 0;
  const size_t n = std::min(wanted, room);
  state.counters["streams"] = static_cast<double>(n);
  state.counters["fits"] = n == wanted ? 1 : 0;
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::vector<std::unique_ptr<FlowSocketPair>> pairs;
  for (size_t i = 0; i < n; ++i) {
    pairs.push_back(std::make_unique<FlowSocketPair>(*loop, FlowOptions()));
  }
  const absl::Cord message(std::string(kWriteSize, 'f'));
  const size_t per = PerStream(wanted);
  double seconds = 0;
  for (auto _ : state) {
    const double s = Time([&] {
      for (auto& p : pairs) p->StartStream(per, message);
      if (!loop->RunUntil(
                   [&] {
                     for (auto& p : pairs) {
                       if (!p->done()) return false;
                     }
                     return true;
                   },
                   absl::Seconds(120))
               .ok()) {
        std::abort();
      }
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * n * per);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  Baselines()[absl::StrCat("streams", wanted)] = bytes / seconds;
}

void BM_MuxChannels(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  state.counters["streams"] = static_cast<double>(n);
  std::unique_ptr<EventLoop> loop = NewLoop();
  MuxPair pair(*loop, n);
  const absl::Cord message(std::string(kWriteSize, 'm'));
  const size_t per = PerStream(n);
  double seconds = 0;
  for (auto _ : state) {
    const double s = Time([&] {
      pair.StartStream(per, message);
      pair.Run([&] { return pair.done(); });
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * n * per);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  auto base = Baselines().find(absl::StrCat("streams", n));
  if (base != Baselines().end()) {
    state.counters["mux_over_flows"] = (bytes / seconds) / base->second;
  }
}

// ── Latency ─────────────────────────────────────────────────────────────

constexpr int kRoundTrips = 200;

void BM_FlowPingPong(benchmark::State& state) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  FlowSocketPair pair(*loop, FlowOptions());
  double seconds = 0;
  for (auto _ : state) {
    const double s = Time([&] {
      for (int i = 0; i < kRoundTrips; ++i) pair.PingPong();
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  Baselines()["pingpong"] = seconds / static_cast<double>(state.iterations());
}

void BM_MuxPingPong(benchmark::State& state) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  MuxPair pair(*loop, 1);
  double seconds = 0;
  for (auto _ : state) {
    const double s = Time([&] {
      for (int i = 0; i < kRoundTrips; ++i) pair.PingPong();
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double per_iteration =
      seconds / static_cast<double>(state.iterations());
  state.counters["us_per_round_trip"] = per_iteration * 1e6 / kRoundTrips;
  auto base = Baselines().find("pingpong");
  if (base != Baselines().end()) {
    state.counters["latency_over_flow"] = per_iteration / base->second;
  }
}

// ── One bulk stream ─────────────────────────────────────────────────────

void BM_FlowBulk(benchmark::State& state) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  FlowSocketPair pair(*loop, FlowOptions());
  const absl::Cord message(std::string(kBulkWrite, 'b'));
  double seconds = 0;
  for (auto _ : state) {
    const double s = Time([&] { pair.Stream(kTotal, message); });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * kTotal);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// Each iteration streams over a plain flow and then over a channel, on the
// same loop, so that load from elsewhere on the machine falls on both alike;
// the iteration's time is the channel's, and `mux_over_flow` is the flow's
// total time over the channel's.
void BM_MuxBulk(benchmark::State& state) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  FlowSocketPair flows(*loop, FlowOptions());
  MuxPair pair(*loop, 1);
  const absl::Cord message(std::string(kBulkWrite, 'b'));
  double flow_seconds = 0;
  double seconds = 0;
  for (auto _ : state) {
    flow_seconds += Time([&] { flows.Stream(kTotal, message); });
    const double s = Time([&] {
      pair.StartStream(kTotal, message);
      pair.Run([&] { return pair.done(); });
    });
    seconds += s;
    state.SetIterationTime(s);
  }
  const double bytes = static_cast<double>(state.iterations() * kTotal);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["mux_over_flow"] = flow_seconds / seconds;
}

// ── Memory per idle channel ─────────────────────────────────────────────

void BM_IdleChannels(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  double per_end = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<EventLoop> loop = NewLoop();
    loop->RunOnce(absl::ZeroDuration()).IgnoreError();
    const size_t before = HeapInUse();
    state.ResumeTiming();
    {
      MuxPair pair(*loop, n);
      state.PauseTiming();
      per_end =
          (static_cast<double>(HeapInUse()) - static_cast<double>(before)) /
          static_cast<double>(2 * n);
    }
    loop.reset();
    state.ResumeTiming();
  }
  state.counters["bytes_per_idle_channel_end"] = per_end;
  state.counters["sizeof_mux_channel"] = sizeof(MuxChannel);
}

BENCHMARK(BM_FlowSockets)
    ->Arg(1)
    ->Arg(100)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MuxChannels)
    ->Arg(1)
    ->Arg(100)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowPingPong)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MuxPingPong)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowBulk)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MuxBulk)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IdleChannels)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
