// Addresses as URIs: parsing and formatting, with errors that say what is
// wrong and where.
//
// Supported forms (compatible with ocaml-hvsock and linuxkit/virtsock):
//
//   vsock://CID:PORT          a vsock endpoint; CID and PORT are decimal or
//                             0x-prefixed hexadecimal 32-bit numbers
//   vsock://:PORT             any CID (VsockAddress::kCidAny), for listening
//   unix:///absolute/path     a Unix-domain socket; the path is
//                             percent-decoded (%20 is a space)
//   hybrid-vsock:///abs/path/v.sock:PORT
//                             guest port PORT behind a hybrid vsock VMM's
//                             socket (Firecracker, Cloud Hypervisor,
//                             vhost-device-vsock); PORT is the number after
//                             the last ':'
//   hyperkit:///abs/dir:PORT[?cid=N]
//                             guest port PORT behind hyperkit's socket
//                             directory; guest CID 3 unless ?cid= says
//                             otherwise (the only query accepted anywhere)
//
// Schemes are case-insensitive; formatting writes them in lower case and
// round-trips: ParseAddressUri(FormatAddressUri(a)) == a for every vsock
// address and every absolute Unix path. (An unnamed Unix socket formats as
// "unix://" and a relative path as "unix:relative/path": readable in
// messages, rejected by the parser.) A trailing "/"
// after a vsock port is accepted and ignored. Queries, fragments and user
// information are rejected.
//
// Errors are absl::InvalidArgumentError with a message of the form
//   bad URI "vsock://2:x" at column 11: port "x" is not a number ...
// Columns count bytes from 1.
//
// The lower-level pieces (SplitUri, UriError, ParseUriNumber) are public so
// that other schemes (hvsock:// in the winsock backend) parse the same way.
// backends/uri_address.h has the one entry point for every scheme
// (ParseUri); ParseAddressUri is its Linux-backend part.
//
// Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_URI_H_
#define HVSOCK_BACKENDS_URI_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/vmm_socket_address.h"

namespace hvsock {

absl::StatusOr<Address> ParseAddressUri(absl::string_view uri);
std::string FormatAddressUri(const Address& address);
std::string FormatVsockUri(const VsockAddress& address);
std::string FormatUnixUri(const UnixAddress& address);

// hybrid-vsock:// and hyperkit:// (backends/vmm_socket_address.h). Reached
// through ParseUri (backends/uri_address.h) like every scheme.
absl::StatusOr<HybridVsockAddress> ParseHybridVsockUri(absl::string_view uri);
absl::StatusOr<HyperkitAddress> ParseHyperkitUri(absl::string_view uri);
std::string FormatHybridVsockUri(const HybridVsockAddress& address);
std::string FormatHyperkitUri(const HyperkitAddress& address);
inline constexpr absl::string_view kHybridVsockScheme = "hybrid-vsock";
inline constexpr absl::string_view kHyperkitScheme = "hyperkit";

// ── Building blocks for scheme parsers ─────────────────────────────────

// "SCHEME://AUTHORITY/PATH" split at its delimiters. Views point into the
// URI; columns are 1-based positions of each part's first byte (for an
// empty part, where it would have started).
struct UriParts {
  std::string scheme;          // lower-cased
  absl::string_view authority;  // between "//" and the next "/" (or end)
  absl::string_view path;       // from that "/" to the end (may be empty)
  size_t authority_column = 0;
  size_t path_column = 0;
};

// Fails unless `uri` starts with a scheme and "://", and contains no query
// ('?'), fragment ('#') or user information ('@' in the authority).
absl::StatusOr<UriParts> SplitUri(absl::string_view uri);

// InvalidArgumentError: bad URI "<uri>" at column <column>: <what>.
absl::Status UriError(absl::string_view uri, size_t column,
                      absl::string_view what);

// A 32-bit unsigned number, decimal or 0x-prefixed hexadecimal, located at
// `column` of `uri`; `what` names it in errors ("port", "CID").
absl::StatusOr<uint32_t> ParseUriNumber(absl::string_view uri,
                                        absl::string_view text, size_t column,
                                        absl::string_view what);

// Percent-decodes `text` (located at `column` of `uri`). Rejects malformed
// escapes and %00.
absl::StatusOr<std::string> PercentDecode(absl::string_view uri,
                                          absl::string_view text,
                                          size_t column);
// Percent-encodes every byte outside RFC 3986's unreserved and sub-delims
// characters, ':', '@' and '/'.
std::string PercentEncodePath(absl::string_view path);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_URI_H_
