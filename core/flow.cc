#include "core/flow.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock {

absl::string_view FlowEventName(FlowEvent event) {
  switch (event) {
    case FlowEvent::kReadable: return "Readable";
    case FlowEvent::kWritable: return "Writable";
    case FlowEvent::kCloseCompleted: return "CloseCompleted";
    case FlowEvent::kFailed: return "Failed";
  }
  return "?";
}

absl::StatusOr<Flow> Flow::Create(const FlowOptions& options) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  return Flow(options);
}

Flow::Flow(const FlowOptions& options)
    : options_(options),
      send_(options.codec, options.max_send_frame),
      decoder_(options.max_receive_frame) {}

FlowStats Flow::stats() const {
  FlowStats stats = counters_;
  stats.frames_in = decoder_.frames();
  stats.receive_buffered = receive_.readable();
  stats.receive_memory = receive_.block_bytes();
  stats.send_queued = send_.payload_bytes();
  stats.state = state_;
  return stats;
}

// ── The state machine's executor ───────────────────────────────────────

absl::Status Flow::Step(FlowInput input, absl::string_view piece,
                        const absl::Status& cause) {
  std::optional<FlowTransition> transition = FindFlowTransition(state_, input);
  if (!transition.has_value()) {
    absl::Status error = FlowError(
        FlowErrorKind::kUnexpectedInput,
        absl::StrCat("state ", FlowStateName(state_),
                     " does not accept input ", FlowInputName(input)));
    Fail(error, /*drop_received=*/false);
    return error;
  }
  const FlowState from = state_;
  state_ = transition->to;
  switch (transition->action) {
    case FlowAction::kNone:
    case FlowAction::kIgnore:
    case FlowAction::kQueueData:  // the caller queues after the checks
      break;
    case FlowAction::kRejectClosed:
      if (state_ == FlowState::kFailed) return error_;
      return FlowError(FlowErrorKind::kClosed,
                       absl::StrCat("the flow's write side is closed (state ",
                                    FlowStateName(state_), ")"));
    case FlowAction::kQueueEnd:
      send_.AppendEnd();
      close_deadline_ = now_ + options_.close_timeout;
      break;
    case FlowAction::kDeliverData:
      counters_.bytes_in += piece.size();
      receive_.Deliver(piece);
      Raise(FlowEvent::kReadable);
      break;
    case FlowAction::kDeliverEnd:
      peer_ended_ = true;
      Raise(FlowEvent::kReadable);
      break;
    case FlowAction::kDropQueued:
      peer_stopped_reading_ = true;
      counters_.bytes_dropped += send_.DropUnsent();
      AfterTransmit();
      break;
    case FlowAction::kComplete:
      if (input == FlowInput::kPeerEnd) {
        peer_ended_ = true;
        Raise(FlowEvent::kReadable);
      }
      close_deadline_ = absl::InfiniteFuture();
      Raise(FlowEvent::kCloseCompleted);
      break;
    case FlowAction::kDiscard:
      counters_.bytes_dropped += piece.size();
      break;
    case FlowAction::kFailReset:
    case FlowAction::kFailTruncated:
      Fail(cause, /*drop_received=*/false);
      break;
    case FlowAction::kFailProtocol:
      Fail(input == FlowInput::kProtocolError
               ? cause
               : FlowError(FlowErrorKind::kProtocol,
                           absl::StrCat("the peer sent ", FlowInputName(input),
                                        " after it had ended its writes "
                                        "(state ", FlowStateName(from), ")")),
           /*drop_received=*/false);
      break;
    case FlowAction::kFailTimeout:
      Fail(FlowError(FlowErrorKind::kCloseTimeout,
                     absl::StrCat("close did not complete within ",
                                  absl::FormatDuration(options_.close_timeout),
                                  "; the flow was aborted")),
           /*drop_received=*/true);
      break;
    case FlowAction::kFailAborted:
      Fail(FlowError(FlowErrorKind::kAborted, "the flow was aborted"),
           /*drop_received=*/true);
      break;
  }
  return absl::OkStatus();
}

