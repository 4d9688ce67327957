// FrameDecoder: turns received framed-protocol bytes, in any chunking, into
// payload pieces and control messages.
//
// It is incremental and allocation-free: it keeps at most a partial 4-byte
// header between calls, so a peer cannot make it allocate anything. A Data
// header announcing more than `max_frame` bytes is rejected from the header
// alone. Zero-length Data messages are skipped. Errors are sticky.
//
// Thread-compatible: one decoder per flow.
#ifndef HVSOCK_CORE_FRAME_DECODER_H_
#define HVSOCK_CORE_FRAME_DECODER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/frame.h"

namespace hvsock {

struct DecodedItem {
  enum class Kind {
    kNeedMore,       // input exhausted; feed more bytes
    kPayload,        // `payload` is data (a prefix of the input)
    kShutdownRead,   // peer will read no more
    kShutdownWrite,  // peer ended its writes
    kClose,          // peer ended its writes (and is closing)
    kError,          // protocol error; see FrameDecoder::status()
  };
  Kind kind = Kind::kNeedMore;
  absl::string_view payload;
};

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame = kDefaultMaxReceiveFrame)
      : max_frame_(max_frame) {}

  // Decodes the next item from the front of `input` and removes the bytes it
  // used. Call repeatedly until it returns kNeedMore (input empty) or kError.
  DecodedItem Next(absl::string_view& input);

  // True between messages (no partial header or payload pending): a
  // transport EOF here is not a truncation at the framing level.
  bool AtMessageBoundary() const {
    return header_filled_ == 0 && payload_remaining_ == 0;
  }
  const absl::Status& status() const { return status_; }
  uint64_t frames() const { return frames_; }

 private:
  uint32_t max_frame_;
  char header_[kFrameHeaderSize] = {};
  uint8_t header_filled_ = 0;
  uint32_t payload_remaining_ = 0;
  uint64_t frames_ = 0;
  absl::Status status_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_FRAME_DECODER_H_
