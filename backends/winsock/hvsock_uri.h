// hvsock:// URIs: the text form of a Hyper-V socket address, compatible with
// ocaml-hvsock and linuxkit/virtsock.
//
//   hvsock://VMID/SERVICEID
//
// VMID is a GUID (braces optional, any case) or a keyword naming a
// well-known VmId: wildcard, children, loopback, parent, silohost,
// broadcast. SERVICEID is a GUID, or a port number (decimal, or hex with a
// 0x prefix, at most 0xffffffff) that maps through the vsock template
// (XXXXXXXX-facb-11e6-bd58-64006a7986d3). Errors have the format of every
// URI parser here (backends/uri.h): bad URI "..." at column N (1-based):
// what was expected and what was found. Queries, fragments and user
// information are rejected, as for every scheme.
//
// Flows over hvsock:// default to the framed codec: several Windows builds
// lose in-flight data on shutdown, which the framed close handshake avoids.
// The native codec stays selectable per connector or listener.
//
// This header is platform-independent. Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_WINSOCK_HVSOCK_URI_H_
#define HVSOCK_BACKENDS_WINSOCK_HVSOCK_URI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/winsock/hv_address.h"
#include "core/flow_options.h"

namespace hvsock {

inline constexpr absl::string_view kHvsockScheme = "hvsock";

// The codec a flow over an hvsock:// address uses unless told otherwise.
inline constexpr Codec kHvsockDefaultCodec = Codec::kFramed;

// Parses "hvsock://VMID/SERVICEID" (the scheme is case-insensitive).
absl::StatusOr<HvSocketAddress> ParseHvsockUri(absl::string_view uri);

// A VMID alone: a GUID or a well-known keyword.
absl::StatusOr<HvGuid> ParseHvVmId(absl::string_view text);
// A SERVICEID alone: a GUID or a port number.
absl::StatusOr<HvGuid> ParseHvServiceId(absl::string_view text);

// The URI for `address`: well-known VmIds as their keyword, ServiceIds that
// follow the vsock template as a decimal port, other GUIDs in lower case.
// ParseHvsockUri(FormatHvsockUri(a)) == a.
std::string FormatHvsockUri(const HvSocketAddress& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_HVSOCK_URI_H_
