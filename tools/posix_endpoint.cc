#include "tools/posix_endpoint.h"

#include "absl/strings/str_cat.h"
#include "backends/uri.h"
#include "backends/uri_address.h"

namespace hvsock::tools {

absl::StatusOr<PosixEndpoint> ParsePosixEndpoint(absl::string_view uri,
                                                 absl::string_view tool) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  if (!address.ok()) return address.status();
  if (const auto* vsock = std::get_if<VsockAddress>(&*address)) {
    return Address(*vsock);
  }
  if (const auto* unix_address = std::get_if<UnixAddress>(&*address)) {
    return Address(*unix_address);
  }
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&*address)) {
    return VmmSocketAddress(*hybrid);
  }
  if (const auto* hyperkit = std::get_if<HyperkitAddress>(&*address)) {
    return VmmSocketAddress(*hyperkit);
  }
  constexpr absl::string_view kTaken =
      "vsock://, unix://, hybrid-vsock:// and hyperkit://";
  if (std::holds_alternative<TcpLoopbackAddress>(*address)) {
    return UriError(uri, 1,
                    absl::StrCat("tcp:// is for tests of hvcat.exe only; this ",
                                 tool, " takes ", kTaken));
  }
  return UriError(uri, 1,
                  absl::StrCat("hvsock:// addresses are Windows' (Hyper-V "
                               "sockets); this ",
                               tool, " takes ", kTaken));
}

Codec DefaultCodecFor(const PosixEndpoint& endpoint) {
  if (const auto* vmm = std::get_if<VmmSocketAddress>(&endpoint)) {
    if (std::holds_alternative<HybridVsockAddress>(*vmm)) return Codec::kFramed;
  }
  return Codec::kNative;
}

std::string FormatEndpoint(const PosixEndpoint& endpoint) {
  if (const auto* address = std::get_if<Address>(&endpoint)) {
    return FormatAddressUri(*address);
  }
  return FormatVmmSocketUri(std::get<VmmSocketAddress>(endpoint));
}

}  // namespace hvsock::tools
