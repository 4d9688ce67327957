// StressRun: the client half of hvstress. Runs many echo connections, a
// bounded number at a time, on one EventLoop, and verifies every one.
//
// Connection i (counting from 0) is planned from the run's seed alone: its
// stream length, where its stream starts in the StreamPattern, and the
// size of each of its writes. So a seed replays the same streams and
// writes whatever the scheduling. Each connection:
//   1. connects, asynchronously on the loop (ConnectAsync); its connect
//      latency is from starting the connect to its callback, so it
//      includes waiting for the loop to get to the result;
//   2. writes its stream in writes of random size, as fast as the flow
//      takes them, and then closes its write side (half-close);
//   3. meanwhile reads the echo and compares it byte for byte with what it
//      sent (EchoCheck); the echo must end in a clean Eof right after its
//      last byte, and not before our own close;
//   4. is verified when its close completes (the server ended too). The
//      time from connected to close completed is its round-trip latency.
// Anything else is a failure, tallied by a stable error text.
//
// A connection that moves no byte for Options::idle_timeout before its
// close is abandoned as stalled; after its close the flow's close timeout
// bounds it, and while connecting, the connect timeout. Connects never
// block the loop's thread: a slow or absent peer delays only the
// connections waiting for it.
//
// Several runs may share one sequence of connection numbers (a counter,
// for ThreadedStress's runs on several threads): together they then run
// Options::connections connections, each number once, so a seed replays
// the same streams however many threads there are.
//
// A ClientRun (client_run.h). Thread-compatible: construct and Run() on
// one thread (the counter, the only state shared with other runs, is
// atomic).
#ifndef HVSOCK_TOOLS_HVSTRESS_STRESS_RUN_H_
#define HVSOCK_TOOLS_HVSTRESS_STRESS_RUN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/address.h"
#include "backends/posix/async_connector.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/unique_fd.h"
#include "tools/hvstress/client_run.h"
#include "tools/hvstress/error_tally.h"
#include "tools/hvstress/latency.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_result.h"

namespace hvsock::hvstress {

class StressRun : public ClientRun {
 public:
  // `loop`, `options` and `pattern` (and `shared_numbers`, if given) must
  // outlive the run. `options.seed` must be set. Connection numbers come
  // from `shared_numbers` if given, else from the run's own counter.
  StressRun(EventLoop& loop, const Options& options, const Address& target,
            const StreamPattern& pattern,
            std::atomic<uint64_t>* shared_numbers = nullptr);
  // A guest's echo server behind a VMM's Unix socket (hybrid vsock,
  // hyperkit): each connect includes the VMM's handshake.
  StressRun(EventLoop& loop, const Options& options,
            const VmmSocketAddress& target, const StreamPattern& pattern,
            std::atomic<uint64_t>* shared_numbers = nullptr);
  ~StressRun() override;

  StressRun(const StressRun&) = delete;
  StressRun& operator=(const StressRun&) = delete;

  // Runs every connection to its end. `on_progress` (may be empty) is
  // called about every `progress_interval` with the result so far. Fails
  // only if the loop does.
  absl::Status Run(
      const std::function<void(const StressResult&)>& on_progress,
      absl::Duration progress_interval = absl::Seconds(1)) override;

  // Stops starting connections and abandons the running ones (counted as
  // failed, "interrupted"). For a signal handler's loop watch.
  void Interrupt() override;

  const StressResult& result() const override { return result_; }

 private:
  struct Connection;

  StressRun(EventLoop& loop, const Options& options, const Address& target,
            std::optional<VmmSocketAddress> vmm_target,
            const StreamPattern& pattern,
            std::atomic<uint64_t>* shared_numbers);
  bool MayStart(absl::Time now) const;
  void StartMore();
  void OnConnected(Connection& c, absl::StatusOr<VmmConnection> connection);
  void Pump(Connection& c);
  void OnEvent(Connection& c, FlowEvent event);
  void Fail(Connection& c, absl::string_view error, absl::string_view detail);
  void Succeed(Connection& c);
  void End(Connection& c);
  void AbandonStalled(absl::Time now);

  EventLoop& loop_;
  const Options& options_;
  const Address target_;
  const std::optional<VmmSocketAddress> vmm_target_;
  const StreamPattern& pattern_;
  FlowOptions flow_options_;
  ConnectOptions connect_options_;
  absl::Time start_;
  std::atomic<uint64_t> own_numbers_{0};
  std::atomic<uint64_t>* next_index_;  // own_numbers_ or a shared counter
  bool interrupted_ = false;
  bool starting_ = false;  // inside StartMore (no re-entry)
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> active_;
  StressResult result_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_STRESS_RUN_H_
