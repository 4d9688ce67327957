// Flow: one reliable, half-closable byte stream, as a sans-IO state machine.
//
// A Flow does no IO of its own: no syscalls, no clocks, no threads, no
// randomness. A backend moves bytes between a Flow and a transport (a socket,
// an in-memory pipe); the application writes, reads and closes. Time is an
// argument. The same inputs always give the same outputs.
//
// The flow contract (see README.md):
//  * Read() yields data (at least one byte) while any is buffered; after the
//    peer has ended its writes and every in-flight byte has been read, it
//    yields Eof. An abrupt end (reset, truncation, protocol error) is an
//    error, never Eof; data received before it is still read first.
//  * Write()/Writev() take ownership of the application's buffers without
//    copying large ones. After the write side is closed they fail with
//    FlowErrorKind::kClosed; while the send queue is at its limit, with
//    kWouldBlock (nothing taken; wait for FlowEvent::kWritable).
//  * Close() flushes every pending write, then signals the end of writes
//    (native: the transport's shutdown; framed: ShutdownWrite, or Close if
//    the peer has already ended). Reads keep working (half-close). Close
//    completes (state kClosed, FlowEvent::kCloseCompleted) only when the
//    peer has ended too (framed: once both have ended, each side sends Close
//    and the close completes when the peer's Close, ShutdownRead or EOF has
//    arrived; see core/flow_state.h). The close timeout bounds a peer that
//    has stopped: if no byte moves for that long while closing, the flow
//    fails with kCloseTimeout (unread data is dropped, as by Abort()).
//  * The peer's ShutdownRead (framed) closes our write side for us: queued
//    payload is dropped and counted (stats().bytes_dropped), later writes
//    fail with kClosed, and our end is sent as if Close() had been called.
//  * An idle timeout (FlowOptions::idle_timeout, off by default) fails the
//    flow with kIdleTimeout after that long without any byte moving.
//    Both timers pause while the receive buffer is full (the flow then
//    waits for its own application, not for the peer) and restart when the
//    application reads.
//  * Abort() drops the flow at once.
//
// The methods, by role (in the manner of quinn-proto's Connection):
//
//  Getters:   state(), stats(), error(), options().
//  Inputs (backend):
//             ReceiveSpace() + CommitReceived(n)   bytes read from transport
//             HandleReceived(bytes)                 same, copying
//             HandleTransportEof()                  transport read side ended
//             HandleTransportError(status)          transport failed
//             HandleTimeout(now)                    time passed
//  Commands (application):
//             Write(), Writev(), Close(now), Abort(), Read()
//  Outputs (poll after every input or command, in this order):
//             PeekTransmit(spans) + ConsumeTransmitted(n)   bytes to send
//             PollShutdownWrite()     shut the transport's write side now
//                                     (WantsShutdownWrite() asks without
//                                     acting)
//             IsFinished()            close the transport; free the flow
//             WantsRead()             read the transport (backpressure)
//             NextDeadline()          call HandleTimeout(now) at this time
//             PollEvent()             tell the application
//
// Errors are sticky. An input that the state table (core/flow_state.h) does
// not allow fails the flow with FlowErrorKind::kUnexpectedInput, naming the
// state and the input.
//
// Time: HandleTimeout(now) and Close(now) carry the time; the other inputs
// happen at the latest time given. A backend that calls HandleTimeout(now)
// before each batch of IO (the drivers do) gives every byte its true time,
// which is what the timeouts measure from. Timers start at the first time
// the flow is given.
//
// Memory is bounded: received bytes up to options().receive_limit (beyond it
// WantsRead() is false); queued bytes up to send_limit plus one write. No
// allocation is sized by a number the peer sends. Bytes that arrive after
// the flow has ended (closed or failed) are discarded and counted in
// stats().bytes_dropped, for both codecs.
//
// Transmit spans stay valid until consumed, across any other call, so a
// backend may keep them in flight (overlapped IO). A backend must finish or
// cancel in-flight IO before destroying the Flow.
//
// Thread-compatible: one thread at a time, the backend's and the
// application's calls included.
#ifndef HVSOCK_CORE_FLOW_H_
#define HVSOCK_CORE_FLOW_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/flow_error.h"
#include "core/flow_options.h"
#include "core/flow_state.h"
#include "core/frame_decoder.h"
#include "core/receive_buffer.h"
#include "core/send_queue.h"

