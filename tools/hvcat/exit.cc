#include "tools/hvcat/exit.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/flow_error.h"

namespace hvsock::hvcat {

void Complain(absl::string_view message) {
  std::string line = absl::StrCat(
      "hvcat: ", absl::StrReplaceAll(message, {{"\n", " "}, {"\r", " "}}),
      "\n");
  // Standard error is unbuffered: one call, one line.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string FlowFailureMessage(const absl::Status& error) {
  std::optional<FlowErrorKind> kind = GetFlowErrorKind(error);
  if (!kind.has_value()) return std::string(error.message());
  return absl::StrCat(FlowErrorKindName(*kind), ": ", error.message());
}

}  // namespace hvsock::hvcat
