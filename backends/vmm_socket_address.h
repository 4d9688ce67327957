// Addresses of a guest's vsock port behind a VMM's Unix sockets, for the
// host side of VMMs that do not use AF_VSOCK on the host:
//
//   HybridVsockAddress  Firecracker, Cloud Hypervisor, rust-vmm
//                       vhost-device-vsock ("hybrid vsock"): the VMM listens
//                       on `uds_path`; a host connects there and sends
//                       "CONNECT <port>\n". Guest connections to host port
//                       P arrive on the Unix socket "<uds_path>_<P>".
//   HyperkitAddress     hyperkit (Docker Desktop for Mac, linuxkit):
//                       `directory` holds the VMM's sockets; a host connects
//                       to "<directory>/connect" and sends
//                       "<cid %08x>.<port %08x>\n". Guest connections to
//                       host port P arrive on "<directory>/00000002.<P %08x>".
//
// backends/uri.h parses and formats them (hybrid-vsock:///path:PORT,
// hyperkit:///dir:PORT?cid=N); the posix backend connects and listens
// (backends/posix/hybrid_connector.h, hybrid_listener.h).
//
// Thread-safety: value types; thread-compatible.
#ifndef HVSOCK_BACKENDS_VMM_SOCKET_ADDRESS_H_
#define HVSOCK_BACKENDS_VMM_SOCKET_ADDRESS_H_

#include <cstdint>
#include <string>

namespace hvsock {

struct HybridVsockAddress {
  std::string uds_path;  // the VMM's socket (Firecracker's uds_path)
  uint32_t port = 0;     // connect: the guest's port; listen: the host's

  friend bool operator==(const HybridVsockAddress&,
                         const HybridVsockAddress&) = default;
};

struct HyperkitAddress {
  // Docker Desktop and ocaml-hvsock talk to the guest with CID 3.
  static constexpr uint32_t kDefaultGuestCid = 3;

  std::string directory;  // hyperkit's virtio-sock path= directory
  uint32_t port = 0;      // connect: the guest's port; listen: the host's
  uint32_t guest_cid = kDefaultGuestCid;  // connect only

  friend bool operator==(const HyperkitAddress&,
                         const HyperkitAddress&) = default;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_VMM_SOCKET_ADDRESS_H_
