#include "backends/posix/hybrid_paths.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/uri.h"

namespace hvsock {

UnixAddress VmmConnectSocket(const VmmSocketAddress& address) {
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address)) {
    return UnixAddress{hybrid->uds_path};
  }
  return UnixAddress{
      absl::StrCat(std::get<HyperkitAddress>(address).directory, "/connect")};
}

UnixAddress VmmListenSocket(const VmmSocketAddress& address) {
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address)) {
    return UnixAddress{absl::StrCat(hybrid->uds_path, "_", hybrid->port)};
  }
  const HyperkitAddress& hyperkit = std::get<HyperkitAddress>(address);
  return UnixAddress{absl::StrFormat("%s/%08x.%08x", hyperkit.directory,
                                     VsockAddress::kCidHost, hyperkit.port)};
}

std::string FormatVmmSocketUri(const VmmSocketAddress& address) {
  return std::visit([](const auto& kind) { return FormatAddressUri(kind); },
                    address);
}

}  // namespace hvsock
