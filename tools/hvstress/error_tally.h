// ErrorTally: each distinct error of a run, with how often it happened.
//
// Errors are keyed by a message that does not vary from one connection to
// the next ("echo differs from what was sent", "reset: transport failed:
// read: Connection reset by peer"), so a thousand connections failing the
// same way make one line with a count. The first occurrence's details
// (which connection, at which byte) are kept beside it as an example.
//
// Thread-compatible value type.
#ifndef HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_
#define HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock::hvstress {

class ErrorTally {
 public:
  struct Entry {
    uint64_t count = 0;
    std::string example;  // details of the first occurrence; may be empty
  };

  // Counts `count` more of `error`; `example` is kept if it is the first.
  void Add(absl::string_view error, absl::string_view example = {},
           uint64_t count = 1);

  bool empty() const { return entries_.empty(); }
  uint64_t total() const;
  // In the order of the error's text.
  const std::map<std::string, Entry, std::less<>>& entries() const {
    return entries_;
  }

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

// One line for a flow's failure, as hvcat prints it: the kind's name, then
// the message ("reset: transport failed: ..."). Line breaks become spaces.
std::string DescribeFlowError(const absl::Status& status);

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ERROR_TALLY_H_
