#include "core/flow.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/duration_text.h"

namespace hvsock {

absl::string_view FlowEventName(FlowEvent event) {
  switch (event) {
    case FlowEvent::kReadable:
      return "Readable";
    case FlowEvent::kWritable:
      return "Writable";
    case FlowEvent::kCloseCompleted:
      return "CloseCompleted";
    case FlowEvent::kFailed:
      return "Failed";
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
  if (!transition.has_value()) return RejectInput(input);
  const FlowState from = state_;
  const FlowActions actions = transition->actions;
  state_ = transition->to;
  if (Has(actions, FlowAction::kRejectClosed)) return RejectWrite();
  RunSendActions(actions);
  RunReceiveActions(actions, piece);
  RunFailActions(actions, from, cause);
  return absl::OkStatus();
}

absl::Status Flow::RejectInput(FlowInput input) {
  absl::Status error =
      FlowError(FlowErrorKind::kUnexpectedInput,
                absl::StrCat("state ", FlowStateName(state_),
                             " does not accept input ", FlowInputName(input)));
  state_ = FlowState::kFailed;
  Fail(error, /*drop_received=*/false);
  return error;
}

void Flow::RunSendActions(FlowActions actions) {
  using A = FlowAction;
  if (Has(actions, A::kDropQueued)) {
    peer_stopped_reading_ = true;
    counters_.bytes_dropped += send_.DropUnsent();
    AfterTransmit();
  }
  if (Has(actions, A::kQueueEnd) || Has(actions, A::kQueueClose)) {
    // The close timer counts from the first end queued (HandleTimeout()
    // starts it if the time is not known yet).
    if (close_started_ == absl::InfinitePast()) close_started_ = now_;
    if (Has(actions, A::kQueueEnd)) send_.AppendEnd();
    if (Has(actions, A::kQueueClose)) send_.AppendClose();
  }
}

void Flow::RunReceiveActions(FlowActions actions, absl::string_view piece) {
  using A = FlowAction;
  if (Has(actions, A::kDeliverData)) {
    counters_.bytes_in += piece.size();
    receive_.Deliver(piece);
    Raise(FlowEvent::kReadable);
  }
  if (Has(actions, A::kDeliverEnd)) {
    end_delivered_ = true;
    Raise(FlowEvent::kReadable);
  }
  if (Has(actions, A::kComplete)) Raise(FlowEvent::kCloseCompleted);
  if (Has(actions, A::kDiscard)) counters_.bytes_dropped += piece.size();
}

void Flow::RunFailActions(FlowActions actions, FlowState from,
                          const absl::Status& cause) {
  using A = FlowAction;
  if (Has(actions, A::kFailReset) || Has(actions, A::kFailTruncated) ||
      Has(actions, A::kFailProtocol) || Has(actions, A::kFailMisuse)) {
    Fail(cause, /*drop_received=*/false);
  }
  if (Has(actions, A::kFailDataAfterEnd)) {
    Fail(FlowError(FlowErrorKind::kProtocol,
                   absl::StrCat("the peer sent data after it had ended its "
                                "writes (state ",
                                FlowStateName(from), ")")),
         /*drop_received=*/false);
  }
  if (Has(actions, A::kFailCloseTimeout)) {
    Fail(
        FlowError(FlowErrorKind::kCloseTimeout,
                  absl::StrCat("close made no progress for ",
                               DurationText(options_.close_timeout), " (state ",
                               FlowStateName(from), "); the flow was aborted")),
        /*drop_received=*/true);
  }
  if (Has(actions, A::kFailIdleTimeout)) {
    Fail(
        FlowError(FlowErrorKind::kIdleTimeout,
                  absl::StrCat("no byte moved for ",
                               DurationText(options_.idle_timeout), " (state ",
                               FlowStateName(from), "); the flow was aborted")),
        /*drop_received=*/true);
  }
  if (Has(actions, A::kFailAborted)) {
    Fail(FlowError(FlowErrorKind::kAborted, "the flow was aborted"),
         /*drop_received=*/true);
  }
}

// The consequences of entering kFailed (the table has already moved there).
void Flow::Fail(const absl::Status& error, bool drop_received) {
  if (error_.ok()) error_ = error;
  send_.DropUnsent();
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
  space_next_ = 0;
  return space_;
}

size_t Flow::ReceiveSpaces(absl::Span<absl::Span<char>> out) {
  if (out.empty()) return 0;
  if (out.size() == 1) {
    out[0] = ReceiveSpace();
    return out[0].empty() ? 0 : 1;
  }
  absl::Span<char> spans[2];
  const size_t count = receive_.Spaces(
      WantsRead() ? options_.receive_limit - receive_.readable() : 0, spans);
  space_ = count > 0 ? spans[0] : absl::Span<char>();
  space_next_ = count > 1 ? spans[1].size() : 0;
  for (size_t i = 0; i < count; ++i) out[i] = spans[i];
  return count;
}

void Flow::CommitReceived(size_t n) {
  const size_t lent = space_.size() + space_next_;
  if (n > lent) {
    Step(FlowInput::kBackendMisuse, {},
         FlowError(FlowErrorKind::kUnexpectedInput,
                   absl::StrFormat("state %s: %u bytes committed but the "
                                   "receive space offered only %u",
                                   FlowStateName(state_), n, lent)))
        .IgnoreError();
    return;
  }
  space_ = {};
  space_next_ = 0;
  absl::string_view bytes = receive_.Commit(n);
  if (n > 0) {
    counters_.wire_bytes_in += n;
    Progress();
    ConsumeReceived(bytes);
    // What a vectored read put in the second block, after the first.
    ConsumeReceived(receive_.CommitNext());
  }
  // An abort or timeout while the space was lent kept its block for the
  // backend's read; now nothing uses it.
  if (received_dropped_) receive_.Clear();
}

void Flow::ConsumeReceived(absl::string_view bytes) {
  if (bytes.empty()) return;
  if (options_.codec == Codec::kNative || IsFinished()) {
    // Native bytes are payload; after the end, the table discards them
    // (counted) for both codecs alike, without decoding.
    Feed(FlowInput::kPeerData, bytes);
  } else {
    DecodeReceived(bytes);
  }
}

void Flow::DecodeReceived(absl::string_view bytes) {
  using Kind = DecodedItem::Kind;
  while (!bytes.empty()) {
    if (IsFinished()) {
      // The rest of the chunk arrived after the end (a protocol error, or
      // bytes behind the last marker): discarded and counted.
      Feed(FlowInput::kPeerData, bytes);
      return;
    }
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
        Feed(FlowInput::kPeerShutdownWrite);
        break;
      case Kind::kClose:
        Feed(FlowInput::kPeerClose);
        break;
      case Kind::kError:
        Feed(FlowInput::kProtocolError, {}, decoder_.status());
        // The decoder's error is sticky: what follows is discarded.
        if (!bytes.empty()) Feed(FlowInput::kPeerData, bytes);
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
    Feed(FlowInput::kPeerEof);
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
  // Whether payload is lost with the transport is the table's question;
  // which of the two inputs this is, is the send queue's fact.
  Feed(send_.payload_bytes() == 0 ? FlowInput::kTransportErrorFlushed
                                  : FlowInput::kTransportError,
       {}, cause);
}

void Flow::LearnTime(absl::Time now) {
  now_ = std::max(now_, now);
  // Timers start at the first time the flow is given (an end queued before
  // that, for the peer's ShutdownRead, starts its close timer now).
  if (last_progress_ == absl::InfinitePast()) last_progress_ = now_;
  if (close_started_ == absl::InfinitePast() &&
      FindFlowTransition(state_, FlowInput::kCloseTimeout).has_value()) {
    close_started_ = now_;
  }
}

void Flow::HandleTimeout(absl::Time now) {
  LearnTime(now);
  if (std::optional<absl::Time> idle = IdleDeadline(); idle && now_ >= *idle) {
    Feed(FlowInput::kIdleTimeout);
    return;
  }
  if (std::optional<absl::Time> close = CloseDeadline();
      close && now_ >= *close) {
    Feed(FlowInput::kCloseTimeout);
  }
}

// A timer applies in the states whose table rows accept its input.
// Timers measure a peer that has stopped: while the receive buffer is full
// the flow is waiting for its own application, not for the peer, so they
// pause (and restart when the application reads).
bool Flow::WaitingForApplication() const {
  return receive_.readable() >= options_.receive_limit;
}

std::optional<absl::Time> Flow::IdleDeadline() const {
  if (options_.idle_timeout == absl::InfiniteDuration() ||
      last_progress_ == absl::InfinitePast() || WaitingForApplication() ||
      !FindFlowTransition(state_, FlowInput::kIdleTimeout).has_value()) {
    return std::nullopt;
  }
  return last_progress_ + options_.idle_timeout;
}

std::optional<absl::Time> Flow::CloseDeadline() const {
  if (close_started_ == absl::InfinitePast() || WaitingForApplication() ||
      !FindFlowTransition(state_, FlowInput::kCloseTimeout).has_value()) {
    return std::nullopt;
  }
  return std::max(close_started_, last_progress_) + options_.close_timeout;
}

// ── Commands ───────────────────────────────────────────────────────────

absl::Status Flow::RejectWrite() const {
  if (state_ == FlowState::kFailed) return error_;
  if (peer_stopped_reading_) {
    return FlowError(FlowErrorKind::kClosed,
                     "the peer sent ShutdownRead: it reads no more");
  }
  return FlowError(FlowErrorKind::kClosed,
                   absl::StrCat("the flow's write side is closed (state ",
                                FlowStateName(state_), ")"));
}

namespace {

// The states whose table row for kWrite only accepts the bytes (stays in
// the state, action kQueueData): read from the table once, so that a write
// in such a state, the common case, need not run the whole transition.
uint32_t StatesThatOnlyQueueWrites() {
  uint32_t states = 0;
  for (int s = 0; s < kFlowStateCount; ++s) {
    const FlowState state = static_cast<FlowState>(s);
    std::optional<FlowTransition> row =
        FindFlowTransition(state, FlowInput::kWrite);
    if (row.has_value() && row->to == state &&
        row->actions == Bit(FlowAction::kQueueData)) {
      states |= 1u << s;
    }
  }
  return states;
}

const uint32_t kStatesThatOnlyQueueWrites = StatesThatOnlyQueueWrites();

}  // namespace

absl::Status Flow::CheckWritable() {
  const bool only_queues =
      (kStatesThatOnlyQueueWrites >> static_cast<int>(state_)) & 1u;
  if (!only_queues) {
    if (absl::Status status = Step(FlowInput::kWrite); !status.ok()) {
      return status;
    }
  }
  if (send_.payload_bytes() >= options_.send_limit) {
    write_blocked_ = true;
    // Backpressure is the everyday answer to a bulk writer: one shared
    // status (copying it takes a reference), not a new message each time.
    static const absl::Status* const kSendQueueFull =
        new absl::Status(FlowError(FlowErrorKind::kWouldBlock,
                                   "the send queue is at its limit "
                                   "(FlowOptions::send_limit); wait for "
                                   "FlowEvent::kWritable"));
    return *kSendQueueFull;
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
  LearnTime(now);
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
    // Reading from a full buffer ends a wait on the application: the
    // timers restart from here.
    if (WaitingForApplication()) Progress();
    absl::Cord data = receive_.Take(max_bytes);
    counters_.bytes_read += data.size();
    return ReadResult::Data(std::move(data));
  }
  if (end_delivered_) return ReadResult::Eof();
  if (state_ == FlowState::kFailed) return error_;
  return ReadResult::WouldBlock();
}

// ── Outputs ────────────────────────────────────────────────────────────

size_t Flow::PeekTransmit(absl::Span<absl::string_view> out, size_t skip) {
  if (IsFinished()) return 0;
  return send_.Peek(out, skip);
}

void Flow::ConsumeTransmitted(size_t n) {
  if (n == 0) return;
  const size_t handed_out = IsFinished() ? 0 : send_.sealed_bytes();
  if (n > handed_out) {
    Step(FlowInput::kBackendMisuse, {},
         FlowError(FlowErrorKind::kUnexpectedInput,
                   absl::StrFormat("state %s: %u bytes consumed but only %u "
                                   "were handed out by PeekTransmit",
                                   FlowStateName(state_), n, handed_out)))
        .IgnoreError();
    return;
  }
  SendQueue::Consumed consumed = send_.Consume(n);
  counters_.wire_bytes_out += n;
  counters_.bytes_out += consumed.payload_bytes;
  counters_.frames_out += consumed.frames;
  Progress();
  AfterTransmit();
}

void Flow::AfterTransmit() {
  if (write_blocked_ && send_.payload_bytes() < options_.send_limit) {
    write_blocked_ = false;
    Raise(FlowEvent::kWritable);
  }
  // Framed: the end is transmitted when its last marker byte has left.
  // Native: when the backend takes the shutdown (PollShutdownWrite).
  if (options_.codec == Codec::kFramed && send_.AtEnd() &&
      FindFlowTransition(state_, FlowInput::kEndTransmitted).has_value()) {
    Feed(FlowInput::kEndTransmitted);
  }
}

bool Flow::HasTransmit() const {
  return !IsFinished() && send_.wire_bytes() > 0;
}

bool Flow::WantsShutdownWrite() const {
  return options_.codec == Codec::kNative && send_.AtEnd() &&
         FindFlowTransition(state_, FlowInput::kEndTransmitted).has_value();
}

bool Flow::PollShutdownWrite() {
  if (!WantsShutdownWrite()) return false;
  Feed(FlowInput::kEndTransmitted);
  return true;
}

bool Flow::WantsRead() const {
  // A framed peer that has ended may still send bytes; reading them is how
  // the flow notices (a protocol error) instead of leaving them to pile up
  // unseen in the transport, and how it sees the peer's Close or EOF. A
  // native peer's end is the transport's EOF.
  const bool more_may_come =
      !end_delivered_ || options_.codec == Codec::kFramed;
  return !IsFinished() && more_may_come &&
         receive_.readable() < options_.receive_limit;
}

std::optional<absl::Time> Flow::NextDeadline() const {
  std::optional<absl::Time> idle = IdleDeadline();
  std::optional<absl::Time> close = CloseDeadline();
  if (idle && close) return std::min(*idle, *close);
  return idle ? idle : close;
}

std::optional<FlowEvent> Flow::PollEvent() {
  if (events_ == 0) return std::nullopt;
  uint8_t lowest = events_ & static_cast<uint8_t>(-events_);
  events_ &= static_cast<uint8_t>(~lowest);
  return static_cast<FlowEvent>(lowest);
}

}  // namespace hvsock
