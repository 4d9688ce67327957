// Values of the command-line tools' options, parsed the same way in every
// tool (hvcat, hvstress): durations and the wire protocol. Each parser takes
// the option's name only to say, in its error, which option was wrong.
//
// Durations are positive: a zero or negative timeout, duration or interval
// cannot work (a zero close timeout fails every transfer), so it is a usage
// error, not something to discover mid-run. They are written as seconds
// ("10", "0.25") or with a unit ("250ms", "1.5s", "2m", "1h"), and printed
// back with FormatSeconds for a command line, or with absl::FormatDuration
// ("30s", "250ms") for people: never a bare number without its unit.
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

// The longest duration an option takes: 10^9 seconds (about 31 years), far
// from where adding it to a time could overflow.
inline constexpr absl::Duration kMaxOptionDuration = absl::Seconds(1000000000);

// A positive duration of at most kMaxOptionDuration, in whole nanoseconds
// (finer parts are dropped): a decimal number of seconds ("10", "0.25",
// ".5") or a number with a unit as absl::ParseDuration reads it ("250ms",
// "1.5s", "2m", "1h30m").
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view option,
                                             absl::string_view text);

// `duration` as a decimal number of seconds that ParseDuration reads back as
// exactly the same duration, as it is or with "s" appended: "10", "0.25",
// "0.000000001". For replay command lines ("--close-timeout=0.25s") and
// JSON. `duration` must be finite, whole nanoseconds.
std::string FormatSeconds(absl::Duration duration);

// "native" or "framed".
absl::StatusOr<Codec> ParseCodec(absl::string_view option,
                                 absl::string_view text);

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_OPTION_VALUES_H_
