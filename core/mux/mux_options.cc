#include "core/mux/mux_options.h"

#include "absl/strings/str_format.h"

namespace hvsock {

absl::Status MuxOptions::Validate() const {
  if (window == 0) return absl::InvalidArgumentError("window must be > 0");
  if (quantum == 0 || quantum > window) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "quantum must be in 1 .. window (%u), got %u", window, quantum));
  }
  if (max_data_payload < window) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_data_payload (%u) must be at least the window (%u)",
        max_data_payload, window));
  }
  if (max_live_channels == 0) {
    return absl::InvalidArgumentError("max_live_channels must be > 0");
  }
  if (receive_budget / 2 / max_live_channels == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "receive_budget (%u) must be at least 2 * max_live_channels (%u)",
        receive_budget, max_live_channels));
  }
  if (channel_send_limit == 0) {
    return absl::InvalidArgumentError("channel_send_limit must be > 0");
  }
  if (close_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("close_timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace hvsock
