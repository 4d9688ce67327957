#include "tools/hvstress/error_tally.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/flow_error.h"

namespace hvsock::hvstress {
namespace {

// `text` cut to kMaxTextLength bytes (with "…" when cut).
absl::string_view Bounded(absl::string_view text, std::string* storage) {
  if (text.size() <= ErrorTally::kMaxTextLength) return text;
  *storage = absl::StrCat(text.substr(0, ErrorTally::kMaxTextLength - 3), "…");
  return *storage;
}

}  // namespace

ErrorTally::Entry& ErrorTally::EntryFor(absl::string_view kind,
                                        absl::string_view* example,
                                        std::string* folded_kind) {
  std::string bounded_kind;
  kind = Bounded(kind, &bounded_kind);
  auto it = entries_.find(kind);
  if (it != entries_.end()) return it->second;
  // A kind not seen before; the kOtherKinds entry does not count towards
  // kMaxKinds, so it always has room.
  size_t kinds = entries_.size() - entries_.count(kOtherKinds);
  if (kinds >= kMaxKinds) {
    // The example says which kind it was (and what it said, if room).
    *folded_kind = example->empty() ? std::string(kind)
                                    : absl::StrCat(kind, ": ", *example);
    *example = *folded_kind;
    kind = kOtherKinds;
  }
  return entries_.try_emplace(std::string(kind)).first->second;
}

void ErrorTally::Add(absl::string_view kind, absl::string_view example,
                     uint64_t count) {
  if (count == 0) return;
  std::string folded_kind;
  Entry& entry = EntryFor(kind, &example, &folded_kind);
  entry.count += count;
  std::string bounded_example;
  example = Bounded(example, &bounded_example);
  if (example.empty()) {
    entry.folded += count;
    return;
  }
  if (std::find(entry.examples.begin(), entry.examples.end(), example) !=
      entry.examples.end()) {
    return;
  }
  if (entry.examples.size() < kMaxExamples) {
    entry.examples.emplace_back(example);
    return;
  }
  entry.folded += count;
}

void ErrorTally::Merge(absl::string_view prefix, const ErrorTally& other) {
  for (const auto& [kind, entry] : other.entries()) {
    std::string prefixed = absl::StrCat(prefix, kind);
    for (const std::string& example : entry.examples) {
      Add(prefixed, example, 1);
    }
    // The other occurrences of those examples, then the folded ones.
    uint64_t repeats = entry.count - entry.examples.size() - entry.folded;
    if (repeats > 0) Add(prefixed, entry.examples.front(), repeats);
    Add(prefixed, {}, entry.folded);
  }
}

uint64_t ErrorTally::total() const {
  uint64_t sum = 0;
  for (const auto& [kind, entry] : entries_) sum += entry.count;
  return sum;
}

std::string DescribeFlowError(const absl::Status& status) {
  std::optional<FlowErrorKind> kind = GetFlowErrorKind(status);
  std::string line = kind.has_value() ? absl::StrCat(FlowErrorKindName(*kind),
                                                     ": ", status.message())
                                      : std::string(status.message());
  return absl::StrReplaceAll(line, {{"\n", " "}, {"\r", " "}});
}

std::string FlowErrorKindOf(const absl::Status& status) {
  std::optional<FlowErrorKind> kind = GetFlowErrorKind(status);
  return kind.has_value() ? std::string(FlowErrorKindName(*kind)) : "error";
}

}  // namespace hvsock::hvstress
