// WinsockFlow: drives one core Flow over one connected Winsock stream socket
// with overlapped I/O on an I/O completion port.
//
// The driver moves bytes and nothing else: it WSASends the core's transmit
// spans as WSABUFs straight from the flow's queue (no copy; at most one send
// in flight, partial completions consumed at the byte they stopped),
// WSARecvs straight into the flow's receive space while the flow wants to
// read (backpressure: no receive is posted while the receive buffer is
// full), calls shutdown(SD_SEND) when the flow asks, and closes the socket
// once the flow is finished: gracefully after a completed close, with a
// reset (SO_LINGER 0) after a failure so the peer cannot mistake a lost
// stream for a clean end. The close timeout is a deadline on the loop.
//
// The socket's family does not matter (AF_HYPERV in production, AF_INET
// loopback in tests). Sockets from ConnectEx or AcceptEx must have had
// SO_UPDATE_CONNECT_CONTEXT / SO_UPDATE_ACCEPT_CONTEXT applied (the
// connector and listener here do), or shutdown fails.
//
// Application side: a WinsockFlow is the Winsock FlowHandle
// (backends/flow_handle.h): Write/Writev/Read/Close/Abort mirror the Flow's
// commands and start whatever I/O they make necessary; `on_event` (a
// FlowEventCallback, given this handle) is called from the loop, never from
// inside one of these calls (a command leaves its events for the loop's next
// pass). Abort and the timeouts act on the flow at once: the core keeps the
// receive space it lent alive until the receive in flight completes (it is
// cancelled with CancelIoEx) and commits.
//
// Receive memory: receives alternate between a zero-byte WSARecv, which
// waits for data without lending any memory, and a WSARecv into the flow's
// receive space once data is there; so an idle flow holds no 64 KiB
// receive block (stats().receive_memory is 0).
//
// Destroying a WinsockFlow aborts the flow if it has not finished. In-flight
// operations are cancelled; the Flow and the socket live on, detached, until
// their completions have arrived, so the loop must keep running a little
// (IocpLoop's destructor does).
//
// Windows only. Thread-safety: use it on its loop's thread only.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_FLOW_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_FLOW_H_

#include <cstddef>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/types/span.h"
#include "backends/flow_handle.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"
#include "core/flow.h"
#include "core/flow_options.h"

namespace hvsock {

class WinsockFlow : public FlowHandle {
 public:
  // Takes `socket` (connected, overlapped) and attaches it to `loop`, which
  // must outlive the flow's operations.
  static absl::StatusOr<std::unique_ptr<WinsockFlow>> Create(
      IoLoop& loop, UniqueSocket socket, const FlowOptions& options,
      FlowEventCallback on_event = nullptr);
  ~WinsockFlow() override;
  WinsockFlow(const WinsockFlow&) = delete;
  WinsockFlow& operator=(const WinsockFlow&) = delete;

  // ── FlowHandle: application commands (see core/flow.h) ─────────────
  using FlowHandle::Write;
  absl::Status Write(absl::Cord data) override;
  absl::Status Writev(absl::Span<absl::Cord> buffers) override;
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX) override;
  absl::Status Close() override;
  void Abort() override;

  // ── Getters (and FlowHandle's state(), stats(), error()) ────────────
  const Flow& flow() const override;
  // The flow is finished and the socket has been closed.
  bool transport_closed() const;
  // Overlapped operations (send, receive) now in flight: 0, 1 or 2.
  int operations_in_flight() const;

  class Driver;  // the state that outlives this handle while I/O is in flight

 private:
  explicit WinsockFlow(Driver* driver) : driver_(driver) {}
  Driver* driver_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_FLOW_H_
