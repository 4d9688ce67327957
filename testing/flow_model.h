// FlowModel: a reference model of one flow's contract, written from the
// contract (core/flow.h, README.md) and not from the state table, so that a
// test can drive a real Flow and this model with the same inputs and compare
// everything the flow lets anyone observe.
//
// The model keeps the contract's own terms: how far each direction has got
// (ours: open, ending, end out; theirs: open, ended, done), the bytes
// written and not yet sent, the bytes received and not yet read, whether the
// flow has closed or failed and why, the timers, the events owed to the
// application, and the counters. It decodes what it receives with its own
// reading of the framed wire format (core/frame.h's constants are the
// protocol's, shared), and it checks what the flow transmits against what
// was written: every payload byte in order, Data frames of 1..max_send_frame
// bytes, and the end markers the close handshake calls for, after the data.
//
// Where the flow's output depends on how the backend drives it (how much
// receive space it lends, how many bytes it sends), the test tells the model
// what happened and the model checks that it was allowed: the backend
// decides, the model judges.
//
// What the backend exposes with PeekTransmit is "sealed" (flow.h: spans stay
// valid until consumed). The model assumes every peek exposes everything
// queued (the test peeks with room for every span); then the payload the
// peer's ShutdownRead drops is exactly what was written since the last peek.
//
// Thread-compatible. Test-only.
#ifndef HVSOCK_TESTING_FLOW_MODEL_H_
#define HVSOCK_TESTING_FLOW_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/flow_error.h"
#include "core/flow_options.h"

namespace hvsock::testing {

// What Read() should yield.
struct ExpectedRead {
  enum class Kind { kData, kEof, kWouldBlock, kError, kInvalidArgument };
  Kind kind = Kind::kWouldBlock;
  std::string data;                             // kData
  FlowErrorKind error = FlowErrorKind::kReset;  // kError
};

// Everything observable about a flow, in one comparable value. The test
// builds one from the real Flow and one from the model.
struct FlowObservation {
  std::string state;  // "closed", "failed", or "ours=<..> theirs=<..>"
  std::optional<FlowErrorKind> error;
  uint8_t events = 0;  // FlowEvent bits raised since the last observation
  uint64_t bytes_in = 0, bytes_out = 0, bytes_read = 0;
  uint64_t wire_bytes_in = 0, wire_bytes_out = 0;
  uint64_t frames_in = 0, frames_out = 0, bytes_dropped = 0;
  size_t receive_buffered = 0, send_queued = 0;
  bool wants_read = false, has_transmit = false;
  bool wants_shutdown_write = false, readable = false;
  std::optional<absl::Time> next_deadline;

  bool operator==(const FlowObservation&) const = default;
  std::string ToString() const;
};

class FlowModel {
 public:
  enum class Ours { kOpen, kEnding, kEndOut };
  enum class Theirs { kOpen, kEnded, kDone };
  enum class Outcome { kLive, kClosed, kFailed };

  explicit FlowModel(const FlowOptions& options);

  // ── Application commands: each returns what the flow must answer ─────
  // A write (or writev) of `bytes` in one call: nullopt if accepted.
  std::optional<FlowErrorKind> Write(absl::string_view bytes);
  std::optional<FlowErrorKind> Close(absl::Time now);
  void Abort();
  ExpectedRead Read(size_t max_bytes);

  // ── Backend inputs ─────────────────────────────────────────────────────
  // The backend asked for receive space and was lent `space` bytes: OK if
  // the contract allows that much (and some, exactly when reads are wanted).
  absl::Status CheckReceiveSpace(size_t space) const;
  // `bytes` were committed into the space.
  void Received(absl::string_view bytes);
  // A commit of more than was lent, or a consume of more than was exposed.
  void BackendMisuse();
  void TransportEof();
  void TransportError();
  void Tick(absl::Time now);

  // ── Outputs ────────────────────────────────────────────────────────────
  // A peek exposed `exposed` bytes, everything queued. OK if that many
  // could be queued; seals what was written so far.
  absl::Status Peeked(absl::string_view exposed);
  // `bytes` (a prefix of the last peek, continuing the stream) left. OK if
  // they are exactly what the contract says must be sent next.
  absl::Status Transmitted(absl::string_view bytes);
  // Whether the backend must shut down the transport's write side now.
  bool WantsShutdownWrite() const;
  // PollShutdownWrite() returned true.
  void ShutdownWritePolled();

  // What the flow should show now; takes the pending events.
  FlowObservation Observe();

  bool live() const { return outcome_ == Outcome::kLive; }
  bool closed() const { return outcome_ == Outcome::kClosed; }
  bool failed() const { return outcome_ == Outcome::kFailed; }
  Ours ours() const { return ours_; }
  Theirs theirs() const { return theirs_; }

 private:
  bool framed() const { return options_.codec == Codec::kFramed; }
  size_t queued() const { return sealed_.size() + unsealed_.size(); }
  bool WantsRead() const;
  std::optional<absl::Time> IdleDeadline() const;
  std::optional<absl::Time> CloseDeadline() const;
  void Raise(uint8_t event) { events_ |= event; }
  void Progress() { last_progress_ = now_; }
  // Our write side ends (Close(), or the peer's ShutdownRead).
  void EndOurs();
  // Queues Close once both directions have ended (framed).
  void QueueCloseIfBothEnded();
  void QueueMarker(uint32_t marker);
  void CompleteIfDone();
  void AfterQueueShrank();
  void Fail(FlowErrorKind kind, bool drop_received);
  // The peer's messages, as decoded.
  void PeerPayload(absl::string_view piece);
  void PeerEnded(bool done);
  void PeerShutdownRead();
  // One received byte run, decoded while the flow lives; the rest dropped.
  void Decode(absl::string_view bytes);

  FlowOptions options_;
  Ours ours_ = Ours::kOpen;
  Theirs theirs_ = Theirs::kOpen;
  Outcome outcome_ = Outcome::kLive;
  std::optional<FlowErrorKind> error_;

  // Send side: payload written, not yet sent, in order; sealed by a peek or
  // not yet seen by one. Framed end markers queued and not yet sent.
  std::string sealed_;
  std::string unsealed_;
  std::vector<uint32_t> markers_;
  bool markers_sealed_ = false;  // the last marker queued was peeked
  bool close_queued_ = false;
  bool shutdown_polled_ = false;  // native: our end is out
  bool write_blocked_ = false;
  // Our transmitted stream, parsed: the header being read and the payload
  // left in the current Data frame.
  std::string out_header_;
  uint32_t out_payload_left_ = 0;

  // Receive side.
  std::string readable_;
  bool end_delivered_ = false;
  bool received_dropped_ = false;
  std::string in_header_;
  uint32_t in_payload_left_ = 0;

  // Time.
  absl::Time now_ = absl::InfinitePast();
  absl::Time last_progress_ = absl::InfinitePast();
  absl::Time close_started_ = absl::InfinitePast();

  uint8_t events_ = 0;
  FlowObservation counters_;  // only the counter fields are used
};

absl::string_view OursName(FlowModel::Ours ours);
absl::string_view TheirsName(FlowModel::Theirs theirs);

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_FLOW_MODEL_H_
