// WinsockListener: accepts stream connections with overlapped AcceptEx on an
// I/O completion port, and hands each accepted socket, with its peer's
// address, to the application.
//
// One AcceptEx is kept in flight. An accepted socket gets
// SO_UPDATE_ACCEPT_CONTEXT (without it shutdown and getpeername fail on it),
// then the peer filter runs: every backend's PeerFilter
// (backends/peer_filter.h), narrowed to Hyper-V VmIds (a CID allowlist is
// refused by Listen as needing Linux). A refused peer's socket is reset,
// counted (rejected_peers()) and reported to peers.on_refused, which must
// not destroy the listener; it never reaches `on_accept`. A connection that the
// peer reset before it was accepted is skipped. A failure of one accepted
// connection (its accept context, its address) is reported to `on_accept` and
// the listener goes on.
//
// Out of sockets or buffers (WSAEMFILE, WSAENOBUFS: the socket to accept
// into cannot be made, or AcceptEx fails), retrying at once would either
// spin or, as before, stop accepting for good. Instead the listener pauses
// and retries on a loop deadline after a backoff (min_backoff, doubling on
// each failed retry up to max_backoff); the first failure of such an
// episode is reported to `on_accept` (the later ones are only counted:
// failed_retries()), and the first connection accepted ends the episode.
// It recovers by itself once sockets free up.
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
#include "absl/time/time.h"
#include "backends/hyperv/guid.h"
#include "backends/peer_filter.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"

namespace hvsock {

struct AcceptedConnection {
  UniqueSocket socket;  // connected, overlapped, accept context applied
  SocketAddress peer;   // the connecting end
};

struct WinsockListenerOptions {
  int backlog = SOMAXCONN;
  // peers.allowed_vm_ids: the VmIds admitted (empty: everyone); with an
  // allowlist, peers of other families are refused.
  PeerFilter peers;
  // The backoff while accepting fails (see above): 0 < min <= max.
  absl::Duration min_backoff = absl::Milliseconds(10);
  absl::Duration max_backoff = absl::Seconds(1);
  // Opens each socket an AcceptEx accepts into (of the listener's family).
  // Empty: OpenStreamSocket. Tests make it fail to run out of sockets.
  std::function<absl::StatusOr<UniqueSocket>(int family)> open_socket;
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
  // True while accepting is paused after a failure (see above).
  bool paused() const;
  // Failed retries while paused, all episodes; episodes of pauses.
  uint64_t failed_retries() const;
  uint64_t pauses() const;

  class Acceptor;

 private:
  explicit WinsockListener(Acceptor* acceptor) : acceptor_(acceptor) {}
  Acceptor* acceptor_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_LISTENER_H_
