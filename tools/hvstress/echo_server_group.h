// EchoServerGroup: the echo server on several threads. One listener and a
// LoopGroup of N loops, each with its own EchoService (echo_service.h): an
// EchoServer (ForHandedFlows), or for multiplexed connections a
// MuxEchoServer (ForHandedConnections). The listener's connections are
// handed to the loops in turn and each is echoed, start to end, on the
// loop it was handed to (with multiplexing: every channel of it).
//
// hvstress --threads=N runs it for --server and for its in-process server,
// and with --mux for them whatever the number of threads.
// Start() listens on the calling thread (a bad address fails there, and the
// address is known before the first connect), then the loops serve until
// Stop().
//
// Thread-safety: Start, Stop, stats and the destructor from one
// controlling thread; stats() only after Stop().
#ifndef HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_GROUP_H_
#define HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_GROUP_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/address.h"
#include "backends/posix/listener.h"
#include "backends/posix/loop_group.h"
#include "core/flow_options.h"
#include "core/mux/mux_options.h"
#include "tools/hvstress/echo_service.h"
#include "tools/hvstress/error_tally.h"

namespace hvsock::hvstress {

class EchoServerGroup {
 public:
  // Makes the echo for one loop, before the loops start (on the calling
  // thread).
  using ServiceFactory =
      std::function<std::unique_ptr<EchoService>(EventLoop& loop)>;

  // `threads` >= 1 loops, each on its own thread, each with the echo
  // `make_service` makes for it.
  static absl::StatusOr<std::unique_ptr<EchoServerGroup>> Start(
      const Address& address, size_t threads,
      const ServiceFactory& make_service);
  // Each connection echoed as one flow with `flow_options`.
  static absl::StatusOr<std::unique_ptr<EchoServerGroup>> Start(
      const Address& address, const FlowOptions& flow_options, size_t threads);
  // Each connection a multiplexed one (the accepting side, `mux_options`),
  // every channel echoed.
  static absl::StatusOr<std::unique_ptr<EchoServerGroup>> StartMultiplexed(
      const Address& address, const MuxOptions& mux_options, size_t threads);
  ~EchoServerGroup();  // stops it if still running

  EchoServerGroup(const EchoServerGroup&) = delete;
  EchoServerGroup& operator=(const EchoServerGroup&) = delete;

  const Address& address() const { return listener_->local_address(); }
  size_t threads() const { return group_->size(); }

  // Stops every loop (flows still open are dropped) and joins the threads.
  // Returns the first loop error, if a loop failed.
  absl::Status Stop();
  // Every loop's stats added up, accept errors included. After Stop().
  const EchoServerStats& stats() const { return stats_; }
  // Flows accepted by each loop, in loop order. After Stop().
  const std::vector<uint64_t>& accepted_per_thread() const {
    return accepted_per_thread_;
  }
  // Transport connections handed to each loop, in loop order (the same as
  // accepted_per_thread() without multiplexing). After Stop().
  const std::vector<uint64_t>& connections_per_thread() const {
    return connections_per_thread_;
  }

 private:
  EchoServerGroup() = default;

  std::unique_ptr<Listener> listener_;
  std::unique_ptr<LoopGroup> group_;
  std::vector<std::unique_ptr<EchoService>> servers_;  // one per loop
  ErrorTally accept_errors_;  // loop 0's thread while running
  bool stopped_ = false;
  absl::Status stop_status_;
  EchoServerStats stats_;
  std::vector<uint64_t> accepted_per_thread_;
  std::vector<uint64_t> connections_per_thread_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_GROUP_H_
