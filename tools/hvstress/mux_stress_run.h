// MuxStressRun: the client half of `hvstress --mux[=N]`. The same verified
// echo streams as StressRun (stress_run.h: seeded lengths, origins and
// write sizes; the echo checked byte for byte, then a clean Eof, then the
// close completed), each carried as a channel of one of N multiplexed
// transport connections (vpnkit's wire format, core/mux) instead of a
// connection of its own. Channels are spread over the connections in turn;
// Options::parallel bounds the channels open at once.
//
// StressResult's `connect` latencies are the N transport connects; its
// `round_trip` the channels' (from Open to close completed). A transport
// that fails fails its channels; channels not yet started then go to the
// remaining connections. Not applied in this mode: the idle timeout (each
// channel's close timeout still bounds its close).
//
// Several runs (ThreadedStress, one per thread, each with its own
// transports) may share one sequence of stream numbers, as StressRuns do:
// together they run Options::connections channels, each number once.
//
// A ClientRun (client_run.h). Thread-compatible: construct and Run() on
// one thread (the shared counter is atomic).
#ifndef HVSOCK_TOOLS_HVSTRESS_MUX_STRESS_RUN_H_
#define HVSOCK_TOOLS_HVSTRESS_MUX_STRESS_RUN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/address.h"
#include "backends/posix/async_connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_async_connector.h"
#include "backends/posix/mux_loop.h"
#include "tools/hvstress/client_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_result.h"

namespace hvsock::hvstress {

class MuxStressRun : public ClientRun {
 public:
  // Connects `transports` (>= 1) multiplexed connections to `target`.
  // `loop`, `options` and `pattern` (and `shared_numbers`, if given) must
  // outlive the run; `options.seed` must be set. Stream numbers come from
  // `shared_numbers` if given, else from the run's own counter.
  MuxStressRun(EventLoop& loop, const Options& options, const Address& target,
               const StreamPattern& pattern, uint64_t transports,
               std::atomic<uint64_t>* shared_numbers = nullptr);
  ~MuxStressRun() override;
  MuxStressRun(const MuxStressRun&) = delete;
  MuxStressRun& operator=(const MuxStressRun&) = delete;

  absl::Status Run(
      const std::function<void(const StressResult&)>& on_progress,
      absl::Duration progress_interval = absl::Seconds(1)) override;
  void Interrupt() override;
  // result().multiplexed_connections: the transports that came up.
  const StressResult& result() const override { return result_; }

 private:
  struct Channel;
  struct Transport {
    PendingConnect connecting;
    PendingVmmConnect vmm_connecting;  // through a VMM's socket
    absl::Time started;
    std::unique_ptr<LoopMux> mux;
    bool failed = false;
  };
  void OnConnected(Transport& t, absl::StatusOr<UniqueFd> fd);
  void StartMore();
  void OnNews(LoopMux& mux);
  void Pump(Channel& c);
  void End(Channel& c, absl::string_view error, absl::string_view detail);

  EventLoop& loop_;
  const Options& options_;
  const Address target_;
  const StreamPattern& pattern_;
  std::vector<std::unique_ptr<Transport>> transports_;
  uint64_t transports_pending_ = 0;
  std::atomic<uint64_t> own_numbers_{0};
  std::atomic<uint64_t>* next_index_;  // own_numbers_ or a shared counter
  uint64_t next_transport_ = 0;
  bool interrupted_ = false;
  absl::Time start_;
  std::unordered_map<MuxChannel*, std::unique_ptr<Channel>> active_;
  StressResult result_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_MUX_STRESS_RUN_H_
