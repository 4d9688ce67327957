// Address: one end of a flow's transport, for every transport hvsock
// reaches, independent of any platform's socket structures.
//
//   VsockAddress        Linux AF_VSOCK: a context ID and a port
//   UnixAddress         a Unix-domain stream socket's path
//   HybridVsockAddress  a guest port behind a hybrid vsock VMM's Unix socket
//                       (Firecracker, Cloud Hypervisor, vhost-device-vsock)
//   HyperkitAddress     a guest port behind hyperkit's socket directory
//   HvSocketAddress     a Windows Hyper-V socket: a VmId and a ServiceId
//                       (backends/hyperv/address.h)
//
// These are plain values. backends/uri.h turns every kind into and out of a
// URI; each backend takes the kinds its platform serves and refuses the
// others with one wording (backends/platform.h): the posix backend
// (backends/posix/posix_address.h) takes vsock, unix, hybrid-vsock and
// hyperkit; the winsock backend takes hvsock. (hvcat.exe's Wine tests
// reach TCP loopback through a test-only parser of their own,
// tools/hvcat/tcp_loopback_uri.h, not through Address.)
//
// Thread-safety: value types; thread-compatible.
#ifndef HVSOCK_BACKENDS_ADDRESS_H_
#define HVSOCK_BACKENDS_ADDRESS_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "backends/hyperv/address.h"

namespace hvsock {

// An AF_VSOCK endpoint: a context ID (which machine) and a port.
struct VsockAddress {
  // Well-known context IDs (Linux <linux/vm_sockets.h>).
  static constexpr uint32_t kCidAny = 0xFFFFFFFF;  // bind: any local CID
  static constexpr uint32_t kCidHypervisor = 0;
  static constexpr uint32_t kCidLocal = 1;  // loopback
  static constexpr uint32_t kCidHost = 2;
  static constexpr uint32_t kPortAny = 0xFFFFFFFF;  // bind: any free port

  uint32_t cid = kCidAny;
  uint32_t port = kPortAny;

  friend bool operator==(const VsockAddress&, const VsockAddress&) = default;
};

// A short name for well-known CIDs ("any", "hypervisor", "local", "host"),
// or empty for ordinary ones.
inline absl::string_view WellKnownCidName(uint32_t cid) {
  switch (cid) {
    case VsockAddress::kCidAny:
      return "any";
    case VsockAddress::kCidHypervisor:
      return "hypervisor";
    case VsockAddress::kCidLocal:
      return "local";
    case VsockAddress::kCidHost:
      return "host";
    default:
      return "";
  }
}

// A Unix-domain stream socket at a filesystem path. Empty `path` means an
// unnamed socket (for example the peer of an accepted connection that never
// bound one).
struct UnixAddress {
  std::string path;

  friend bool operator==(const UnixAddress&, const UnixAddress&) = default;
};

// A guest's vsock port behind a hybrid vsock VMM (Firecracker, Cloud
// Hypervisor, rust-vmm vhost-device-vsock): the VMM listens on `uds_path`;
// a host connects there and sends "CONNECT <port>\n". Guest connections to
// host port P arrive on the Unix socket "<uds_path>_<P>".
struct HybridVsockAddress {
  std::string uds_path;  // the VMM's socket (Firecracker's uds_path)
  uint32_t port = 0;     // connect: the guest's port; listen: the host's

  friend bool operator==(const HybridVsockAddress&,
                         const HybridVsockAddress&) = default;
};

// A guest's vsock port behind hyperkit (Docker Desktop for Mac, linuxkit):
// `directory` holds the VMM's sockets; a host connects to
// "<directory>/connect" and sends "<cid %08x>.<port %08x>\n". Guest
// connections to host port P arrive on "<directory>/00000002.<P %08x>".
struct HyperkitAddress {
  // Docker Desktop and ocaml-hvsock talk to the guest with CID 3.
  static constexpr uint32_t kDefaultGuestCid = 3;

  std::string directory;  // hyperkit's virtio-sock path= directory
  uint32_t port = 0;      // connect: the guest's port; listen: the host's
  uint32_t guest_cid = kDefaultGuestCid;  // connect only

  friend bool operator==(const HyperkitAddress&,
                         const HyperkitAddress&) = default;
};

// Any address. A default-constructed Address is VsockAddress{} (any CID,
// any port).
using Address = std::variant<VsockAddress, UnixAddress, HybridVsockAddress,
                             HyperkitAddress, HvSocketAddress>;

// The URI scheme of `address`'s kind: "vsock", "unix", "hybrid-vsock",
// "hyperkit" or "hvsock".
absl::string_view AddressScheme(const Address& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_ADDRESS_H_
