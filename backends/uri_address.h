// Any address a URI can name, on any platform, and the one parser entry
// point for every scheme:
//
//   vsock://CID:PORT, vsock://:PORT   Linux AF_VSOCK       (backends/uri.h)
//   unix:///absolute/path             a Unix socket        (backends/uri.h)
//   hvsock://VMID/SERVICEID           a Hyper-V socket     (hvsock_uri.h)
//   tcp://127.0.0.1:PORT              TCP loopback, for tests only
//   hybrid-vsock:///abs/v.sock:PORT   a guest port behind Firecracker,
//                                     Cloud Hypervisor or vhost-device-vsock
//                                     (backends/uri.h)
//   hyperkit:///abs/dir:PORT[?cid=N]  a guest port behind hyperkit
//                                     (backends/uri.h)
//
// Each backend takes the kinds it can use and rejects the others (the
// posix backend: vsock and unix; the winsock backend: hvsock, and tcp where
// a build allows it for tests). tcp:// names only the IPv4 loopback
// address: it exists so that tests can run the real socket code paths
// without a hypervisor, never to reach another machine.
//
// Every scheme reports errors the same way: InvalidArgument with
//   bad URI "<uri>" at column <N>: <what was expected, what was found>
// where N counts bytes from 1. FormatUri round-trips:
// ParseUri(FormatUri(a)) == a for every address ParseUri returns.
//
// Platform-independent. Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_URI_ADDRESS_H_
#define HVSOCK_BACKENDS_URI_ADDRESS_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/vmm_socket_address.h"
#include "backends/winsock/hv_address.h"

namespace hvsock {

// tcp://127.0.0.1:PORT (tests only). Port 0 means any free port when
// listening.
struct TcpLoopbackAddress {
  uint16_t port = 0;

  friend bool operator==(const TcpLoopbackAddress&,
                         const TcpLoopbackAddress&) = default;
};

using UriAddress = std::variant<VsockAddress, UnixAddress, HvSocketAddress,
                                TcpLoopbackAddress, HybridVsockAddress,
                                HyperkitAddress>;

// Parses a URI of any scheme above (schemes are case-insensitive).
absl::StatusOr<UriAddress> ParseUri(absl::string_view uri);

// The URI for `address`, in each scheme's canonical form.
std::string FormatUri(const UriAddress& address);

// The scheme of `address` ("vsock", "unix", "hvsock", "tcp",
// "hybrid-vsock", "hyperkit").
absl::string_view UriScheme(const UriAddress& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_URI_ADDRESS_H_
