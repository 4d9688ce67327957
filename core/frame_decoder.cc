#include "core/frame_decoder.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "core/flow_error.h"

namespace hvsock {

DecodedItem FrameDecoder::Next(absl::string_view& input) {
  using Kind = DecodedItem::Kind;
  if (!status_.ok()) return {Kind::kError, {}};
  while (true) {
    if (payload_remaining_ > 0) {
      if (input.empty()) return {Kind::kNeedMore, {}};
      size_t n = std::min<size_t>(payload_remaining_, input.size());
      DecodedItem item{Kind::kPayload, input.substr(0, n)};
      input.remove_prefix(n);
      payload_remaining_ -= static_cast<uint32_t>(n);
      return item;
    }
    size_t n = std::min(kFrameHeaderSize - header_filled_, input.size());
    std::copy_n(input.data(), n, header_ + header_filled_);
    header_filled_ += static_cast<uint8_t>(n);
    input.remove_prefix(n);
    if (header_filled_ < kFrameHeaderSize) return {Kind::kNeedMore, {}};
    header_filled_ = 0;
    ++frames_;
    uint32_t header = DecodeFrameHeader(header_);
    switch (header) {
      case kFrameShutdownRead:
        return {Kind::kShutdownRead, {}};
      case kFrameShutdownWrite:
        return {Kind::kShutdownWrite, {}};
      case kFrameClose:
        return {Kind::kClose, {}};
      default:
        break;
    }
    if (header > max_frame_) {
      status_ = FlowError(
          FlowErrorKind::kProtocol,
          absl::StrFormat("Data frame header announces %u bytes (0x%08x); "
                          "the maximum accepted is %u",
                          header, header, max_frame_));
      return {Kind::kError, {}};
    }
    payload_remaining_ = header;  // zero-length Data is skipped by the loop
  }
}

}  // namespace hvsock
