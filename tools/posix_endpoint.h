// What the Linux tools (hvcat, hvstress) can connect to and listen on: a
// socket Address (vsock://, unix://) or a guest port behind a VMM's Unix
// sockets (hybrid-vsock://, hyperkit://), parsed from one URI, and the
// wire protocol each defaults to.
//
// Default protocol: framed for hybrid-vsock:// (Firecracker and
// vhost-device-vsock turn a host's shutdown(SHUT_WR) into a full shutdown
// and never show the guest's, so only the framed codec's in-band
// ShutdownWrite/Close keeps half-close); native for everything else
// (hyperkit passes half-close on both ways).
//
// Thread-safety: pure functions.
#ifndef HVSOCK_TOOLS_POSIX_ENDPOINT_H_
#define HVSOCK_TOOLS_POSIX_ENDPOINT_H_

#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/posix/hybrid_paths.h"
#include "core/flow_options.h"

namespace hvsock::tools {

using PosixEndpoint = std::variant<Address, VmmSocketAddress>;

// Parses `uri`; other schemes (hvsock://, tcp://) fail with the URI error
// format, naming `tool` and the schemes it takes.
absl::StatusOr<PosixEndpoint> ParsePosixEndpoint(absl::string_view uri,
                                                 absl::string_view tool);

Codec DefaultCodecFor(const PosixEndpoint& endpoint);

std::string FormatEndpoint(const PosixEndpoint& endpoint);

// The "URIs:" lines of the tools' usage texts, and the default protocol's
// description.
inline constexpr absl::string_view kPosixUriForms =
    "URIs:  vsock://CID:PORT   vsock://:PORT (listen on any CID)   "
    "unix:///absolute/path\n"
    "       hybrid-vsock:///path/to/v.sock:PORT   guest port PORT behind a\n"
    "         Firecracker, Cloud Hypervisor or vhost-device-vsock socket\n"
    "         (listening: the VMM's <path>_<PORT>)\n"
    "       hyperkit:///path/to/dir:PORT[?cid=N]  guest port PORT behind\n"
    "         hyperkit's socket directory (guest CID 3 by default)\n";
inline constexpr absl::string_view kPosixDefaultProtocol =
    "native; framed for hybrid-vsock://, where\n"
    "                             the VMMs lose half-close otherwise";

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_POSIX_ENDPOINT_H_
