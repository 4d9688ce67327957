// SendQueue: the bytes a flow has accepted from the application and not yet
// transmitted, already in wire form.
//
// Payload is held as absl::Cord pieces, never copied into a staging buffer:
// transmit spans point straight into the application's buffers (large Cords
// are shared, not copied). Framed payload is split into Data frames of at
// most `max_frame` bytes; the 4-byte headers live inside the queue's own
// nodes. Small writes are coalesced into the last frame while it has not yet
// been handed out. A frame is "sealed" when Peek first exposes it: its bytes
// never change or move again until consumed, so spans stay valid across
// later Appends, and a backend may keep them in flight (writev, WSASend).
//
// The end signal is a queue entry too, so it always leaves after the data
// written before close. For the framed codec it is a 4-byte marker whose
// value is chosen when it is sealed (ShutdownWrite, or Close if the peer has
// already ended); for the native codec it carries no bytes and AtEnd()
// tells the flow to ask for the transport's shutdown.
//
// Thread-compatible.
#ifndef HVSOCK_CORE_SEND_QUEUE_H_
#define HVSOCK_CORE_SEND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <list>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/flow_options.h"
#include "core/frame.h"

namespace hvsock {

class SendQueue {
 public:
  SendQueue(Codec codec, uint32_t max_frame)
      : framed_(codec == Codec::kFramed), max_frame_(max_frame) {}

  // Queues payload. Takes ownership of `data` without copying large pieces.
  void Append(absl::Cord data);
  // Queues a copy of `data` (coalesced with the queue's tail when small).
  void AppendCopy(absl::string_view data);
  // Writes below this size are copied into the tail frame rather than
  // shared, so that many small writes leave as a few large spans.
  static constexpr size_t kCopyBelow = 512;
  static constexpr size_t kCoalesceBlock = 4096;
  // Queues the end signal behind everything queued so far.
  void AppendEnd();

  // Fills `out` with spans covering the next unsent wire bytes, in order,
  // and returns how many it filled. `end_marker` is the framed header value
  // to use if the end marker gets sealed now. Spans stay valid until their
  // bytes are consumed (or the queue is cleared).
  size_t Peek(absl::Span<absl::string_view> out, uint32_t end_marker);

  // Marks `n` wire bytes as sent. `n` must not exceed sealed_bytes().
  struct Consumed {
    uint64_t payload_bytes = 0;
    uint64_t frames = 0;
  };
  Consumed Consume(size_t n);

  // Drops the payload frames nobody has seen yet. Sealed frames stay (they
  // may be in flight, and the wire must stay well formed), and so does the
  // end signal. Returns the payload bytes dropped.
  uint64_t DropUnsent();
  void Clear();

  bool end_queued() const { return end_queued_; }
  // True when the end signal is queued and every byte before it has left.
  bool AtEnd() const;
  // Wire bytes still to send (headers included) / payload bytes queued.
  size_t wire_bytes() const { return wire_bytes_; }
  size_t payload_bytes() const { return payload_bytes_; }
  size_t sealed_bytes() const { return sealed_bytes_; }

 private:
  struct Frame {
    absl::Cord payload;
    char header[kFrameHeaderSize] = {};
    bool has_header = false;
    bool sealed = false;
    bool is_end = false;
    size_t wire_size() const {
      return (has_header ? kFrameHeaderSize : 0) + payload.size();
    }
  };

  Frame& NewFrame();
  // Queues `data` by reference (split into frames when framed).
  void AppendShared(absl::Cord data);
  void Seal(Frame& frame, uint32_t end_marker);

  bool framed_;
  uint32_t max_frame_;
  std::list<Frame> frames_;
  size_t front_offset_ = 0;  // wire bytes of frames_.front() already sent
  size_t wire_bytes_ = 0;
  size_t payload_bytes_ = 0;
  size_t sealed_bytes_ = 0;  // unsent wire bytes in sealed frames
  bool end_queued_ = false;
  bool end_sent_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_SEND_QUEUE_H_