void Flow::Fail(const absl::Status& error, bool drop_received) {
  state_ = FlowState::kFailed;
  if (error_.ok()) error_ = error;
  send_.DropUnsent();
  close_deadline_ = absl::InfiniteFuture();
  if (drop_received) {
    receive_.Clear();
    received_dropped_ = true;
  }
  Raise(FlowEvent::kFailed);
  Raise(FlowEvent::kReadable);
}

// ── Inputs ─────────────────────────────────────────────────────────────

absl::Span<char> Flow::ReceiveSpace() {
  space_ = receive_.Space(
      WantsRead() ? options_.receive_limit - receive_.readable() : 0);
  return space_;
}

void Flow::CommitReceived(size_t n) {
  if (n > space_.size()) {
    Fail(FlowError(FlowErrorKind::kUnexpectedInput,
                   absl::StrFormat("state %s: %u bytes committed but the "
                                   "receive space offered only %u",
                                   FlowStateName(state_), n, space_.size())),
         /*drop_received=*/false);
    return;
  }
  space_ = {};
  absl::string_view bytes = receive_.Commit(n);
  if (n > 0) {
    counters_.wire_bytes_in += n;
    if (options_.codec == Codec::kNative) {
      Feed(FlowInput::kPeerData, bytes);
    } else {
      DecodeReceived(bytes);
    }
  }
  // An abort or close timeout while the space was lent kept its block for
  // the backend's read; now nothing uses it.
  if (received_dropped_) receive_.Clear();
}

void Flow::DecodeReceived(absl::string_view bytes) {
  using Kind = DecodedItem::Kind;
  while (!bytes.empty() && state_ != FlowState::kFailed) {
    DecodedItem item = decoder_.Next(bytes);
    switch (item.kind) {
      case Kind::kNeedMore:
        return;
      case Kind::kPayload:
        Feed(FlowInput::kPeerData, item.payload);
        break;
      case Kind::kShutdownRead:
        Feed(FlowInput::kPeerShutdownRead);
        break;
      case Kind::kShutdownWrite:
      case Kind::kClose:
        Feed(FlowInput::kPeerEnd);
        break;
      case Kind::kError:
        Feed(FlowInput::kProtocolError, {}, decoder_.status());
        return;
    }
  }
}

size_t Flow::HandleReceived(absl::string_view bytes) {
  size_t taken = 0;
  while (taken < bytes.size()) {
    absl::Span<char> space = ReceiveSpace();
    if (space.empty()) break;
    size_t n = std::min(space.size(), bytes.size() - taken);
    std::memcpy(space.data(), bytes.data() + taken, n);
    CommitReceived(n);
    taken += n;
  }
  return taken;
}

void Flow::HandleTransportEof() {
  if (options_.codec == Codec::kNative) {
    Feed(FlowInput::kPeerEnd);
    return;
  }
  absl::Status cause = FlowError(
      FlowErrorKind::kTruncated,
      decoder_.AtMessageBoundary()
          ? "the transport ended without the peer's end-of-writes marker "
            "(ShutdownWrite or Close)"
          : "the transport ended in the middle of a frame");
  Feed(FlowInput::kTransportEof, {}, cause);
}

void Flow::HandleTransportError(const absl::Status& status) {
  absl::Status cause =
      GetFlowErrorKind(status).has_value()
          ? status
          : FlowError(FlowErrorKind::kReset,
                      absl::StrCat("transport failed: ", status.message()));
  Feed(FlowInput::kTransportError, {}, cause);
}

void Flow::HandleTimeout(absl::Time now) {
  now_ = std::max(now_, now);
  if (now_ >= close_deadline_) Feed(FlowInput::kCloseTimeout);
}

// ── Commands ───────────────────────────────────────────────────────────

absl::Status Flow::CheckWritable() {
  if (absl::Status status = Step(FlowInput::kWrite); !status.ok()) {
    return status;
  }
  if (peer_stopped_reading_) {
    return FlowError(FlowErrorKind::kClosed,
                     "the peer sent ShutdownRead: it reads no more");
  }
  if (send_.payload_bytes() >= options_.send_limit) {
    write_blocked_ = true;
    return FlowError(
        FlowErrorKind::kWouldBlock,
        absl::StrFormat("send queue holds %u bytes (limit %u); wait for "
                        "FlowEvent::kWritable",
                        send_.payload_bytes(), options_.send_limit));
  }
  return absl::OkStatus();
}

