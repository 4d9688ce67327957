// ErrorTally: the errors of a run by kind, each with its count and a few
// examples, in bounded memory whatever the errors say.
//
// Errors are keyed by a kind that does not vary from one connection to the
// next ("echo differs from what was sent", "protocol", "reset"), so a
// thousand connections failing the same way make one line with a count.
// Each kind keeps up to kMaxExamples distinct example texts (the details of
// an occurrence: which connection, at which byte, the peer's full error
// message) and counts the occurrences whose text was not kept as folded.
//
// Bounded: a hostile peer can make every message unique (a protocol error
// names the length it sent), so examples are kept only up to a number and a
// length, kinds are truncated to kMaxTextLength, and after kMaxKinds
// distinct kinds any new kind is counted under kOtherKinds, with its text as
// that entry's example. The tally then holds at most about
// (kMaxKinds + 1) × (kMaxExamples + 1) × kMaxTextLength bytes of text.
//
// Thread-compatible value type.
#ifndef HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_
#define HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock::hvstress {

class ErrorTally {
 public:
  static constexpr size_t kMaxKinds = 64;
  static constexpr size_t kMaxExamples = 3;
  static constexpr size_t kMaxTextLength = 256;  // bytes of a kind or example
  static constexpr absl::string_view kOtherKinds = "(other kinds of error)";

  struct Entry {
    uint64_t count = 0;
    // Distinct texts, in the order first seen; at most kMaxExamples.
    std::vector<std::string> examples;
    // Occurrences whose text is not among `examples` (past the bound, or
    // given without a text).
    uint64_t folded = 0;
  };

  // Counts `count` more of `kind`, all with the text `example` (may be
  // empty: nothing to show).
  void Add(absl::string_view kind, absl::string_view example = {},
           uint64_t count = 1);
  // Adds every entry of `other`, its kinds prefixed with `prefix`: its
  // examples as examples, its folded occurrences as folded.
  void Merge(absl::string_view prefix, const ErrorTally& other);

  bool empty() const { return entries_.empty(); }
  uint64_t total() const;
  // In the order of the kind's text.
  const std::map<std::string, Entry, std::less<>>& entries() const {
    return entries_;
  }

 private:
  Entry& EntryFor(absl::string_view kind, absl::string_view* example,
                  std::string* folded_kind);

  std::map<std::string, Entry, std::less<>> entries_;
};

// One line for a flow's failure, as hvcat prints it: the kind's name, then
// the message ("reset: transport failed: ..."). Line breaks become spaces.
std::string DescribeFlowError(const absl::Status& status);

// The kind of a flow's failure, for an ErrorTally: the FlowErrorKind's name
// ("protocol", "reset", "idle timeout"), or "error" for a status that is not
// a flow error. Never varies with the message.
std::string FlowErrorKindOf(const absl::Status& status);

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_
