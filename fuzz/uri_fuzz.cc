// Fuzz target: the one address URI parser, every scheme (vsock://, unix://,
// hybrid-vsock://, hyperkit://, hvsock://; tcp:// is an unknown scheme
// here, hvcat.exe's test-only tools/hvcat/tcp_loopback_uri.h).
//
// Whatever the text, the parser either fails with InvalidArgument and a
// message that locates the problem inside the text or just past it ("at
// column N", 1-based, or "at position N", 0-based), or succeeds with an
// address whose formatted URI parses back to the same address.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "backends/uri.h"

namespace {

void Check(bool ok, const char* what, absl::string_view uri) {
  if (ok) return;
  std::fprintf(stderr, "uri_fuzz: %s for %.*s\n", what,
               static_cast<int>(uri.size()), uri.data());
  std::abort();
}

// Errors must be InvalidArgument and locate the problem within the URI.
void CheckError(const absl::Status& status, absl::string_view uri) {
  Check(absl::IsInvalidArgument(status), "error is not InvalidArgument", uri);
  absl::string_view message = status.message();
  // The location follows the quoted URI, which may itself contain a marker.
  // Skip past the URI where it is quoted verbatim (quoting escapes
  // unprintable bytes and shortens long URIs; then only the kind is checked).
  size_t after_uri = message.find(uri);
  if (uri.empty() || after_uri == absl::string_view::npos) return;
  message.remove_prefix(after_uri + uri.size());
  // The first location marker after the URI is the parser's.
  size_t column_at = message.find(" at column ");
  size_t position_at = message.find(" at position ");
  if (column_at == absl::string_view::npos &&
      position_at == absl::string_view::npos) {
    return;
  }
  const bool is_column = column_at < position_at;
  absl::string_view rest =
      message.substr(is_column ? column_at + 11 : position_at + 13);
  rest = rest.substr(0, rest.find(':'));
  uint32_t location = 0;
  Check(absl::SimpleAtoi(rest, &location), "error location is not a number",
        uri);
  const uint32_t first = is_column ? 1 : 0;
  Check(location >= first && location <= uri.size() + first,
        "error location is outside the URI", uri);
}

void CheckAddressUri(absl::string_view uri) {
  absl::StatusOr<hvsock::Address> parsed = hvsock::ParseAddressUri(uri);
  if (!parsed.ok()) return CheckError(parsed.status(), uri);
  std::string formatted = hvsock::FormatAddressUri(*parsed);
  absl::StatusOr<hvsock::Address> again = hvsock::ParseAddressUri(formatted);
  Check(again.ok(), "formatted URI does not parse", uri);
  Check(*again == *parsed, "formatted URI parses to another address", uri);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view uri(reinterpret_cast<const char*>(data), size);
  CheckAddressUri(uri);
  return 0;
}