absl::Status Flow::Writev(absl::Span<absl::Cord> buffers) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  for (absl::Cord& buffer : buffers) send_.Append(std::move(buffer));
  return absl::OkStatus();
}

absl::Status Flow::Write(absl::string_view data) {
  if (absl::Status status = CheckWritable(); !status.ok()) return status;
  send_.AppendCopy(data);
  return absl::OkStatus();
}

absl::Status Flow::Write(absl::Cord&& data) {
  return Writev(absl::MakeSpan(&data, 1));
}

absl::Status Flow::Close(absl::Time now) {
  now_ = std::max(now_, now);
  Feed(FlowInput::kClose);
  if (state_ == FlowState::kFailed) return error_;
  return absl::OkStatus();
}

void Flow::Abort() { Feed(FlowInput::kAbort); }

absl::StatusOr<ReadResult> Flow::Read(size_t max_bytes) {
  if (max_bytes == 0) {
    return absl::InvalidArgumentError("Read needs max_bytes of at least 1");
  }
  if (received_dropped_) return error_;
  if (receive_.readable() > 0) {
    absl::Cord data = receive_.Take(max_bytes);
    counters_.bytes_read += data.size();
    return ReadResult::Data(std::move(data));
  }
  if (peer_ended_) return ReadResult::Eof();
  if (state_ == FlowState::kFailed) return error_;
  return ReadResult::WouldBlock();
}

// ── Outputs ────────────────────────────────────────────────────────────

size_t Flow::PeekTransmit(absl::Span<absl::string_view> out) {
  if (IsFinished()) return 0;
  return send_.Peek(out, peer_ended_ ? kFrameClose : kFrameShutdownWrite);
}

void Flow::ConsumeTransmitted(size_t n) {
  if (n == 0) return;
  if (IsFinished() || n > send_.sealed_bytes()) {
    Fail(FlowError(FlowErrorKind::kUnexpectedInput,
                   absl::StrFormat("state %s: %u bytes consumed but only %u "
                                   "were handed out by PeekTransmit",
                                   FlowStateName(state_), n,
                                   IsFinished() ? 0 : send_.sealed_bytes())),
         /*drop_received=*/false);
    return;
  }
  SendQueue::Consumed consumed = send_.Consume(n);
  counters_.wire_bytes_out += n;
  counters_.bytes_out += consumed.payload_bytes;
  counters_.frames_out += consumed.frames;
  AfterTransmit();
}

void Flow::AfterTransmit() {
  if (write_blocked_ && send_.payload_bytes() < options_.send_limit) {
    write_blocked_ = false;
    Raise(FlowEvent::kWritable);
  }
  bool closing = state_ == FlowState::kClosing ||
                 state_ == FlowState::kClosingRemoteEnded;
  if (closing && options_.codec == Codec::kFramed && send_.AtEnd()) {
    Feed(FlowInput::kEndTransmitted);
  }
}

bool Flow::HasTransmit() const {
  return !IsFinished() && send_.wire_bytes() > 0;
}

bool Flow::PollShutdownWrite() {
  bool closing = state_ == FlowState::kClosing ||
                 state_ == FlowState::kClosingRemoteEnded;
  if (!closing || options_.codec != Codec::kNative || !send_.AtEnd()) {
    return false;
  }
  Feed(FlowInput::kEndTransmitted);
  return true;
}

bool Flow::WantsRead() const {
  // A framed peer that has ended may still send bytes; reading them is how
  // the flow notices (a protocol error) instead of leaving them to pile up
  // unseen in the transport. A native peer's end is the transport's EOF.
  const bool more_may_come =
      !peer_ended_ || options_.codec == Codec::kFramed;
  return !IsFinished() && more_may_come &&
         receive_.readable() < options_.receive_limit;
}

std::optional<absl::Time> Flow::NextDeadline() const {
  if (close_deadline_ == absl::InfiniteFuture()) return std::nullopt;
  return close_deadline_;
}

std::optional<FlowEvent> Flow::PollEvent() {
  if (events_ == 0) return std::nullopt;
  uint8_t lowest = events_ & static_cast<uint8_t>(-events_);
  events_ &= static_cast<uint8_t>(~lowest);
  return static_cast<FlowEvent>(lowest);
}

}  // namespace hvsock
