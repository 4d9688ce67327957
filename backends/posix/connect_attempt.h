// The parts of a connect shared by Connect() (blocking, connector.h) and
// ConnectAsync() (on an EventLoop, async_connector.h), so that both retry
// the same failures and report them in the same words.
//
// StartConnectAttempt() and ConnectAttemptResult() are the two syscall
// halves of one non-blocking attempt; how the caller waits between them
// (poll(), or an FdWatch) is its own business. ConnectPolicy is the rest,
// without IO or clocks (time is an argument): the posix narrowing of every
// backend's ConnectRetryPolicy (backends/retry_policy.h), which counts
// attempts, decides whether a failure is retried and after how long, and
// words every failure; here errno values become ConnectFailures.
//
// Internal to backends/posix. Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_CONNECT_ATTEMPT_H_
#define HVSOCK_BACKENDS_POSIX_CONNECT_ATTEMPT_H_

#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/address.h"
#include "backends/connect_options.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/unique_fd.h"
#include "backends/retry_policy.h"

namespace hvsock::internal {

// One non-blocking attempt, after its connect() call.
struct ConnectAttempt {
  UniqueFd fd;               // the socket, unless creating it failed
  bool connected = false;    // connected at once
  bool in_progress = false;  // wait for writability, then ask
                             // ConnectAttemptResult()
  int error = 0;             // errno when it failed at once
};

// Creates a non-blocking, close-on-exec socket and starts connecting it.
// For vsock it raises the kernel's own connect timeout to `deadline - now`.
// Fails only if no socket can be created.
absl::StatusOr<ConnectAttempt> StartConnectAttempt(const SocketAddress& address,
                                                   absl::Time now,
                                                   absl::Time deadline);

// How an attempt that was in progress ended, once its socket is writable
// (or reports an error): 0 for connected, or the errno (SO_ERROR).
int ConnectAttemptResult(int fd);

// The retry policy and the error statuses of one connect, attempt after
// attempt. Every status names the URI.
class ConnectPolicy {
 public:
  // Fails with InvalidArgument for a timeout that is not positive and
  // finite, or an address that does not fit a sockaddr. `now` starts the
  // timeout.
  static absl::StatusOr<ConnectPolicy> Create(const Address& address,
                                              const ConnectOptions& options,
                                              absl::Time now);

  const std::string& uri() const { return policy_.uri(); }
  const SocketAddress& socket_address() const { return socket_address_; }
  absl::Time deadline() const { return policy_.deadline(); }
  // When an attempt that starts at `start` is abandoned (ETIMEDOUT).
  absl::Time AttemptDeadline(absl::Time start) const {
    return policy_.AttemptDeadline(start);
  }

  // The next attempt starts (counts it).
  void AttemptStarted() { policy_.AttemptStarted(); }

  // The attempt failed with `error` (an errno; ETIMEDOUT when the deadline
  // passed while it was in progress). Returns the connect's final status,
  // or the time to start the next attempt at, having called
  // options.on_retry first.
  std::variant<absl::Status, absl::Time> AttemptFailed(int error,
                                                       absl::Time now);

  // A status from outside the policy (socket creation, the loop), with the
  // URI in front.
  absl::Status Annotate(const absl::Status& status) const {
    return policy_.Annotate(status);
  }

 private:
  ConnectPolicy(ConnectRetryPolicy policy, SocketAddress socket_address,
                bool is_unix)
      : policy_(std::move(policy)),
        socket_address_(socket_address),
        is_unix_(is_unix) {}

  ConnectRetryPolicy policy_;
  SocketAddress socket_address_;
  bool is_unix_;
};

}  // namespace hvsock::internal

#endif  // HVSOCK_BACKENDS_POSIX_CONNECT_ATTEMPT_H_
