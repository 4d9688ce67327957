// The syntax every address URI shares, and the error format of every
// scheme: the internals of backends/uri.h's parser and formatter.
//
// Errors are absl::InvalidArgumentError with a message of the form
//   bad URI "vsock://2:x" at column 11: port "x" is not a number ...
// Columns count bytes from 1.
//
// Internal to backends/uri (package visibility). Thread-safety: pure
// functions.
#ifndef HVSOCK_BACKENDS_URI_SYNTAX_H_
#define HVSOCK_BACKENDS_URI_SYNTAX_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hvsock {

// "SCHEME://AUTHORITY/PATH" split at its delimiters. Views point into the
// URI; columns are 1-based positions of each part's first byte (for an
// empty part, where it would have started).
struct UriParts {
  std::string scheme;           // lower-cased
  absl::string_view authority;  // between "//" and the next "/" (or end)
  absl::string_view path;       // from that "/" to the end (may be empty)
  size_t authority_column = 0;
  size_t path_column = 0;
};

// Fails unless `uri` starts with a scheme and "://", and contains no query
// ('?'), fragment ('#') or user information ('@' in the authority).
absl::StatusOr<UriParts> SplitUri(absl::string_view uri);

// InvalidArgumentError: bad URI "<uri>" at column <column>: <what>.
absl::Status UriError(absl::string_view uri, size_t column,
                      absl::string_view what);

// `text` in double quotes for an error message, unprintable bytes escaped
// (\xNN), cut after 200 bytes.
std::string QuotedUriText(absl::string_view text);

// A 32-bit unsigned number, decimal or 0x-prefixed hexadecimal, located at
// `column` of `uri`; `what` names it in errors ("port", "CID").
absl::StatusOr<uint32_t> ParseUriNumber(absl::string_view uri,
                                        absl::string_view text, size_t column,
                                        absl::string_view what);

// Percent-decodes `text` (located at `column` of `uri`). Rejects malformed
// escapes, %00 and raw NUL bytes.
absl::StatusOr<std::string> PercentDecode(absl::string_view uri,
                                          absl::string_view text,
                                          size_t column);
// Percent-encodes every byte outside RFC 3986's unreserved and sub-delims
// characters, ':', '@' and '/'.
std::string PercentEncodePath(absl::string_view path);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_URI_SYNTAX_H_
