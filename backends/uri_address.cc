#include "backends/uri_address.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/uri.h"
#include "backends/winsock/hvsock_uri.h"

namespace hvsock {
namespace {

constexpr absl::string_view kTcpLoopbackHost = "127.0.0.1";

absl::StatusOr<UriAddress> ParseTcpLoopback(absl::string_view uri,
                                            const UriParts& parts) {
  absl::string_view authority = parts.authority;
  size_t colon = authority.rfind(':');
  absl::string_view host =
      colon == absl::string_view::npos ? authority : authority.substr(0, colon);
  if (host != kTcpLoopbackHost) {
    return UriError(uri, parts.authority_column,
                    absl::StrCat("expected the loopback address 127.0.0.1, "
                                 "found \"",
                                 host,
                                 "\" (tcp:// URIs are for tests and name only "
                                 "tcp://127.0.0.1:PORT)"));
  }
  size_t port_column = parts.authority_column + host.size() + 1;
  if (colon == absl::string_view::npos || colon + 1 == authority.size()) {
    return UriError(uri, port_column - (colon == absl::string_view::npos),
                    "missing port after 127.0.0.1 (tcp://127.0.0.1:PORT)");
  }
  absl::string_view port_text = authority.substr(colon + 1);
  absl::StatusOr<uint32_t> port =
      ParseUriNumber(uri, port_text, port_column, "port");
  if (!port.ok()) return port.status();
  if (*port > 0xFFFF) {
    return UriError(uri, port_column,
                    absl::StrCat("TCP port \"", port_text,
                                 "\" is out of range (0 to 65535)"));
  }
  if (!parts.path.empty() && parts.path != "/") {
    return UriError(uri, parts.path_column,
                    "unexpected path after the port (tcp://127.0.0.1:PORT)");
  }
  return TcpLoopbackAddress{static_cast<uint16_t>(*port)};
}

}  // namespace

absl::StatusOr<UriAddress> ParseUri(absl::string_view uri) {
  // hyperkit:// first: its ?cid= query is one SplitUri refuses.
  if (absl::StartsWithIgnoreCase(uri, absl::StrCat(kHyperkitScheme, "://"))) {
    return ParseHyperkitUri(uri);
  }
  absl::StatusOr<UriParts> parts = SplitUri(uri);
  if (!parts.ok()) return parts.status();
  if (parts->scheme == "vsock" || parts->scheme == "unix") {
    absl::StatusOr<Address> address = ParseAddressUri(uri);
    if (!address.ok()) return address.status();
    return std::visit([](auto a) -> UriAddress { return a; },
                      *std::move(address));
  }
  if (parts->scheme == kHvsockScheme) {
    absl::StatusOr<HvSocketAddress> address = ParseHvsockUri(uri);
    if (!address.ok()) return address.status();
    return *address;
  }
  if (parts->scheme == "tcp") return ParseTcpLoopback(uri, *parts);
  if (parts->scheme == kHybridVsockScheme) return ParseHybridVsockUri(uri);
  return UriError(uri, 1,
                  absl::StrCat("unknown scheme \"", parts->scheme,
                               "\" (expected vsock, unix, hvsock, tcp, "
                               "hybrid-vsock or hyperkit)"));
}

std::string FormatUri(const UriAddress& address) {
  if (const auto* vsock = std::get_if<VsockAddress>(&address)) {
    return FormatVsockUri(*vsock);
  }
  if (const auto* unix_address = std::get_if<UnixAddress>(&address)) {
    return FormatUnixUri(*unix_address);
  }
  if (const auto* hv = std::get_if<HvSocketAddress>(&address)) {
    return FormatHvsockUri(*hv);
  }
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address)) {
    return FormatHybridVsockUri(*hybrid);
  }
  if (const auto* hyperkit = std::get_if<HyperkitAddress>(&address)) {
    return FormatHyperkitUri(*hyperkit);
  }
  return absl::StrCat("tcp://", kTcpLoopbackHost, ":",
                      std::get<TcpLoopbackAddress>(address).port);
}

absl::string_view UriScheme(const UriAddress& address) {
  switch (address.index()) {
    case 0:
      return "vsock";
    case 1:
      return "unix";
    case 2:
      return kHvsockScheme;
    case 3:
      return "tcp";
    case 4:
      return kHybridVsockScheme;
    default:
      return kHyperkitScheme;
  }
}

}  // namespace hvsock
