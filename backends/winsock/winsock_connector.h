// WinsockConnector: connects a stream socket with overlapped ConnectEx on an
// I/O completion port, with a mandatory timeout and optional retries.
//
// The options and their meaning are every backend's (ConnectOptions,
// backends/connect_options.h), and so are the retry policy and the error
// words (ConnectRetryPolicy, backends/retry_policy.h): `timeout` bounds the
// whole connect; with `retry_refused`, a refused or unreachable attempt
// (the peer's listener or VM is not up yet) is retried with exponential
// backoff until then; any other failure ends at once. Each attempt binds a
// fresh socket to its family's wildcard address, issues ConnectEx, and is
// cancelled (CancelIoEx) at its attempt deadline (the connect's deadline,
// or sooner with `attempt_timeout`, after which it is retried as
// unanswered): a Hyper-V connect issued before the service listens can
// otherwise block forever on some Windows builds. On
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
#include "backends/connect_options.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"

namespace hvsock {

class WinsockConnector {
 public:
  // On failure the status is ConnectRetryPolicy's (it names the peer, and
  // the attempts when retrying) and carries the last attempt's Winsock
  // error (WinsockErrorCode) when there was one. A timeout is
  // kDeadlineExceeded; refused and unreachable are kUnavailable.
  using ConnectCallback = std::function<void(absl::StatusOr<UniqueSocket>)>;

  // Starts connecting to `remote`. Fails at once for invalid options or when
  // a socket of the address's family cannot be created (AF_HYPERV where
  // Hyper-V sockets are missing: kUnimplemented).
  static absl::StatusOr<std::unique_ptr<WinsockConnector>> Connect(
      IoLoop& loop, const SocketAddress& remote, const ConnectOptions& options,
      ConnectCallback on_done);
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
