// Transport addresses, independent of any platform's socket structures.
//
// An Address names one end of a flow's transport: a vsock endpoint (context
// ID and port) or a Unix-domain socket path. These are plain values; the
// backends turn them into socket addresses (backends/posix/socket_address.h)
// and backends/uri.h turns them into and out of URIs.
//
// Thread-safety: value types; thread-compatible.
#ifndef HVSOCK_BACKENDS_ADDRESS_H_
#define HVSOCK_BACKENDS_ADDRESS_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"

namespace hvsock {

// An AF_VSOCK endpoint: a context ID (which machine) and a port.
struct VsockAddress {
  // Well-known context IDs (Linux <linux/vm_sockets.h>).
  static constexpr uint32_t kCidAny = 0xFFFFFFFF;       // bind: any local CID
  static constexpr uint32_t kCidHypervisor = 0;
  static constexpr uint32_t kCidLocal = 1;              // loopback
  static constexpr uint32_t kCidHost = 2;
  static constexpr uint32_t kPortAny = 0xFFFFFFFF;      // bind: any free port

  uint32_t cid = kCidAny;
  uint32_t port = kPortAny;

  friend bool operator==(const VsockAddress&, const VsockAddress&) = default;
};

// A short name for well-known CIDs ("any", "hypervisor", "local", "host"),
// or empty for ordinary ones.
inline absl::string_view WellKnownCidName(uint32_t cid) {
  switch (cid) {
    case VsockAddress::kCidAny: return "any";
    case VsockAddress::kCidHypervisor: return "hypervisor";
    case VsockAddress::kCidLocal: return "local";
    case VsockAddress::kCidHost: return "host";
    default: return "";
  }
}

// A Unix-domain stream socket at a filesystem path. Empty `path` means an
// unnamed socket (for example the peer of an accepted connection that never
// bound one).
struct UnixAddress {
  std::string path;

  friend bool operator==(const UnixAddress&, const UnixAddress&) = default;
};

using Address = std::variant<VsockAddress, UnixAddress>;

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_ADDRESS_H_
