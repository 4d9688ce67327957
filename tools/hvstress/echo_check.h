// EchoCheck: verifies, as it arrives, the echo of one connection's stream.
//
// The connection sent `length` bytes of the StreamPattern starting at
// `origin`. Every piece of the echo is compared byte for byte with what
// was sent at the same offset; the echo must end with a clean Eof exactly
// after its last byte. The first problem is sticky and is reported once,
// as a Status whose message is a stable key for the ErrorTally; Detail()
// then says where it happened.
//
// Thread-compatible. The pattern must outlive the check.
#ifndef HVSOCK_TOOLS_HVSTRESS_ECHO_CHECK_H_
#define HVSOCK_TOOLS_HVSTRESS_ECHO_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "tools/hvstress/stream_pattern.h"

namespace hvsock::hvstress {

class EchoCheck {
 public:
  EchoCheck(const StreamPattern& pattern, uint64_t origin, uint64_t length)
      : pattern_(&pattern), origin_(origin), length_(length) {}

  // The next piece of the echo. DataLoss if it differs from what was sent
  // or goes beyond the end of it.
  absl::Status Received(const absl::Cord& piece);
  // The echo's clean Eof. DataLoss if bytes are missing.
  absl::Status Ended();

  uint64_t length() const { return length_; }
  uint64_t received() const { return received_; }
  // Every byte came back and then a clean Eof.
  bool complete() const { return ended_ && error_.ok(); }
  // Where the first problem was found ("at byte 1234 of 5678").
  const std::string& detail() const { return detail_; }

 private:
  absl::Status Fail(absl::string_view key, std::string detail);

  const StreamPattern* pattern_;
  uint64_t origin_;
  uint64_t length_;
  uint64_t received_ = 0;
  bool ended_ = false;
  absl::Status error_;
  std::string detail_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ECHO_CHECK_H_
