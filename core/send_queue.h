// SendQueue: the bytes a flow has accepted from the application and not yet
// transmitted, already in wire form.
//
// Payload is held as absl::Cord pieces, never copied into a staging buffer:
// transmit spans point straight into the application's buffers (large Cords
// are shared, not copied). The queue keeps one node per run of payload (one
// application write, or several small writes coalesced into the tail node),
// not one per frame: framed payload is cut into Data frames of at most
// `max_frame` bytes at Peek time, and each frame's 4-byte header is a span
// into the node (every full-size frame's header is the same 4 bytes, so a
// node holds one of those and one for its last, shorter frame). Small
// writes are coalesced into the tail node while it has not yet been handed
// out: they are copied into one plain block of kCoalesceBlock bytes (a
// memcpy per write, no Cord operation), and a full block joins the node's
// Cord as one piece. The block being filled becomes part of the Cord when
// the node is sealed or another piece follows it; a partly filled one is
// then copied into a piece of its own size and freed, so that it never pins
// more than the bytes it holds and an idle queue holds no block. A node is
// "sealed" when Peek first exposes any of its bytes: its
// bytes never change or move again until consumed, so spans stay valid
// across later Appends (and across moves of the queue), and a backend may
// keep them in flight (writev, WSASend). Consume accepts any byte count up
// to what Peek has exposed, in the middle of a header or a payload alike.

// The end signal is a queue entry too, so it always leaves after the data
// written before close. For the framed codec it is a 4-byte marker,
// ShutdownWrite or Close; a ShutdownWrite that has not been handed out yet
// becomes Close when Close is queued, and one already handed out is followed
// by Close. For the native codec it carries no bytes and AtEnd() tells the
// flow to ask for the transport's shutdown.
//
// Thread-compatible.
#ifndef HVSOCK_CORE_SEND_QUEUE_H_
#define HVSOCK_CORE_SEND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/cord_buffer.h"
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
  // Writes below this size are copied into the tail node's coalescing
  // block rather than shared, so that many small writes leave as a few
  // large spans.
  static constexpr size_t kCopyBelow = 512;
  static constexpr size_t kCoalesceBlock = 16 * 1024;
  // Queues the end signal behind everything queued so far: framed,
  // ShutdownWrite. Idempotent.
  void AppendEnd();
  // Framed: queues Close behind everything (an unsealed ShutdownWrite turns
  // into Close instead). Native: AppendEnd(). Idempotent.
  void AppendClose();

  // Fills `out` with spans covering the next unsent wire bytes, in order,
  // after the first `skip` of them, and returns how many it filled. Spans
  // stay valid until their bytes are consumed (or the queue is cleared).
  // (A sender with bytes handed out but not yet consumed skips them rather
  // than peeking them again: the multiplexer, which schedules frames ahead.)
  size_t Peek(absl::Span<absl::string_view> out, size_t skip = 0);

  // Marks `n` wire bytes as sent. `n` must not exceed sealed_bytes().
  struct Consumed {
    uint64_t payload_bytes = 0;
    uint64_t frames = 0;
  };
  Consumed Consume(size_t n);

  // Drops the payload nobody has seen yet. Frames of which Peek exposed any
  // byte stay whole (they may be in flight, and the wire must stay well
  // formed), and so does the end signal. Returns the payload bytes dropped.
  uint64_t DropUnsent();
  void Clear();

  bool end_queued() const { return end_queued_; }
  // True when the end signal is queued and every byte before it has left
  // (framed: every end marker queued has left too).
  bool AtEnd() const;
  // Wire bytes still to send (headers included) / payload bytes queued.
  size_t wire_bytes() const { return wire_bytes_; }
  size_t payload_bytes() const { return payload_bytes_; }
  // Unsent wire bytes that Peek has exposed (what Consume may take).
  size_t sealed_bytes() const { return sealed_bytes_; }

 private:
  // A run of payload framed as consecutive Data frames (full ones of
  // max_frame bytes, then one shorter), or the end signal. Heap-allocated
  // (std::list) so that spans into `payload` and the headers survive moves
  // of the queue.
  struct Node {
    absl::Cord payload;
    size_t size = 0;        // payload bytes framed (DropUnsent may cut it)
    size_t wire = 0;        // wire bytes, headers included
    size_t exposed = 0;     // wire bytes Peek has exposed (from the start)
    size_t frame_room = 0;  // framed: payload the last frame still takes
    bool sealed = false;    // exposed at least once: size and headers fixed
    bool is_end = false;
    uint32_t end_marker = kFrameShutdownWrite;  // framed end nodes
    char full_header[kFrameHeaderSize] = {};
    char last_header[kFrameHeaderSize] = {};
  };

  // Starts a node behind the tail (the tail's coalesced bytes join its
  // Cord first).
  Node& NewNode();
  // Moves the coalescing block's bytes into the tail node's Cord: a full
  // block as it is, a partly filled one as a copy of its size (the block is
  // freed).
  void FlushCoalesced();
  // Queues `data` by reference, into the tail node while it is unsealed.
  void AppendShared(absl::Cord data);
  // Adds `n` payload bytes to an unsealed node's size and wire size.
  void Grow(Node& node, size_t n);
  // Wire size of `payload` bytes of framed (or native) payload.
  size_t WireSize(size_t payload) const;
  // Payload bytes before wire offset `wire` within a node.
  size_t PayloadBefore(const Node& node, size_t wire) const;
  // Data frames that end at or before wire offset `wire` within a node.
  size_t FramesBefore(const Node& node, size_t wire) const;
  void Seal(Node& node);
  void AppendEndNode(uint32_t marker);
  // Fills `out` from wire offset `from` of `node`; returns spans filled.
  size_t PeekNode(Node& node, size_t from, absl::Span<absl::string_view> out);

  bool framed_;
  uint32_t max_frame_;
  std::list<Node> nodes_;
  // Bytes of small writes at the end of nodes_.back() (then an unsealed
  // payload node, whose size counts them) not yet in its Cord. No block
  // while no small write is pending.
  std::optional<absl::CordBuffer> coalesce_;
  size_t front_offset_ = 0;  // wire bytes of nodes_.front() already sent
  size_t wire_bytes_ = 0;
  size_t payload_bytes_ = 0;
  size_t sealed_bytes_ = 0;  // unsent wire bytes Peek has exposed
  bool end_queued_ = false;
  bool close_queued_ = false;
  bool end_sent_ = false;  // the last end node queued has left
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_SEND_QUEUE_H_
