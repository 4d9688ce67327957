// ListenVmm: listens where a VMM delivers guest connections to a host port
// (backends/posix/hybrid_paths.h): "<uds_path>_<port>" for hybrid vsock,
// "<dir>/00000002.<port %08x>" for hyperkit. An ordinary Unix Listener
// (listener.h) on that path: stale socket files are handled as for
// unix://, and nothing precedes the stream's bytes (the VMMs send no
// header, so the guest's CID and port are not known).
//
// The VMMs connect to this socket in bursts, and Firecracker's connect
// blocks its own event loop while the backlog is full, so VmmListenOptions()
// asks for a backlog of 1024 (the kernel caps it at
// /proc/sys/net/core/somaxconn). Accept promptly.
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_LISTENER_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_LISTENER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "backends/posix/hybrid_paths.h"
#include "backends/posix/listener.h"

namespace hvsock {

inline constexpr int kVmmListenBacklog = 1024;

// ListenOptions{} with backlog kVmmListenBacklog.
ListenOptions VmmListenOptions();

absl::StatusOr<std::unique_ptr<Listener>> ListenVmm(
    const VmmSocketAddress& address,
    ListenOptions options = VmmListenOptions());

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_LISTENER_H_
