#include "backends/uri.h"

#include <cctype>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace hvsock {
namespace {

constexpr size_t kMaxShownUriBytes = 200;

// Quotes `text` for an error message, escaping what would not print.
std::string Quoted(absl::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShownUriBytes; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShownUriBytes) out += "...";
  out += '"';
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<Address> ParseVsock(absl::string_view uri,
                                   const UriParts& parts) {
  absl::string_view authority = parts.authority;
  size_t colon = authority.find(':');
  if (colon == absl::string_view::npos) {
    return UriError(uri, parts.authority_column + authority.size(),
                    authority.empty()
                        ? "expected CID:PORT or :PORT after \"vsock://\""
                        : "expected ':' and a port after the CID "
                          "(vsock://CID:PORT)");
  }
  VsockAddress address;
  absl::string_view cid = authority.substr(0, colon);
  if (!cid.empty()) {
    absl::StatusOr<uint32_t> value =
        ParseUriNumber(uri, cid, parts.authority_column, "CID");
    if (!value.ok()) return value.status();
    address.cid = *value;
  }
  absl::string_view port = authority.substr(colon + 1);
  size_t port_column = parts.authority_column + colon + 1;
  if (port.empty()) {
    return UriError(uri, port_column,
                    "missing port after ':' (vsock://CID:PORT)");
  }
  absl::StatusOr<uint32_t> value =
      ParseUriNumber(uri, port, port_column, "port");
  if (!value.ok()) return value.status();
  address.port = *value;
  if (!parts.path.empty() && parts.path != "/") {
    return UriError(uri, parts.path_column,
                    absl::StrCat("unexpected path ", Quoted(parts.path),
                                 " after the port (vsock://CID:PORT)"));
  }
  return address;
}

absl::StatusOr<Address> ParseUnix(absl::string_view uri,
                                  const UriParts& parts) {
  if (!parts.authority.empty()) {
    return UriError(
        uri, parts.authority_column,
        absl::StrCat("unix URIs have no host (found ", Quoted(parts.authority),
                     "); write unix:///absolute/path, with three slashes"));
  }
  if (parts.path.empty() || parts.path == "/") {
    return UriError(uri, parts.path_column,
                    "missing socket path (unix:///absolute/path)");
  }
  absl::StatusOr<std::string> path =
      PercentDecode(uri, parts.path, parts.path_column);
  if (!path.ok()) return path.status();
  return UnixAddress{*std::move(path)};
}

// The "/abs/path:PORT" of hybrid-vsock:// and hyperkit:// URIs: the port
// is the number after the last ':' of the path; the path before it is
// percent-decoded.
struct PathAndPort {
  std::string path;
  uint32_t port = 0;
};

absl::StatusOr<PathAndPort> ParsePathAndPort(absl::string_view uri,
                                             const UriParts& parts,
                                             absl::string_view form,
                                             absl::string_view what) {
  if (!parts.authority.empty()) {
    return UriError(
        uri, parts.authority_column,
        absl::StrCat(parts.scheme, " URIs have no host (found ",
                     Quoted(parts.authority), "); write ", form,
                     ", with three slashes"));
  }
  size_t colon = parts.path.rfind(':');
  if (colon == absl::string_view::npos) {
    return UriError(uri, parts.path_column + parts.path.size(),
                    absl::StrCat("expected ':' and a port after the ", what,
                                 " (", form, ")"));
  }
  absl::string_view path = parts.path.substr(0, colon);
  if (path.empty() || path == "/") {
    return UriError(uri, parts.path_column,
                    absl::StrCat("missing ", what, " before the port (", form,
                                 ")"));
  }
  absl::string_view port_text = parts.path.substr(colon + 1);
  size_t port_column = parts.path_column + colon + 1;
  if (port_text.empty()) {
    return UriError(uri, port_column,
                    absl::StrCat("missing port after ':' (", form, ")"));
  }
  absl::StatusOr<uint32_t> port =
      ParseUriNumber(uri, port_text, port_column, "port");
  if (!port.ok()) return port.status();
  absl::StatusOr<std::string> decoded =
      PercentDecode(uri, path, parts.path_column);
  if (!decoded.ok()) return decoded.status();
  return PathAndPort{*std::move(decoded), *port};
}

constexpr absl::string_view kHybridVsockForm =
    "hybrid-vsock:///path/to/v.sock:PORT";
constexpr absl::string_view kHyperkitForm = "hyperkit:///path/to/dir:PORT";

}  // namespace

absl::Status UriError(absl::string_view uri, size_t column,
                      absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad URI ", Quoted(uri), " at column ", column, ": ", what));
}

