// EscapedText: bytes from a peer or a user, as printable text for an error
// message: '"' and '\' are escaped with '\', and every byte outside
// printable ASCII is written as \xNN, so a message never carries control
// characters or invalid UTF-8 from untrusted input.
//
// Thread-safety: a pure function.
#ifndef HVSOCK_CORE_ESCAPED_TEXT_H_
#define HVSOCK_CORE_ESCAPED_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hvsock {

std::string EscapedText(absl::string_view bytes);

}  // namespace hvsock

#endif  // HVSOCK_CORE_ESCAPED_TEXT_H_
