// Values of the command-line tools' options, parsed the same way in every
// tool (hvcat, hvstress): seconds and the wire protocol. Each parser takes
// the option's name only to say, in its error, which option was wrong.
//
// Errors are InvalidArgument and read "OPTION: \"TEXT\" is not ...", naming
// what was expected. Thread-safety: pure functions.
#ifndef HVSOCK_TOOLS_OPTION_VALUES_H_
#define HVSOCK_TOOLS_OPTION_VALUES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/flow_options.h"

namespace hvsock::tools {

// A number of seconds, fractions allowed ("10", "0.25"): finite, at most
// 1e9, positive or, with `allow_zero`, non-negative.
absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view option,
                                            const std::string& text,
                                            bool allow_zero);

// "native" or "framed".
absl::StatusOr<Codec> ParseCodec(absl::string_view option,
                                 absl::string_view text);

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_OPTION_VALUES_H_