absl::StatusOr<UriParts> SplitUri(absl::string_view uri) {
  if (uri.empty()) {
    return absl::InvalidArgumentError(
        "bad URI \"\": empty (expected e.g. vsock://2:1024 or "
        "unix:///run/agent.sock)");
  }
  size_t i = 0;
  while (i < uri.size() &&
         (absl::ascii_isalnum(static_cast<unsigned char>(uri[i])) ||
          (i > 0 && (uri[i] == '+' || uri[i] == '-' || uri[i] == '.')))) {
    ++i;
  }
  if (i == 0 || !absl::ascii_isalpha(static_cast<unsigned char>(uri[0]))) {
    return UriError(uri, 1,
                    "expected a scheme such as vsock://, unix:// or "
                    "hvsock:// at the start");
  }
  if (uri.substr(i, 3) != "://") {
    return UriError(uri, i + 1,
                    absl::StrCat("expected \"://\" after the scheme \"",
                                 uri.substr(0, i), "\""));
  }
  UriParts parts;
  parts.scheme = absl::AsciiStrToLower(uri.substr(0, i));
  size_t start = i + 3;
  for (size_t j = start; j < uri.size(); ++j) {
    if (uri[j] == '?') {
      return UriError(uri, j + 1,
                      "queries ('?') are not supported; write %3F for a "
                      "literal '?' in a path");
    }
    if (uri[j] == '#') {
      return UriError(uri, j + 1,
                      "fragments ('#') are not supported; write %23 for a "
                      "literal '#' in a path");
    }
  }
  size_t slash = uri.find('/', start);
  if (slash == absl::string_view::npos) slash = uri.size();
  parts.authority = uri.substr(start, slash - start);
  parts.authority_column = start + 1;
  parts.path = uri.substr(slash);
  parts.path_column = slash + 1;
  if (size_t at = parts.authority.find('@'); at != absl::string_view::npos) {
    return UriError(uri, start + at + 1,
                    "user information ('@') is not supported");
  }
  return parts;
}

absl::StatusOr<uint32_t> ParseUriNumber(absl::string_view uri,
                                        absl::string_view text, size_t column,
                                        absl::string_view what) {
  if (text.empty()) {
    return UriError(uri, column, absl::StrCat("missing ", what));
  }
  bool hex = text.size() > 2 && text[0] == '0' &&
             (text[1] == 'x' || text[1] == 'X');
  absl::string_view digits = hex ? text.substr(2) : text;
  uint64_t value = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int digit = hex ? HexValue(digits[i])
                    : (absl::ascii_isdigit(static_cast<unsigned char>(
                           digits[i]))
                           ? digits[i] - '0'
                           : -1);
    if (digit < 0) {
      return UriError(
          uri, column + (hex ? 2 : 0) + i,
          absl::StrCat(what, " ", Quoted(text), " is not a ",
                       hex ? "hexadecimal" : "decimal",
                       " number (unexpected ", Quoted(digits.substr(i, 1)),
                       ")"));
    }
    value = value * (hex ? 16 : 10) + static_cast<uint64_t>(digit);
    if (value > 0xFFFFFFFFu) {
      return UriError(uri, column,
                      absl::StrCat(what, " ", Quoted(text),
                                   " is out of range (0 to 4294967295)"));
    }
  }
  return static_cast<uint32_t>(value);
}

absl::StatusOr<std::string> PercentDecode(absl::string_view uri,
                                          absl::string_view text,
                                          size_t column) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') {
      // A socket path ends at its first NUL: the kernel would silently use
      // a shorter path than the one written.
      return UriError(uri, column + i, "a NUL byte is not allowed");
    }
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return UriError(uri, column + i,
                      "'%' must be followed by two hexadecimal digits "
                      "(write %25 for a literal '%')");
    }
    char c = static_cast<char>(high * 16 + low);
    if (c == '\0') {
      return UriError(uri, column + i, "%00 (a NUL byte) is not allowed");
    }
    out += c;
    i += 2;
  }
  return out;
}