namespace hvsock {

// What Read() yields when it does not fail.
class ReadResult {
 public:
  enum class Kind { kData, kEof, kWouldBlock };

  static ReadResult Data(absl::Cord data) {
    return ReadResult(Kind::kData, std::move(data));
  }
  static ReadResult Eof() { return ReadResult(Kind::kEof, {}); }
  static ReadResult WouldBlock() { return ReadResult(Kind::kWouldBlock, {}); }

  Kind kind() const { return kind_; }
  bool is_data() const { return kind_ == Kind::kData; }
  bool is_eof() const { return kind_ == Kind::kEof; }
  bool would_block() const { return kind_ == Kind::kWouldBlock; }
  // The bytes (non-empty) when is_data().
  const absl::Cord& data() const& { return data_; }
  absl::Cord&& data() && { return std::move(data_); }

 private:
  ReadResult(Kind kind, absl::Cord data)
      : kind_(kind), data_(std::move(data)) {}
  Kind kind_;
  absl::Cord data_;
};

// Edge-triggered news for the application. An event is raised when its
// condition occurs and reported at most once until polled: several
// occurrences before a PollEvent() are reported once. Several different
// events may be pending at once. After kReadable, read until WouldBlock:
// data that arrives while readable data is still unread raises no new
// kReadable if the previous one was not polled yet.
enum class FlowEvent : uint8_t {
  kReadable = 1,        // Read() has something new: data, Eof or an error
  kWritable = 2,        // the send queue drained after a kWouldBlock
  kCloseCompleted = 4,  // both sides ended; state() is kClosed
  kFailed = 8,          // the flow failed; error() says why
};
absl::string_view FlowEventName(FlowEvent event);

struct FlowStats {
  uint64_t bytes_in = 0;       // payload bytes received from the peer
  uint64_t bytes_out = 0;      // payload bytes transmitted
  uint64_t bytes_read = 0;     // payload bytes handed to the application
  uint64_t wire_bytes_in = 0;  // transport bytes, framing included
  uint64_t wire_bytes_out = 0;
  uint64_t frames_in = 0;  // framed codec only
  uint64_t frames_out = 0;
  // Queued bytes dropped because the peer sent ShutdownRead, plus transport
  // bytes arriving after the flow ended (closed or failed), both codecs.
  uint64_t bytes_dropped = 0;
  size_t receive_buffered = 0;  // readable now
  // Receive block memory the flow holds for the backend's next read (0 when
  // idle: the backend released it). Blocks that only handed-out Cords still
  // reference are the application's, not counted here.
  size_t receive_memory = 0;
  size_t send_queued = 0;  // accepted, not yet transmitted
  FlowState state = FlowState::kOpen;
};

class Flow {
 public:
  // The only way to make a flow: fails if options.Validate() does.
  static absl::StatusOr<Flow> Create(const FlowOptions& options);

  // The most heap memory a flow with these options holds, whatever its peer
  // sends: the receive and send limits, the receive block being filled and
  // one partly filled block that received bytes may share, and the
  // bookkeeping of buffered pieces (at most 1/16 of the limits). Not
  // counted: the one write that may take the send queue past its limit, and
  // what the application holds (Cords that Read() returned pin the blocks
  // they share, filled densely: at most their own size plus one block).
  // testing/flow_memory_test.cc measures it.
  static size_t MemoryBound(const FlowOptions& options) {
    return options.receive_limit + options.send_limit +
           2 * ReceiveBuffer::kBlockSize +
           (options.receive_limit + options.send_limit) / 16;
  }

  Flow(Flow&&) = default;
  Flow& operator=(Flow&&) = default;

