// EchoServer: accepts flows on a listener and echoes each one.
//
// Every accepted flow's bytes are written back as they arrive, in order,
// holding at most one read's worth (256 KiB) beyond the flow's own bounded
// buffers (backpressure: it stops reading while the echo cannot be
// queued). At the client's Eof — which the flow contract gives only after
// the last byte — it closes, so its end follows the last echoed byte; the
// flow is dropped once its close completes.
//
// Accepting is a LoopListener's: out of descriptors, the server pauses
// accepting with backoff instead of spinning, tallies each episode as an
// "accept paused" error, and resumes once flows close.
//
// It runs on an EventLoop the caller owns and drives (see
// EchoServerThread for one on its own thread). Without a listener
// (ForHandedFlows) it echoes only the connections given to Adopt(): that
// is how EchoServerGroup spreads one listener's connections over several
// loops (an EchoService, echo_service.h). Thread-compatible: use it on the
// loop's thread only.
#ifndef HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_H_
#define HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "backends/address.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/loop_listener.h"
#include "core/flow_options.h"
#include "tools/hvstress/echo_service.h"
#include "tools/hvstress/error_tally.h"

namespace hvsock::hvstress {

class EchoServer : public EchoService {
 public:
  // Listens on `address` and watches the listener on `loop`, which must
  // outlive the server. Flows use `flow_options`. `on_listener_report`, if
  // given, also hears of accept pauses and recoveries as they happen.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      EventLoop& loop, const Address& address, const FlowOptions& flow_options,
      std::function<void(const ListenerReport&)> on_listener_report = {});
  // Echoes only connections handed to Adopt(); `loop` must outlive it.
  static std::unique_ptr<EchoServer> ForHandedFlows(
      EventLoop& loop, const FlowOptions& flow_options);
  // Stops accepting and drops the flows still open.
  ~EchoServer() override;

  // Echoes `fd`, a connected stream socket, as if accepted here.
  void Adopt(UniqueFd fd) override;

  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Where it listens (with the port the kernel chose, if any). Not for a
  // server made by ForHandedFlows.
  const Address& address() const {
    return accepting_->listener().local_address();
  }
  const EchoServerStats& stats() const override { return stats_; }
  // Each connection is one flow.
  uint64_t connections() const override { return stats_.accepted; }
  uint64_t open_flows() const { return open_.size(); }

 private:
  struct Echo;
  EchoServer(EventLoop& loop, const FlowOptions& flow_options)
      : loop_(loop), flow_options_(flow_options) {}

  void Adopt(AcceptedConnection accepted);
  void Pump(FlowHandle& flow, Echo& echo);
  void OnEvent(FlowHandle& flow, Echo& echo, FlowEvent event);
  void Finish(FlowHandle& flow, Echo& echo, const absl::Status& error);

  EventLoop& loop_;
  std::unique_ptr<LoopListener> accepting_;
  FlowOptions flow_options_;
  EchoServerStats stats_;
  std::unordered_set<FlowHandle*> open_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ECHO_SERVER_H_
