#include "backends/uri_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/escaped_text.h"

namespace hvsock {
namespace {

constexpr size_t kMaxShownUriBytes = 200;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string QuotedUriText(absl::string_view text) {
  std::string out = "\"";
  out += EscapedText(text.substr(0, kMaxShownUriBytes));
  if (text.size() > kMaxShownUriBytes) out += "...";
  out += '"';
  return out;
}

absl::Status UriError(absl::string_view uri, size_t column,
                      absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "bad URI ", QuotedUriText(uri), " at column ", column, ": ", what));
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
  bool hex =
      text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  absl::string_view digits = hex ? text.substr(2) : text;
  uint64_t value = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int digit =
        hex ? HexValue(digits[i])
            : (absl::ascii_isdigit(static_cast<unsigned char>(digits[i]))
                   ? digits[i] - '0'
                   : -1);
    if (digit < 0) {
      return UriError(
          uri, column + (hex ? 2 : 0) + i,
          absl::StrCat(what, " ", QuotedUriText(text), " is not a ",
                       hex ? "hexadecimal" : "decimal", " number (unexpected ",
                       QuotedUriText(digits.substr(i, 1)), ")"));
    }
    value = value * (hex ? 16 : 10) + static_cast<uint64_t>(digit);
    if (value > 0xFFFFFFFFu) {
      return UriError(uri, column,
                      absl::StrCat(what, " ", QuotedUriText(text),
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

}  // namespace hvsock
