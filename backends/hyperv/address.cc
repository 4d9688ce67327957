#include "backends/hyperv/address.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace hvsock {
namespace {

void PutGuid(const HvGuid& guid, uint8_t* out) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<uint8_t>(guid.data1 >> (8 * i));
  for (int i = 0; i < 2; ++i)
    out[4 + i] = static_cast<uint8_t>(guid.data2 >> (8 * i));
  for (int i = 0; i < 2; ++i)
    out[6 + i] = static_cast<uint8_t>(guid.data3 >> (8 * i));
  for (int i = 0; i < 8; ++i) out[8 + i] = guid.data4[i];
}

HvGuid GetGuid(const uint8_t* in) {
  HvGuid guid;
  for (int i = 0; i < 4; ++i) guid.data1 |= uint32_t{in[i]} << (8 * i);
  guid.data2 = static_cast<uint16_t>(in[4] | (in[5] << 8));
  guid.data3 = static_cast<uint16_t>(in[6] | (in[7] << 8));
  for (int i = 0; i < 8; ++i) guid.data4[i] = in[8 + i];
  return guid;
}

}  // namespace

std::array<uint8_t, kSockaddrHvSize> EncodeSockaddrHv(
    const HvSocketAddress& address) {
  std::array<uint8_t, kSockaddrHvSize> bytes = {};
  bytes[0] = static_cast<uint8_t>(kAfHyperV & 0xff);
  bytes[1] = static_cast<uint8_t>(kAfHyperV >> 8);
  PutGuid(address.vm_id, &bytes[4]);
  PutGuid(address.service_id, &bytes[20]);
  return bytes;
}

absl::StatusOr<HvSocketAddress> DecodeSockaddrHv(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() != kSockaddrHvSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "a SOCKADDR_HV has %d bytes; got %d", kSockaddrHvSize, bytes.size()));
  }
  int family = bytes[0] | (bytes[1] << 8);
  if (family != kAfHyperV) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "expected address family AF_HYPERV (%d), got %d", kAfHyperV, family));
  }
  return HvSocketAddress{GetGuid(&bytes[4]), GetGuid(&bytes[20])};
}

}  // namespace hvsock
