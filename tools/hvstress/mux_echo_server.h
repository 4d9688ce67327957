// MuxEchoServer: hvstress's echo server in multiplexer mode (--server
// --mux): every accepted transport connection is a vpnkit-format
// multiplexer (core/mux, run by backends/posix LoopMux); every channel the
// peer opens is accepted and echoed, then closed once the peer has closed
// its side (the same echo as EchoServer's, per channel).
//
// Without a listener (ForHandedConnections) it serves only the connections
// given to Adopt(): that is how EchoServerGroup spreads one listener's
// multiplexed connections over several loops (an EchoService,
// echo_service.h); every channel of a connection is echoed on the loop
// the connection was handed to.
//
// Thread-compatible: runs on its loop's thread; the loop must outlive it.
#ifndef HVSOCK_TOOLS_HVSTRESS_MUX_ECHO_SERVER_H_
#define HVSOCK_TOOLS_HVSTRESS_MUX_ECHO_SERVER_H_

#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "backends/address.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/unique_fd.h"
#include "core/mux/mux_options.h"
#include "tools/hvstress/echo_service.h"

namespace hvsock::hvstress {

class MuxEchoServer : public EchoService {
 public:
  // What hvstress uses on both ends: MuxOptions' defaults, but room for
  // many Opens at once (the server accepts each as it is polled) and a
  // receive budget for hundreds of channels streaming at full window at
  // once (with the default 64 MiB, beyond ~128 of them share the rest and
  // slow down to a fair share each).
  static MuxOptions ServerOptions() {
    MuxOptions options;
    options.max_pending_opens = 4096;
    options.receive_budget = 256 * 1024 * 1024;
    return options;
  }
  // `stats.accepted` counts channels (connections in `connections`).
  static absl::StatusOr<std::unique_ptr<MuxEchoServer>> Start(
      EventLoop& loop, const Address& address, const MuxOptions& options);
  // Serves only connections handed to Adopt(); `loop` must outlive it.
  // `options` must be valid (MuxOptions::Validate).
  static std::unique_ptr<MuxEchoServer> ForHandedConnections(
      EventLoop& loop, const MuxOptions& options);
  ~MuxEchoServer() override;

  // Runs `fd`, a connected stream socket, as the accepting side of a
  // multiplexed connection, as if accepted here.
  void Adopt(UniqueFd fd) override;

  // Where it listens. Not for a server made by ForHandedConnections.
  const Address& address() const { return listener_->local_address(); }
  const EchoServerStats& stats() const override { return stats_; }
  uint64_t connections() const override { return connections_; }

 private:
  struct Echo {
    absl::Cord pending;  // read, not yet taken by the channel
    bool eof = false;
  };
  MuxEchoServer(EventLoop& loop, std::unique_ptr<Listener> listener,
                const MuxOptions& options)
      : loop_(loop), listener_(std::move(listener)), options_(options) {}
  void AcceptAll();
  void OnNews(LoopMux& mux);
  void Pump(MuxChannel& channel, Echo& echo);

  EventLoop& loop_;
  std::unique_ptr<Listener> listener_;
  MuxOptions options_;
  FdWatch* watch_ = nullptr;
  std::vector<std::unique_ptr<LoopMux>> muxes_;
  std::unordered_map<MuxChannel*, std::unique_ptr<Echo>> echoes_;
  EchoServerStats stats_;
  uint64_t connections_ = 0;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_MUX_ECHO_SERVER_H_
