// What the Linux tools (hvcat, hvstress) can connect to and listen on: an
// Address (backends/address.h) parsed from one URI and narrowed to what the
// posix backend reaches (backends/posix/posix_address.h): vsock://,
// unix://, hybrid-vsock:// and hyperkit://. Another platform's URI
// (hvsock://) fails with the one "needs Windows" wording of
// backends/platform.h. The default protocol per address is
// backends/default_codec.h's.
//
// Thread-safety: pure functions.
#ifndef HVSOCK_TOOLS_POSIX_ENDPOINT_H_
#define HVSOCK_TOOLS_POSIX_ENDPOINT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"

namespace hvsock::tools {

// Parses `uri` and checks that the posix backend reaches it.
absl::StatusOr<Address> ParsePosixEndpoint(absl::string_view uri);

// The "URIs:" lines of the tools' usage texts, and the default protocol's
// description.
inline constexpr absl::string_view kPosixUriForms =
    "URIs:  vsock://CID:PORT   vsock://:PORT (listen on any CID)   "
    "unix:///absolute/path\n"
    "       hybrid-vsock:///path/to/v.sock:PORT   guest port PORT behind a\n"
    "         Firecracker, Cloud Hypervisor or vhost-device-vsock socket\n"
    "         (listening: the VMM's <path>_<PORT>)\n"
    "       hyperkit:///path/to/dir:PORT[?cid=N]  guest port PORT behind\n"
    "         hyperkit's socket directory (guest CID 3 by default)\n"
    "       (hvsock:// needs Windows: hvcat.exe)\n";
inline constexpr absl::string_view kPosixDefaultProtocol =
    "native; framed for hybrid-vsock://, where\n"
    "                             the VMMs lose half-close otherwise";

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_POSIX_ENDPOINT_H_
