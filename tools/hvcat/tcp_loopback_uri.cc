#include "tools/hvcat/tcp_loopback_uri.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/uri_syntax.h"

namespace hvsock {
namespace {

constexpr absl::string_view kTcpLoopbackHost = "127.0.0.1";

}  // namespace

bool HasTcpScheme(absl::string_view uri) {
  return absl::StartsWithIgnoreCase(uri, "tcp://");
}

absl::StatusOr<uint16_t> ParseTcpLoopbackUri(absl::string_view uri) {
  absl::StatusOr<UriParts> parts = SplitUri(uri);
  if (!parts.ok()) return parts.status();
  if (parts->scheme != "tcp") {
    return UriError(uri, 1,
                    absl::StrCat("expected the scheme \"tcp\", found ",
                                 QuotedUriText(parts->scheme)));
  }
  absl::string_view authority = parts->authority;
  size_t colon = authority.rfind(':');
  absl::string_view host =
      colon == absl::string_view::npos ? authority : authority.substr(0, colon);
  if (host != kTcpLoopbackHost) {
    return UriError(uri, parts->authority_column,
                    absl::StrCat("expected the loopback address 127.0.0.1, "
                                 "found ",
                                 QuotedUriText(host),
                                 " (tcp:// URIs are for tests and name only "
                                 "tcp://127.0.0.1:PORT)"));
  }
  size_t port_column = parts->authority_column + host.size() + 1;
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
                    absl::StrCat("TCP port ", QuotedUriText(port_text),
                                 " is out of range (0 to 65535)"));
  }
  if (!parts->path.empty() && parts->path != "/") {
    return UriError(uri, parts->path_column,
                    "unexpected path after the port (tcp://127.0.0.1:PORT)");
  }
  return static_cast<uint16_t>(*port);
}

}  // namespace hvsock
