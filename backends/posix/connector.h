// Connect: opens a stream socket to an Address with a mandatory timeout.
//
// The connect is non-blocking underneath: the calling thread waits in
// poll() for at most the timeout, and the socket's SO_ERROR says how the
// attempt ended. With ConnectOptions::retry_refused, an attempt that is
// refused (nothing listens yet: ECONNREFUSED, ECONNRESET from a vsock host,
// or a Unix socket file that does not exist yet) is retried with
// exponential backoff until the timeout. A Unix listener whose backlog is
// full (EAGAIN) is always retried the same way, as a blocking connect would
// have waited.
//
// Every failure names the URI and what happened:
//   Unavailable       refused (and the number of attempts, when retrying)
//   DeadlineExceeded  timed out (after how long)
//   NotFound          no Unix socket file at the path
//   InvalidArgument   bad address or options
//   others            from the kernel (PermissionDenied, ...)
//
// Thread-safety: Connect() is safe from any thread; it blocks the calling
// thread for at most options.timeout. On an EventLoop's thread use
// ConnectAsync() (async_connector.h) instead: the same connect, options and
// errors, without blocking the loop.
#ifndef HVSOCK_BACKENDS_POSIX_CONNECTOR_H_
#define HVSOCK_BACKENDS_POSIX_CONNECTOR_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/address.h"
#include "backends/connect_options.h"
#include "backends/posix/unique_fd.h"

namespace hvsock {

// ConnectOptions (backends/connect_options.h) are every backend's; the
// retry policy and the error words are ConnectRetryPolicy's
// (backends/retry_policy.h).

// A connected, non-blocking, close-on-exec stream socket.
absl::StatusOr<UniqueFd> Connect(const Address& address,
                                 const ConnectOptions& options = {});

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_CONNECTOR_H_
