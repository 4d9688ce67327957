#include "core/flow_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/duration_text.h"

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
  // Every Data length must stay below the smallest control value, or a
  // Data header could read as an end marker.
  constexpr uint32_t kLargestData = kFrameShutdownWrite - 1;
  static_assert(kFrameShutdownWrite < kFrameShutdownRead &&
                kFrameShutdownWrite < kFrameClose);
  if (max_send_frame == 0 || max_send_frame > kLargestData) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_send_frame must be between 1 and 0x%08x, got %u",
                        kLargestData, max_send_frame));
  }
  if (max_receive_frame == 0 || max_receive_frame > kLargestData) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_receive_frame must be between 1 and 0x%08x, got %u", kLargestData,
        max_receive_frame));
  }
  if (close_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "close_timeout must be positive, got ", DurationText(close_timeout)));
  }
  if (idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("idle_timeout must be positive (infinite for off), got ",
                     DurationText(idle_timeout)));
  }
  return absl::OkStatus();
}

}  // namespace hvsock