  // ── Getters ──────────────────────────────────────────────────────────
  FlowState state() const { return state_; }
  FlowStats stats() const;
  // OK unless state() is kFailed.
  const absl::Status& error() const { return error_; }
  const FlowOptions& options() const { return options_; }

  // ── Inputs (backend) ─────────────────────────────────────────────────
  // Space to read transport bytes into; empty when WantsRead() is false.
  // The space is lent to the backend until CommitReceived() or the next
  // ReceiveSpace(): its memory stays valid that long even if the flow fails,
  // is aborted or times out meanwhile, so an overlapped read (WSARecv) may
  // still complete into it. Destroying the flow frees it: cancel such a read
  // and wait for its completion first.
  absl::Span<char> ReceiveSpace();
  // ReceiveSpace() for one vectored read (readv): the same space in
  // out[0] and, when that is the rest of a receive block and the flow
  // wants more, the start of a second block in out[1]. Fills out[0..k) and
  // returns k (0 when WantsRead() is false); lent like ReceiveSpace().
  size_t ReceiveSpaces(absl::Span<absl::Span<char>> out);
  // The first `n` bytes (0 for none) of the last ReceiveSpace() (or of the
  // ReceiveSpaces() spans, in order) were filled.
  // Bytes committed after the flow ended are discarded (and counted). More
  // than was lent fails the flow (kUnexpectedInput; a backend bug).
  void CommitReceived(size_t n);
  // Copies from `bytes` as far as the receive limit allows; returns how many
  // bytes were taken (the rest must be offered again later).
  size_t HandleReceived(absl::string_view bytes);
  // The transport will deliver no more bytes (read returned 0).
  void HandleTransportEof();
  // The transport failed; `status` says how (it becomes the flow's error).
  void HandleTransportError(const absl::Status& status);
  // Time has passed. Early calls and repeated calls are harmless; a `now`
  // earlier than a previous one is treated as that previous one.
  void HandleTimeout(absl::Time now);
  // The backend is going idle on this flow: drop receive memory it is not
  // using (readable bytes stay; lent space stays until committed).
  void ReleaseReceiveSpace() { receive_.Release(); }
  // Copies unread received bytes, when at most `max`, out of the receive
  // block they pin (ReceiveBuffer::Compact). For a multiplexer, which
  // keeps many flows' receive buffers. Returns whether it copied.
  bool CompactReceived(size_t max) { return receive_.Compact(max); }
  // Received bytes the application has not read yet.
  size_t ReceiveBuffered() const { return receive_.readable(); }

  // ── Commands (application) ───────────────────────────────────────────
  absl::Status Write(absl::Cord&& data);
  absl::Status Write(std::string&& data) {
    return Write(absl::Cord(std::move(data)));
  }
  // Copies `data` (for small writes, into the tail of the send queue).
  absl::Status Write(absl::string_view data);
  absl::Status Write(const char* data) {
    return Write(absl::string_view(data));
  }
  // All or nothing: either every buffer is queued, in order, or none.
  absl::Status Writev(absl::Span<absl::Cord> buffers);
  // Starts the close at `now` (the close timeout counts from the later of
  // this and the last byte moved). Idempotent. Fails only if the flow has
  // already failed (with its error).
  absl::Status Close(absl::Time now);
  // Drops the flow at once: queued and unread bytes are discarded.
  void Abort();
  // Up to `max_bytes` (at least 1) of received data, or Eof, or
  // WouldBlock; or the flow's error once the data before it is read.
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX);
  // Whether Read() would yield data, Eof or an error (not WouldBlock).
  bool Readable() const {
    return received_dropped_ || receive_.readable() > 0 || end_delivered_ ||
           state_ == FlowState::kFailed;
  }

