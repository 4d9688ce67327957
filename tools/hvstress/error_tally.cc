#include "tools/hvstress/error_tally.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/flow_error.h"

namespace hvsock::hvstress {

void ErrorTally::Add(absl::string_view error, absl::string_view example,
                     uint64_t count) {
  auto it = entries_.find(error);
  if (it == entries_.end()) {
    it = entries_.emplace(std::string(error), Entry{}).first;
    it->second.example = std::string(example);
  }
  it->second.count += count;
}

uint64_t ErrorTally::total() const {
  uint64_t sum = 0;
  for (const auto& [error, entry] : entries_) sum += entry.count;
  return sum;
}

std::string DescribeFlowError(const absl::Status& status) {
  std::optional<FlowErrorKind> kind = GetFlowErrorKind(status);
  std::string line =
      kind.has_value()
          ? absl::StrCat(FlowErrorKindName(*kind), ": ", status.message())
          : std::string(status.message());
  return absl::StrReplaceAll(line, {{"\n", " "}, {"\r", " "}});
}

}  // namespace hvsock::hvstress
