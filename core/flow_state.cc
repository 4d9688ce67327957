#include "core/flow_state.h"

#include <cstddef>
#include <cstdint>

#include "core/transition_index.h"

namespace hvsock {
namespace {

using S = FlowState;
using I = FlowInput;

// Effects, spelled as in the table.
using A = FlowAction;
constexpr FlowActions QueueData = Bit(A::kQueueData);
constexpr FlowActions RejectClosed = Bit(A::kRejectClosed);
constexpr FlowActions DropQueued = Bit(A::kDropQueued);
constexpr FlowActions QueueEnd = Bit(A::kQueueEnd);
constexpr FlowActions QueueClose = Bit(A::kQueueClose);
constexpr FlowActions DeliverData = Bit(A::kDeliverData);
constexpr FlowActions DeliverEnd = Bit(A::kDeliverEnd);
constexpr FlowActions Complete = Bit(A::kComplete);
constexpr FlowActions Ignore = Bit(A::kIgnore);
constexpr FlowActions Discard = Bit(A::kDiscard);
constexpr FlowActions None = Bit(A::kNone);
constexpr FlowActions FailReset = Bit(A::kFailReset);
constexpr FlowActions FailTruncated = Bit(A::kFailTruncated);
constexpr FlowActions FailProtocol = Bit(A::kFailProtocol);
constexpr FlowActions FailDataAfterEnd = Bit(A::kFailDataAfterEnd);
constexpr FlowActions FailCloseTimeout = Bit(A::kFailCloseTimeout);
constexpr FlowActions FailIdleTimeout = Bit(A::kFailIdleTimeout);
constexpr FlowActions FailAborted = Bit(A::kFailAborted);
constexpr FlowActions FailMisuse = Bit(A::kFailMisuse);

// The rows every live (non-terminal) state shares: the ways a flow fails
// whatever it is doing.
#define HVSOCK_LIVE_FAILURES(state)                            \
  {state, I::kAbort, S::kFailed, FailAborted},                 \
      {state, I::kProtocolError, S::kFailed, FailProtocol},    \
      {state, I::kIdleTimeout, S::kFailed, FailIdleTimeout}, { \
    state, I::kBackendMisuse, S::kFailed, FailMisuse           \
  }

// The whole state machine. Grouped by state; within a state, application
// commands first, then the peer's and the transport's inputs.
constexpr FlowTransition kTable[] = {
    // ── kOpen: both sides may write ──────────────────────────────────────
    {S::kOpen, I::kWrite, S::kOpen, QueueData},
    {S::kOpen, I::kClose, S::kClosing, QueueEnd},
    {S::kOpen, I::kPeerData, S::kOpen, DeliverData},
    {S::kOpen, I::kPeerShutdownWrite, S::kRemoteEnded, DeliverEnd},
    {S::kOpen, I::kPeerClose, S::kRemoteClosed, DeliverEnd},
    {S::kOpen, I::kPeerShutdownRead, S::kClosing, DropQueued | QueueEnd},
    {S::kOpen, I::kPeerEof, S::kRemoteClosed, DeliverEnd},
    {S::kOpen, I::kTransportEof, S::kFailed, FailTruncated},
    {S::kOpen, I::kTransportError, S::kFailed, FailReset},
    {S::kOpen, I::kTransportErrorFlushed, S::kFailed, FailReset},
    HVSOCK_LIVE_FAILURES(S::kOpen),

    // ── kRemoteEnded: framed peer sent ShutdownWrite; ours stay open ─────
    {S::kRemoteEnded, I::kWrite, S::kRemoteEnded, QueueData},
    {S::kRemoteEnded, I::kClose, S::kClosingRemoteEnded, QueueClose},
    {S::kRemoteEnded, I::kPeerData, S::kFailed, FailDataAfterEnd},
    {S::kRemoteEnded, I::kPeerShutdownWrite, S::kRemoteEnded, Ignore},
    {S::kRemoteEnded, I::kPeerClose, S::kRemoteClosed, None},
    {S::kRemoteEnded, I::kPeerShutdownRead, S::kClosingRemoteClosed,
     DropQueued | QueueClose},
    {S::kRemoteEnded, I::kTransportEof, S::kRemoteClosed, None},
    {S::kRemoteEnded, I::kTransportError, S::kFailed, FailReset},
    {S::kRemoteEnded, I::kTransportErrorFlushed, S::kFailed, FailReset},
    HVSOCK_LIVE_FAILURES(S::kRemoteEnded),

    // ── kRemoteClosed: the peer is done; ours stay open ──────────────────
    {S::kRemoteClosed, I::kWrite, S::kRemoteClosed, QueueData},
    {S::kRemoteClosed, I::kClose, S::kClosingRemoteClosed, QueueClose},
    {S::kRemoteClosed, I::kPeerData, S::kFailed, FailDataAfterEnd},
    {S::kRemoteClosed, I::kPeerShutdownWrite, S::kRemoteClosed, Ignore},
    {S::kRemoteClosed, I::kPeerClose, S::kRemoteClosed, Ignore},
    {S::kRemoteClosed, I::kPeerShutdownRead, S::kClosingRemoteClosed,
     DropQueued | QueueClose},
    {S::kRemoteClosed, I::kPeerEof, S::kRemoteClosed, Ignore},
    {S::kRemoteClosed, I::kTransportEof, S::kRemoteClosed, Ignore},
    {S::kRemoteClosed, I::kTransportError, S::kFailed, FailReset},
    {S::kRemoteClosed, I::kTransportErrorFlushed, S::kFailed, FailReset},
    HVSOCK_LIVE_FAILURES(S::kRemoteClosed),

    // ── kClosing: our end is queued; the peer has not ended ──────────────
    {S::kClosing, I::kWrite, S::kClosing, RejectClosed},
    {S::kClosing, I::kClose, S::kClosing, Ignore},
    {S::kClosing, I::kPeerData, S::kClosing, DeliverData},
    {S::kClosing, I::kPeerShutdownWrite, S::kClosingRemoteEnded,
     DeliverEnd | QueueClose},
    {S::kClosing, I::kPeerClose, S::kClosingRemoteClosed,
     DeliverEnd | QueueClose},
    {S::kClosing, I::kPeerShutdownRead, S::kClosing, DropQueued},
    {S::kClosing, I::kPeerEof, S::kClosingRemoteClosed, DeliverEnd},
    {S::kClosing, I::kTransportEof, S::kFailed, FailTruncated},
    {S::kClosing, I::kTransportError, S::kFailed, FailReset},
    {S::kClosing, I::kTransportErrorFlushed, S::kFailed, FailReset},
    {S::kClosing, I::kEndTransmitted, S::kCloseWait, None},
    {S::kClosing, I::kCloseTimeout, S::kFailed, FailCloseTimeout},
    HVSOCK_LIVE_FAILURES(S::kClosing),

    // ── kClosingRemoteEnded: framed; our Close is queued, the peer ended ─
    {S::kClosingRemoteEnded, I::kWrite, S::kClosingRemoteEnded, RejectClosed},
    {S::kClosingRemoteEnded, I::kClose, S::kClosingRemoteEnded, Ignore},
    {S::kClosingRemoteEnded, I::kPeerData, S::kFailed, FailDataAfterEnd},
    {S::kClosingRemoteEnded, I::kPeerShutdownWrite, S::kClosingRemoteEnded,
     Ignore},
    {S::kClosingRemoteEnded, I::kPeerClose, S::kClosingRemoteClosed, None},
    {S::kClosingRemoteEnded, I::kPeerShutdownRead, S::kClosingRemoteClosed,
     DropQueued},
    {S::kClosingRemoteEnded, I::kTransportEof, S::kClosingRemoteClosed, None},
    {S::kClosingRemoteEnded, I::kTransportError, S::kFailed, FailReset},
    {S::kClosingRemoteEnded, I::kTransportErrorFlushed, S::kFailed, FailReset},
    {S::kClosingRemoteEnded, I::kEndTransmitted, S::kAwaitingPeerClose, None},
    {S::kClosingRemoteEnded, I::kCloseTimeout, S::kFailed, FailCloseTimeout},
    HVSOCK_LIVE_FAILURES(S::kClosingRemoteEnded),

    // ── kClosingRemoteClosed: our end is queued; the peer is done ────────
    {S::kClosingRemoteClosed, I::kWrite, S::kClosingRemoteClosed, RejectClosed},
    {S::kClosingRemoteClosed, I::kClose, S::kClosingRemoteClosed, Ignore},
    {S::kClosingRemoteClosed, I::kPeerData, S::kFailed, FailDataAfterEnd},
    {S::kClosingRemoteClosed, I::kPeerShutdownWrite, S::kClosingRemoteClosed,
     Ignore},
    {S::kClosingRemoteClosed, I::kPeerClose, S::kClosingRemoteClosed, Ignore},
    {S::kClosingRemoteClosed, I::kPeerShutdownRead, S::kClosingRemoteClosed,
     DropQueued},
    {S::kClosingRemoteClosed, I::kPeerEof, S::kClosingRemoteClosed, Ignore},
    {S::kClosingRemoteClosed, I::kTransportEof, S::kClosingRemoteClosed,
     Ignore},
    {S::kClosingRemoteClosed, I::kTransportError, S::kFailed, FailReset},
    // The peer is done and every payload byte has left: a transport that
    // fails now (a peer that closed its socket before our Close reached it)
    // loses nothing.
    {S::kClosingRemoteClosed, I::kTransportErrorFlushed, S::kClosed, Complete},
    {S::kClosingRemoteClosed, I::kEndTransmitted, S::kClosed, Complete},
    {S::kClosingRemoteClosed, I::kCloseTimeout, S::kFailed, FailCloseTimeout},
    HVSOCK_LIVE_FAILURES(S::kClosingRemoteClosed),

    // ── kCloseWait: our end is out; waiting for the peer's ───────────────
    {S::kCloseWait, I::kWrite, S::kCloseWait, RejectClosed},
    {S::kCloseWait, I::kClose, S::kCloseWait, Ignore},
    {S::kCloseWait, I::kPeerData, S::kCloseWait, DeliverData},
    {S::kCloseWait, I::kPeerShutdownWrite, S::kClosingRemoteEnded,
     DeliverEnd | QueueClose},
    {S::kCloseWait, I::kPeerClose, S::kClosingRemoteClosed,
     DeliverEnd | QueueClose},
    {S::kCloseWait, I::kPeerShutdownRead, S::kCloseWait, Ignore},
    {S::kCloseWait, I::kPeerEof, S::kClosed, DeliverEnd | Complete},
    {S::kCloseWait, I::kTransportEof, S::kFailed, FailTruncated},
    {S::kCloseWait, I::kTransportError, S::kFailed, FailReset},
    {S::kCloseWait, I::kTransportErrorFlushed, S::kFailed, FailReset},
    {S::kCloseWait, I::kCloseTimeout, S::kFailed, FailCloseTimeout},
    HVSOCK_LIVE_FAILURES(S::kCloseWait),

    // ── kAwaitingPeerClose: framed; our Close is out, the peer ended ─────
    {S::kAwaitingPeerClose, I::kWrite, S::kAwaitingPeerClose, RejectClosed},
    {S::kAwaitingPeerClose, I::kClose, S::kAwaitingPeerClose, Ignore},
    {S::kAwaitingPeerClose, I::kPeerData, S::kFailed, FailDataAfterEnd},
    {S::kAwaitingPeerClose, I::kPeerShutdownWrite, S::kAwaitingPeerClose,
     Ignore},
    {S::kAwaitingPeerClose, I::kPeerClose, S::kClosed, Complete},
    {S::kAwaitingPeerClose, I::kPeerShutdownRead, S::kClosed, Complete},
    {S::kAwaitingPeerClose, I::kTransportEof, S::kClosed, Complete},
    {S::kAwaitingPeerClose, I::kTransportErrorFlushed, S::kClosed, Complete},
    {S::kAwaitingPeerClose, I::kCloseTimeout, S::kFailed, FailCloseTimeout},
    HVSOCK_LIVE_FAILURES(S::kAwaitingPeerClose),

    // ── kClosed: both ended; late news changes nothing ───────────────────
    {S::kClosed, I::kWrite, S::kClosed, RejectClosed},
    {S::kClosed, I::kClose, S::kClosed, Ignore},
    {S::kClosed, I::kAbort, S::kClosed, Ignore},
    {S::kClosed, I::kPeerData, S::kClosed, Discard},
    {S::kClosed, I::kPeerShutdownWrite, S::kClosed, Ignore},
    {S::kClosed, I::kPeerClose, S::kClosed, Ignore},
    {S::kClosed, I::kPeerShutdownRead, S::kClosed, Ignore},
    {S::kClosed, I::kPeerEof, S::kClosed, Ignore},
    {S::kClosed, I::kTransportEof, S::kClosed, Ignore},
    {S::kClosed, I::kTransportError, S::kClosed, Ignore},
    {S::kClosed, I::kTransportErrorFlushed, S::kClosed, Ignore},
    {S::kClosed, I::kProtocolError, S::kClosed, Ignore},
    {S::kClosed, I::kBackendMisuse, S::kClosed, Ignore},

    // ── kFailed: the first error stays; commands report it ───────────────
    {S::kFailed, I::kWrite, S::kFailed, RejectClosed},
    {S::kFailed, I::kClose, S::kFailed, Ignore},
    {S::kFailed, I::kAbort, S::kFailed, Ignore},
    {S::kFailed, I::kPeerData, S::kFailed, Discard},
    {S::kFailed, I::kPeerShutdownWrite, S::kFailed, Ignore},
    {S::kFailed, I::kPeerClose, S::kFailed, Ignore},
    {S::kFailed, I::kPeerShutdownRead, S::kFailed, Ignore},
    {S::kFailed, I::kPeerEof, S::kFailed, Ignore},
    {S::kFailed, I::kTransportEof, S::kFailed, Ignore},
    {S::kFailed, I::kTransportError, S::kFailed, Ignore},
    {S::kFailed, I::kTransportErrorFlushed, S::kFailed, Ignore},
    {S::kFailed, I::kProtocolError, S::kFailed, Ignore},
    {S::kFailed, I::kBackendMisuse, S::kFailed, Ignore},
};

#undef HVSOCK_LIVE_FAILURES

}  // namespace

absl::Span<const FlowTransition> FlowTransitionTable() { return kTable; }

namespace {

constexpr TransitionIndex<kFlowStateCount, kFlowInputCount> kTransitionIndex(
    kTable);

}  // namespace

std::optional<FlowTransition> FindFlowTransition(FlowState state,
                                                 FlowInput input) {
  const int row = kTransitionIndex.Find(state, input);
  if (row < 0) return std::nullopt;
  return kTable[row];
}

absl::string_view FlowStateName(FlowState state) {
  switch (state) {
    case S::kOpen:
      return "Open";
    case S::kRemoteEnded:
      return "RemoteEnded";
    case S::kRemoteClosed:
      return "RemoteClosed";
    case S::kClosing:
      return "Closing";
    case S::kClosingRemoteEnded:
      return "ClosingRemoteEnded";
    case S::kClosingRemoteClosed:
      return "ClosingRemoteClosed";
    case S::kCloseWait:
      return "CloseWait";
    case S::kAwaitingPeerClose:
      return "AwaitingPeerClose";
    case S::kClosed:
      return "Closed";
    case S::kFailed:
      return "Failed";
  }
  return "?";
}

absl::string_view FlowInputName(FlowInput input) {
  switch (input) {
    case I::kWrite:
      return "Write";
    case I::kClose:
      return "Close";
    case I::kAbort:
      return "Abort";
    case I::kPeerData:
      return "PeerData";
    case I::kPeerShutdownWrite:
      return "PeerShutdownWrite";
    case I::kPeerClose:
      return "PeerClose";
    case I::kPeerShutdownRead:
      return "PeerShutdownRead";
    case I::kPeerEof:
      return "PeerEof";
    case I::kTransportEof:
      return "TransportEof";
    case I::kTransportError:
      return "TransportError";
    case I::kTransportErrorFlushed:
      return "TransportErrorFlushed";
    case I::kProtocolError:
      return "ProtocolError";
    case I::kEndTransmitted:
      return "EndTransmitted";
    case I::kCloseTimeout:
      return "CloseTimeout";
    case I::kIdleTimeout:
      return "IdleTimeout";
    case I::kBackendMisuse:
      return "BackendMisuse";
  }
  return "?";
}

absl::string_view FlowActionName(FlowAction action) {
  switch (action) {
    case A::kNone:
      return "None";
    case A::kQueueData:
      return "QueueData";
    case A::kRejectClosed:
      return "RejectClosed";
    case A::kDropQueued:
      return "DropQueued";
    case A::kQueueEnd:
      return "QueueEnd";
    case A::kQueueClose:
      return "QueueClose";
    case A::kDeliverData:
      return "DeliverData";
    case A::kDeliverEnd:
      return "DeliverEnd";
    case A::kComplete:
      return "Complete";
    case A::kIgnore:
      return "Ignore";
    case A::kDiscard:
      return "Discard";
    case A::kFailReset:
      return "FailReset";
    case A::kFailTruncated:
      return "FailTruncated";
    case A::kFailProtocol:
      return "FailProtocol";
    case A::kFailDataAfterEnd:
      return "FailDataAfterEnd";
    case A::kFailCloseTimeout:
      return "FailCloseTimeout";
    case A::kFailIdleTimeout:
      return "FailIdleTimeout";
    case A::kFailAborted:
      return "FailAborted";
    case A::kFailMisuse:
      return "FailMisuse";
  }
  return "?";
}

}  // namespace hvsock
