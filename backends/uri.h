// Addresses as URIs: the one parser and the one formatter for every scheme,
// with errors that say what is wrong and where.
//
// The forms (compatible with ocaml-hvsock and linuxkit/virtsock):
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
//   hvsock://VMID/SERVICEID   a Hyper-V socket; VMID is a GUID or a
//                             keyword (parent, loopback, ...), SERVICEID a
//                             GUID or a vsock port number
//                             (backends/hyperv/id_text.h)
//
// Which platform serves which scheme: backends/platform.h.
//
// Schemes are case-insensitive; formatting writes them in lower case and
// round-trips: ParseAddressUri(FormatAddressUri(a)) == a for every address
// ParseAddressUri returns. (An unnamed Unix socket formats as "unix://" and
// a relative path as "unix:relative/path": readable in messages, rejected by
// the parser.) A trailing "/" after a vsock port is accepted and
// ignored. Queries (but hyperkit's ?cid=), fragments and user information
// are rejected.
//
// Errors are absl::InvalidArgumentError with a message of the form
//   bad URI "vsock://2:x" at column 11: port "x" is not a number ...
// Columns count bytes from 1.
//
// Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_URI_H_
#define HVSOCK_BACKENDS_URI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"

namespace hvsock {

absl::StatusOr<Address> ParseAddressUri(absl::string_view uri);

std::string FormatAddressUri(const Address& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_URI_H_