std::string PercentEncodePath(absl::string_view path) {
  static constexpr absl::string_view kKept = "-._~!$&'()*+,;=:@/";
  std::string out;
  for (char c : path) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
        kKept.find(c) != absl::string_view::npos) {
      out += c;
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

absl::StatusOr<Address> ParseAddressUri(absl::string_view uri) {
  absl::StatusOr<UriParts> parts = SplitUri(uri);
  if (!parts.ok()) return parts.status();
  if (parts->scheme == "vsock") return ParseVsock(uri, *parts);
  if (parts->scheme == "unix") return ParseUnix(uri, *parts);
  return UriError(uri, 1,
                  absl::StrCat("unknown scheme \"", parts->scheme,
                               "\" (expected vsock or unix)"));
}

absl::StatusOr<HybridVsockAddress> ParseHybridVsockUri(absl::string_view uri) {
  absl::StatusOr<UriParts> parts = SplitUri(uri);
  if (!parts.ok()) return parts.status();
  if (parts->scheme != kHybridVsockScheme) {
    return UriError(uri, 1, absl::StrCat("expected the scheme \"",
                                         kHybridVsockScheme, "://\""));
  }
  absl::StatusOr<PathAndPort> parsed =
      ParsePathAndPort(uri, *parts, kHybridVsockForm, "socket path");
  if (!parsed.ok()) return parsed.status();
  return HybridVsockAddress{std::move(parsed->path), parsed->port};
}

absl::StatusOr<HyperkitAddress> ParseHyperkitUri(absl::string_view uri) {
  // The one query anywhere: ?cid=N. SplitUri sees what precedes it.
  size_t query = uri.find('?');
  absl::string_view before_query = uri.substr(0, query);
  if (before_query.find('#') != absl::string_view::npos) {
    return SplitUri(uri).status();  // reports the fragment
  }
  absl::StatusOr<UriParts> parts = SplitUri(before_query);
  if (!parts.ok()) {
    // Errors name the whole URI; the column is the same.
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        parts.status().message(),
        {{Quoted(before_query), Quoted(uri)}}));
  }
  if (parts->scheme != kHyperkitScheme) {
    return UriError(uri, 1, absl::StrCat("expected the scheme \"",
                                         kHyperkitScheme, "://\""));
  }
  absl::StatusOr<PathAndPort> parsed =
      ParsePathAndPort(uri, *parts, kHyperkitForm, "directory");
  if (!parsed.ok()) return parsed.status();
  HyperkitAddress address{std::move(parsed->path), parsed->port,
                          HyperkitAddress::kDefaultGuestCid};
  if (query == absl::string_view::npos) return address;
  absl::string_view text = uri.substr(query + 1);
  size_t column = query + 2;
  if (size_t hash = text.find('#'); hash != absl::string_view::npos) {
    return UriError(uri, column + hash,
                    "fragments ('#') are not supported");
  }
  constexpr absl::string_view kCid = "cid=";
  if (text.substr(0, kCid.size()) != kCid) {
    return UriError(uri, column,
                    absl::StrCat("unknown query ", Quoted(text),
                                 " (the only one is ?cid=N, the guest's CID)"));
  }
  absl::StatusOr<uint32_t> cid = ParseUriNumber(
      uri, text.substr(kCid.size()), column + kCid.size(), "CID");
  if (!cid.ok()) return cid.status();
  if (*cid <= VsockAddress::kCidHost || *cid == VsockAddress::kCidAny) {
    return UriError(uri, column + kCid.size(),
                    absl::StrCat("CID ", *cid,
                                 " is not a guest's (guests have CIDs from 3 "
                                 "to 4294967294)"));
  }
  address.guest_cid = *cid;
  return address;
}

std::string FormatHybridVsockUri(const HybridVsockAddress& address) {
  return absl::StrCat(kHybridVsockScheme, "://",
                      PercentEncodePath(address.uds_path), ":", address.port);
}

std::string FormatHyperkitUri(const HyperkitAddress& address) {
  std::string uri = absl::StrCat(kHyperkitScheme, "://",
                                 PercentEncodePath(address.directory), ":",
                                 address.port);
  if (address.guest_cid != HyperkitAddress::kDefaultGuestCid) {
    absl::StrAppend(&uri, "?cid=", address.guest_cid);
  }
  return uri;
}

std::string FormatVsockUri(const VsockAddress& address) {
  if (address.cid == VsockAddress::kCidAny) {
    return absl::StrCat("vsock://:", address.port);
  }
  return absl::StrCat("vsock://", address.cid, ":", address.port);
}

std::string FormatUnixUri(const UnixAddress& address) {
  // A relative path cannot be written as a unix:/// URI; keep it readable
  // (and unparseable rather than wrong).
  if (!address.path.empty() && address.path[0] != '/') {
    return absl::StrCat("unix:", PercentEncodePath(address.path));
  }
  return absl::StrCat("unix://", PercentEncodePath(address.path));
}

std::string FormatAddressUri(const Address& address) {
  if (const auto* vsock = std::get_if<VsockAddress>(&address)) {
    return FormatVsockUri(*vsock);
  }
  return FormatUnixUri(std::get<UnixAddress>(address));
}

}  // namespace hvsock
