// WinsockConnector: connects a stream socket with overlapped ConnectEx on an
// I/O completion port, with a mandatory timeout and optional retries.
//
// Each attempt binds a fresh socket to its family's wildcard address, issues
// ConnectEx, and cancels it (CancelIoEx) when the per-attempt timeout
// passes: a Hyper-V connect issued before the service listens can otherwise
// block forever on some Windows builds. A refused, unreachable or timed-out
// attempt is retried after `retry_delay` while attempts remain (useful while
// the peer's listener is not up yet); any other failure ends at once. On
// success the socket gets SO_UPDATE_CONNECT_CONTEXT (without it shutdown
// does not work on a ConnectEx socket) and is handed to `on_done`, still
// attached to the loop: pass it to WinsockFlow::Create on the same loop (or
// call loop.Detach(socket) before closing it yourself).
//
// Destroying the connector cancels the attempt in flight; its memory lives
// on, detached, until the cancellation completes on the loop.
//
// Windows only. Thread-safety: use it on its loop's thread only.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_CONNECTOR_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_CONNECTOR_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"

namespace hvsock {

struct WinsockConnectOptions {
  // Per attempt. Mandatory: Connect fails unless it is positive and finite.
  absl::Duration timeout = absl::ZeroDuration();
  // Total attempts (at least 1). Only refused, unreachable and timed-out
  // attempts are retried.
  int attempts = 1;
  absl::Duration retry_delay = absl::Milliseconds(100);
};

class WinsockConnector {
 public:
  // On failure the status says what failed, how often it was tried, and
  // carries the last attempt's Winsock error (WinsockErrorCode). A timeout
  // is kDeadlineExceeded; refused and unreachable are kUnavailable.
  using ConnectCallback = std::function<void(absl::StatusOr<UniqueSocket>)>;

  // Starts connecting to `remote`. Fails at once for invalid options or when
  // a socket of the address's family cannot be created (AF_HYPERV where
  // Hyper-V sockets are missing: kUnimplemented).
  static absl::StatusOr<std::unique_ptr<WinsockConnector>> Connect(
      IoLoop& loop, const SocketAddress& remote,
      const WinsockConnectOptions& options, ConnectCallback on_done);
  ~WinsockConnector();
  WinsockConnector(const WinsockConnector&) = delete;
  WinsockConnector& operator=(const WinsockConnector&) = delete;

  // Attempts started so far.
  int attempts_made() const;
  // on_done has been called.
  bool done() const;

  class Attempts;

 private:
  explicit WinsockConnector(Attempts* attempts) : attempts_(attempts) {}
  Attempts* attempts_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_CONNECTOR_H_
