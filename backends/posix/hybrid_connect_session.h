// One connect to a guest port behind a VMM's Unix socket (hybrid vsock or
// hyperkit), attempt after attempt: the non-blocking Unix connect, the
// handshake (core/handshake/connect_handshake.h), and the retry policy.
// Shared by ConnectVmm() (blocking) and ConnectVmmAsync() (on an
// EventLoop), which differ only in how they wait between Step()s.
//
// Step(now, ready) does every non-blocking syscall possible now, then
// wait() says what to wait for: readiness of wait().fd (or no descriptor)
// until wait().until at the latest. Call Step() again when either happens,
// with what was observed. Descriptors the session is done with stay open
// until the start of the next Step() (or its destruction), so a driver can
// stop watching them first.
//
// Policy (ConnectRetryPolicy, backends/retry_policy.h, in this
// transport's words): the whole connect, retries included, ends by
// options.timeout. Retried with exponential backoff when
// options.retry_refused is set: a
// missing VMM socket file, a VMM socket nothing listens on, and a
// handshake refusal (the VMM closed the connection before OK: no listener
// on the guest port yet). A full backlog on the VMM socket is always
// retried, as a blocking connect would have waited.
//
// Internal to backends/posix. Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_CONNECT_SESSION_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_CONNECT_SESSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/posix/connector.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/socket_driver.h"
#include "backends/posix/unique_fd.h"
#include "backends/retry_policy.h"
#include "core/handshake/connect_handshake.h"

namespace hvsock::internal {

class VmmConnectSession {
 public:
  // What to wait for before the next Step().
  struct Wait {
    int fd = -1;  // -1: only the time
    Readiness interest = Readiness::kNone;
    absl::Time until = absl::InfiniteFuture();
  };

  // Fails with InvalidArgument for a timeout that is not positive and
  // finite, or a socket path that does not fit a sockaddr_un.
  static absl::StatusOr<VmmConnectSession> Create(
      const VmmSocketAddress& address, const ConnectOptions& options,
      absl::Time now);

  VmmConnectSession(VmmConnectSession&&) = default;
  VmmConnectSession& operator=(VmmConnectSession&&) = default;

  void Step(absl::Time now, Readiness ready);
  bool finished() const { return result_.has_value(); }
  const Wait& wait() const { return wait_; }
  // Once finished(), once: the connection or the connect's error (see
  // hybrid_connector.h for the errors).
  absl::StatusOr<VmmConnection> TakeResult();

  int attempts() const { return policy_.attempts(); }

 private:
  enum class Phase { kBackoff, kConnecting, kHandshaking };

  VmmConnectSession(const VmmSocketAddress& address, ConnectRetryPolicy policy,
                    SocketAddress socket, absl::Time now);

  void StartAttempt(absl::Time now);
  void BeginHandshake(absl::Time now);
  void Exchange(absl::Time now);
  void ConnectFailed(int error, absl::Time now);
  void HandshakeEnded(absl::Time now);
  // A failure that ends the attempt, in this transport's words: the policy
  // retries it (after a backoff) or makes it the connect's result.
  void AttemptFailed(ConnectFailure failure, FailureWords words,
                     absl::Time now);
  void Finish(absl::StatusOr<VmmConnection> result);
  void Retire();  // the current socket, closed at the next Step()

  VmmSocketAddress address_;
  ConnectRetryPolicy policy_;
  std::string socket_path_;
  SocketAddress socket_;
  Phase phase_ = Phase::kBackoff;
  absl::Time retry_at_;
  UniqueFd fd_;
  std::vector<UniqueFd> retired_;
  std::optional<ConnectHandshake> handshake_;
  Wait wait_;
  std::optional<absl::StatusOr<VmmConnection>> result_;
};

}  // namespace hvsock::internal

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_CONNECT_SESSION_H_
