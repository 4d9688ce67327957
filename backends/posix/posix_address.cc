#include "backends/posix/posix_address.h"

#include <variant>

#include "backends/platform.h"

namespace hvsock {

absl::Status CheckPosixAddress(const Address& address) {
  if (PlatformFor(address) != Platform::kLinux) {
    return NotOnThisPlatform(address, Platform::kLinux);
  }
  return absl::OkStatus();
}

std::optional<VmmSocketAddress> AsVmmSocketAddress(const Address& address) {
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address)) {
    return VmmSocketAddress(*hybrid);
  }
  if (const auto* hyperkit = std::get_if<HyperkitAddress>(&address)) {
    return VmmSocketAddress(*hyperkit);
  }
  return std::nullopt;
}

}  // namespace hvsock
