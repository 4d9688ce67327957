// hvcat's exit statuses and the one line on standard error that explains
// every failure. Shared by the Linux and the Windows hvcat.
//
// Thread-safety: Complain may be called from any thread (it writes one line
// with one call).
#ifndef HVSOCK_TOOLS_HVCAT_EXIT_H_
#define HVSOCK_TOOLS_HVCAT_EXIT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock::hvcat {

// Exit statuses (documented in hvcat --help and tools/hvcat/README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFlowFailed =
    1;                                // the flow or a standard stream failed
inline constexpr int kExitUsage = 2;  // bad command line or URI
inline constexpr int kExitNoConnection =
    3;  // could not connect / listen / accept

// Writes "hvcat: <message>\n" on standard error, line breaks inside the
// message replaced by spaces, so every complaint is exactly one line.
void Complain(absl::string_view message);

// The complaint for a flow that ended with `error`: the kind's name first
// when the error is a flow error ("reset: ...", "truncated stream: ...").
std::string FlowFailureMessage(const absl::Status& error);

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_EXIT_H_
