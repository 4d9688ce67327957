#include "core/flow_options.h"

#include "absl/strings/str_format.h"

namespace hvsock {

absl::string_view CodecName(Codec codec) {
  return codec == Codec::kFramed ? "framed" : "native";
}

absl::Status FlowOptions::Validate() const {
  if (receive_limit == 0) {
    return absl::InvalidArgumentError("receive_limit must be at least 1 byte");
  }
  if (send_limit == 0) {
    return absl::InvalidArgumentError("send_limit must be at least 1 byte");
  }
  if (max_send_frame == 0 || IsControlHeader(max_send_frame) ||
      max_send_frame >= kFrameShutdownRead) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_send_frame must be between 1 and 0x%08x, got %u",
        kFrameShutdownRead - 1, max_send_frame));
  }
  if (max_receive_frame == 0) {
    return absl::InvalidArgumentError("max_receive_frame must be at least 1");
  }
  if (close_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("close_timeout must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace hvsock