  // ── Outputs ──────────────────────────────────────────────────────────
  // Fills `out` with the next bytes to transmit, after the first `skip` of
  // them (already handed out and not yet consumed); returns the count used.
  size_t PeekTransmit(absl::Span<absl::string_view> out, size_t skip = 0);
  // `n` bytes of what PeekTransmit exposed have been sent (any boundary).
  void ConsumeTransmitted(size_t n);
  bool HasTransmit() const;
  // Whether the backend must shut down the transport's write side now
  // (native codec, closing, every byte before the end consumed). A query:
  // it changes nothing.
  bool WantsShutdownWrite() const;
  // WantsShutdownWrite(), and if so records that the backend does it now:
  // true once.
  bool PollShutdownWrite();
  // Whether the backend should read from the transport now: false while the
  // receive buffer is full (backpressure) and once the flow is finished; a
  // native flow also stops at the transport's EOF, while a framed flow keeps
  // reading after the peer's end marker so that bytes sent after it are
  // caught as a protocol error.
  bool WantsRead() const;
  // Closed or failed: the backend may close the transport.
  bool IsFinished() const {
    return state_ == FlowState::kClosed || state_ == FlowState::kFailed;
  }
  // When HandleTimeout() must next be called, if ever.
  std::optional<absl::Time> NextDeadline() const;
  std::optional<FlowEvent> PollEvent();

 private:
  // Tests that walk the whole state table feed inputs directly.
  friend class FlowTableWalk;

  explicit Flow(const FlowOptions& options);

  // Runs the table's transition for `input`. `piece` is the payload for
  // kPeerData; `cause` the error for failing inputs. Returns the status a
  // command reports.
  absl::Status Step(FlowInput input, absl::string_view piece = {},
                    const absl::Status& cause = absl::OkStatus());
  // Step()'s parts: an input the table does not allow fails the flow; the
  // actions of a transition, by what they touch.
  absl::Status RejectInput(FlowInput input);
  void RunSendActions(FlowActions actions);
  void RunReceiveActions(FlowActions actions, absl::string_view piece);
  void RunFailActions(FlowActions actions, FlowState from,
                      const absl::Status& cause);
  // Step() for backend inputs: the outcome is recorded in the flow itself.
  void Feed(FlowInput input, absl::string_view piece = {},
            const absl::Status& cause = absl::OkStatus()) {
    Step(input, piece, cause).IgnoreError();
  }
  void Fail(const absl::Status& error, bool drop_received);
  absl::Status RejectWrite() const;
  absl::Status CheckWritable();
  void Progress() { last_progress_ = now_; }
  // Advances the flow's time to `now` (never backwards) and starts the
  // timers that wait for the first known time.
  void LearnTime(absl::Time now);
  // The receive buffer is full: the flow waits for its application to read.
  bool WaitingForApplication() const;
  // When the timer that applies in the current state expires, if any.
  std::optional<absl::Time> IdleDeadline() const;
  std::optional<absl::Time> CloseDeadline() const;
  void Raise(FlowEvent event) { events_ |= static_cast<uint8_t>(event); }
  void DecodeReceived(absl::string_view bytes);
  // Committed transport bytes: payload (native) or frames (framed).
  void ConsumeReceived(absl::string_view bytes);
  void AfterTransmit();

  FlowOptions options_;
  FlowState state_ = FlowState::kOpen;
  absl::Status error_;
  SendQueue send_;
  ReceiveBuffer receive_;
  FrameDecoder decoder_;
  FlowStats counters_;
  // Time, as the inputs told it. InfinitePast: not known yet.
  absl::Time now_ = absl::InfinitePast();
  absl::Time last_progress_ = absl::InfinitePast();  // a byte moved
  absl::Time close_started_ = absl::InfinitePast();  // our end was queued
  bool end_delivered_ = false;         // reads end with Eof once drained
  bool peer_stopped_reading_ = false;  // the peer sent ShutdownRead
  bool write_blocked_ = false;         // a write saw kWouldBlock
  bool received_dropped_ = false;      // abort/timeout discarded unread data
  uint8_t events_ = 0;
  absl::Span<char> space_;  // last ReceiveSpace()
  size_t space_next_ = 0;   // size of the second span of ReceiveSpaces()
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_H_
