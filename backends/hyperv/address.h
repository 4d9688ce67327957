// HvSocketAddress: the address of a Hyper-V socket endpoint, a (VmId,
// ServiceId) pair, and its 36-byte SOCKADDR_HV wire form.
//
// Hyper-V sockets are stream sockets of address family AF_HYPERV (34) and
// protocol HV_PROTOCOL_RAW (1). Their sockaddr, SOCKADDR_HV, is
//   u16 Family; u16 Reserved; GUID VmId; GUID ServiceId    (36 bytes)
// with the GUIDs in host byte order (Windows is little-endian). The encoding
// here is byte-exact and platform-independent, so it is tested on any host;
// on Windows the driver copies it into the system's SOCKADDR_HV (whose size
// and layout a static_assert checks there).
//
// Thread-safety: a plain value type; the functions are pure.
#ifndef HVSOCK_BACKENDS_HYPERV_ADDRESS_H_
#define HVSOCK_BACKENDS_HYPERV_ADDRESS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backends/hyperv/guid.h"

namespace hvsock {

// Windows' AF_HYPERV; mingw-w64's headers lack the constant.
inline constexpr int kAfHyperV = 34;
// Windows' HV_PROTOCOL_RAW, the only Hyper-V socket protocol.
inline constexpr int kHvProtocolRaw = 1;
// sizeof(SOCKADDR_HV).
inline constexpr size_t kSockaddrHvSize = 36;

struct HvSocketAddress {
  HvGuid vm_id;       // the partition: a VM's id or a well-known VmId
  HvGuid service_id;  // the service (often VsockPortGuid(port))

  friend bool operator==(const HvSocketAddress&,
                         const HvSocketAddress&) = default;
};

// The SOCKADDR_HV bytes for `address` (Family = AF_HYPERV, Reserved = 0),
// little-endian as on every Windows host.
std::array<uint8_t, kSockaddrHvSize> EncodeSockaddrHv(
    const HvSocketAddress& address);

// Reads SOCKADDR_HV bytes (for example what accept() reports). Fails if the
// size is not 36 or the family is not AF_HYPERV; Reserved is ignored.
absl::StatusOr<HvSocketAddress> DecodeSockaddrHv(
    absl::Span<const uint8_t> bytes);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_HYPERV_ADDRESS_H_
