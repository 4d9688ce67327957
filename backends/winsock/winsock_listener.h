// WinsockListener: accepts stream connections with overlapped AcceptEx on an
// I/O completion port, and hands each accepted socket, with its peer's
// address, to the application.
//
// One AcceptEx is kept in flight. An accepted socket gets
// SO_UPDATE_ACCEPT_CONTEXT (without it shutdown and getpeername fail on it),
// then the peer filter runs: a rejected peer's socket is reset and counted,
// never reported. For Hyper-V listeners AllowVmIds() builds the usual filter
// (an allowlist of VmIds). A connection that the peer reset before it was
// accepted is skipped. Other accept failures are reported to `on_accept` and
// the listener keeps accepting.
//
// The address family is the listening address's: AF_HYPERV (bind to a
// ServiceId with VmId wildcard, children, loopback...) or AF_INET in tests.
// Destroying the listener cancels the AcceptEx in flight; its memory lives
// on, detached, until the cancellation completes on the loop.
//
// Windows only. Thread-safety: use it on its loop's thread only.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_LISTENER_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_LISTENER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/winsock/hv_guid.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"

namespace hvsock {

struct AcceptedConnection {
  UniqueSocket socket;  // connected, overlapped, accept context applied
  SocketAddress peer;   // the connecting end
};

// Whether to keep a connection from `peer`.
using PeerFilter = std::function<bool(const SocketAddress& peer)>;

// Keeps Hyper-V peers whose VmId is in `vm_ids`; rejects every other peer
// (other families included).
PeerFilter AllowVmIds(std::vector<HvGuid> vm_ids);

struct WinsockListenerOptions {
  int backlog = SOMAXCONN;
  PeerFilter accept_peer;  // empty: accept everyone
};

class WinsockListener {
 public:
  using AcceptCallback =
      std::function<void(absl::StatusOr<AcceptedConnection>)>;

  // Binds to `address`, listens, and starts accepting on `loop`.
  static absl::StatusOr<std::unique_ptr<WinsockListener>> Listen(
      IoLoop& loop, const SocketAddress& address,
      WinsockListenerOptions options, AcceptCallback on_accept);
  ~WinsockListener();
  WinsockListener(const WinsockListener&) = delete;
  WinsockListener& operator=(const WinsockListener&) = delete;

  // The bound address (with the port chosen when binding to port 0).
  const SocketAddress& local_address() const;
  // Connections the peer filter turned away.
  uint64_t rejected_peers() const;

  class Acceptor;

 private:
  explicit WinsockListener(Acceptor* acceptor) : acceptor_(acceptor) {}
  Acceptor* acceptor_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_LISTENER_H_
