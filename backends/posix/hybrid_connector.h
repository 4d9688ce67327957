// ConnectVmm: connects to a guest's vsock port through a VMM's Unix socket
// (hybrid vsock: Firecracker, Cloud Hypervisor, vhost-device-vsock; or
// hyperkit), with a mandatory timeout, and returns the socket once the
// VMM's handshake is done (backends/posix/hybrid_connection.h).
//
// Each attempt: a non-blocking Unix connect to the VMM socket
// (backends/posix/hybrid_paths.h), the request in one write, then (hybrid
// vsock) the reply "OK <number>\n", peeked at without blocking and taken
// from the socket up to its "\n" only: stream bytes that arrive with the
// reply stay in the socket for the flow (hybrid_connection.h). hyperkit
// sends no reply: the connect is done once the request is written, and a
// refused port shows later as the end of the flow.
//
// ConnectOptions (backends/posix/connector.h) as for Connect(): `timeout`
// bounds the whole connect, handshakes and retries included (the VMMs'
// own request timeouts are unreliable: Firecracker and Cloud Hypervisor
// apply theirs only when another connection arrives, vhost-device-vsock
// has none). With `retry_refused`, a refusal is retried with exponential
// backoff until the timeout: the VMM closing the connection before OK
// (nothing listens on the guest port yet), a missing VMM socket file, a
// VMM socket nothing listens on. A full backlog is always retried.
//
// Errors name the URI:
//   Unavailable       refused, e.g. "connect hybrid-vsock:///run/v.sock:52:
//                     hybrid vsock: no listener on guest port 52 (the VMM
//                     closed the connection before OK)"; after retries,
//                     "(...; 7 attempts in 10s)"
//   NotFound          no VMM socket file (and, retried, the attempts)
//   DeadlineExceeded  the VMM did not answer (or accept) in time
//   InvalidArgument   a malformed or overlong reply (quoted), bad options
//   others            from the kernel
//
// Thread-safety: safe from any thread; blocks for at most options.timeout.
// On an EventLoop's thread use ConnectVmmAsync()
// (hybrid_async_connector.h).
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTOR_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTOR_H_

#include "absl/status/statusor.h"
#include "backends/posix/connector.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_paths.h"

namespace hvsock {

absl::StatusOr<VmmConnection> ConnectVmm(const VmmSocketAddress& address,
                                         const ConnectOptions& options = {});

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTOR_H_
