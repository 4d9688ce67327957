// VMIDs and SERVICEIDs as text: the two halves of an hvsock:// URI
// (hvsock://VMID/SERVICEID, compatible with ocaml-hvsock and
// linuxkit/virtsock), which backends/uri.h assembles.
//
//   VMID       a GUID (braces optional, any case) or a keyword naming a
//              well-known VmId: wildcard, children, loopback, parent,
//              silohost, broadcast
//   SERVICEID  a GUID, or a port number (decimal, or hex with a 0x prefix,
//              at most 0xffffffff) that maps through the vsock template
//              (XXXXXXXX-facb-11e6-bd58-64006a7986d3)
//
// Parse errors are absl::InvalidArgumentError naming what was expected and
// what arrived; the URI parser adds the URI and the column.
//
// Platform-independent. Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_HYPERV_ID_TEXT_H_
#define HVSOCK_BACKENDS_HYPERV_ID_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/hyperv/guid.h"

namespace hvsock {

// A VMID: a GUID or a well-known keyword.
absl::StatusOr<HvGuid> ParseHvVmId(absl::string_view text);
// A SERVICEID: a GUID or a port number.
absl::StatusOr<HvGuid> ParseHvServiceId(absl::string_view text);

// A well-known VmId as its keyword, any other as a lower-case GUID.
std::string FormatHvVmId(const HvGuid& vm_id);
// A ServiceId that follows the vsock template as its decimal port, any
// other as a lower-case GUID. ParseHvServiceId(FormatHvServiceId(g)) == g.
std::string FormatHvServiceId(const HvGuid& service_id);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_HYPERV_ID_TEXT_H_
