// Where a VMM's Unix sockets are, for a hybrid vsock or hyperkit address
// (backends/address.h). Facts from the VMMs' sources:
//
//   connect (host → guest port P)      listen (guest → host port P)
//   hybrid vsock  <uds_path>           <uds_path>_<P in decimal>
//   hyperkit      <dir>/connect        <dir>/00000002.<P as %08x>
//
// (Firecracker src/vmm/src/devices/virtio/vsock/unix/muxer.rs; hyperkit
// src/lib/pci_virtio_sock.c: 2 is the host's CID.)
//
// Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_PATHS_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_PATHS_H_

#include <string>
#include <variant>

#include "backends/address.h"

namespace hvsock {

// A guest port behind a VMM's Unix sockets, either kind.
using VmmSocketAddress = std::variant<HybridVsockAddress, HyperkitAddress>;

// The socket a host connects to (then sends the connect request).
UnixAddress VmmConnectSocket(const VmmSocketAddress& address);
// The socket the VMM connects to when the guest connects to host port
// `address.port`.
UnixAddress VmmListenSocket(const VmmSocketAddress& address);

// The URI of `address` (hybrid-vsock://... or hyperkit://...).
std::string FormatVmmSocketUri(const VmmSocketAddress& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_PATHS_H_
