// hvcat's command line: options, the URI (kept as text; each platform's
// hvcat parses it into the addresses it supports) and the usage text.
//
//   hvcat [options] URI        connect to URI
//   hvcat -l [options] URI     listen on URI and accept one connection
//
// Shared by the Linux and the Windows hvcat. Thread-safety: pure functions.
#ifndef HVSOCK_TOOLS_HVCAT_COMMAND_LINE_H_
#define HVSOCK_TOOLS_HVCAT_COMMAND_LINE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/flow_options.h"

namespace hvsock::hvcat {

struct CommandLine {
  bool listen = false;
  // --protocol; unset means the address's default (see HvcatUsage).
  std::optional<Codec> codec;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration close_timeout = absl::Seconds(30);
  bool retry = false;  // retry while refused, until the connect timeout
  std::string uri;
};

// Parses argv. An empty optional means --help was asked for. Errors are
// InvalidArgument and name the offending argument and what was expected.
absl::StatusOr<std::optional<CommandLine>> ParseCommandLine(int argc,
                                                            char** argv);

// What each platform's hvcat puts into its usage text.
struct UsageDetails {
  absl::string_view uri_forms;         // one "URIs:" paragraph, lines end in \n
  absl::string_view default_protocol;  // e.g. "native"
};
std::string Usage(const UsageDetails& details);

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_COMMAND_LINE_H_
