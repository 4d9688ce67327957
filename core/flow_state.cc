#include "core/flow_state.h"

namespace hvsock {
namespace {

using S = FlowState;
using I = FlowInput;
using A = FlowAction;

// The whole state machine. Grouped by state; within a state, application
// commands first, then the peer's and the transport's inputs.
constexpr FlowTransition kTable[] = {
    // ── kOpen: both sides may write ──────────────────────────────────────
    {S::kOpen, I::kWrite, S::kOpen, A::kQueueData},
    {S::kOpen, I::kClose, S::kClosing, A::kQueueEnd},
    {S::kOpen, I::kAbort, S::kFailed, A::kFailAborted},
    {S::kOpen, I::kPeerData, S::kOpen, A::kDeliverData},
    {S::kOpen, I::kPeerEnd, S::kRemoteEnded, A::kDeliverEnd},
    {S::kOpen, I::kPeerShutdownRead, S::kOpen, A::kDropQueued},
    {S::kOpen, I::kTransportEof, S::kFailed, A::kFailTruncated},
    {S::kOpen, I::kTransportError, S::kFailed, A::kFailReset},
    {S::kOpen, I::kProtocolError, S::kFailed, A::kFailProtocol},

    // ── kRemoteEnded: the peer ended its writes; ours stay open ──────────
    {S::kRemoteEnded, I::kWrite, S::kRemoteEnded, A::kQueueData},
    {S::kRemoteEnded, I::kClose, S::kClosingRemoteEnded, A::kQueueEnd},
    {S::kRemoteEnded, I::kAbort, S::kFailed, A::kFailAborted},
    {S::kRemoteEnded, I::kPeerData, S::kFailed, A::kFailProtocol},
    {S::kRemoteEnded, I::kPeerEnd, S::kRemoteEnded, A::kIgnore},
    {S::kRemoteEnded, I::kPeerShutdownRead, S::kRemoteEnded, A::kDropQueued},
    {S::kRemoteEnded, I::kTransportEof, S::kRemoteEnded, A::kIgnore},
    {S::kRemoteEnded, I::kTransportError, S::kFailed, A::kFailReset},
    {S::kRemoteEnded, I::kProtocolError, S::kFailed, A::kFailProtocol},

    // ── kClosing: close() called; data and end signal still leaving ──────
    {S::kClosing, I::kWrite, S::kClosing, A::kRejectClosed},
    {S::kClosing, I::kClose, S::kClosing, A::kIgnore},
    {S::kClosing, I::kAbort, S::kFailed, A::kFailAborted},
    {S::kClosing, I::kPeerData, S::kClosing, A::kDeliverData},
    {S::kClosing, I::kPeerEnd, S::kClosingRemoteEnded, A::kDeliverEnd},
    {S::kClosing, I::kPeerShutdownRead, S::kClosing, A::kDropQueued},
    {S::kClosing, I::kTransportEof, S::kFailed, A::kFailTruncated},
    {S::kClosing, I::kTransportError, S::kFailed, A::kFailReset},
    {S::kClosing, I::kProtocolError, S::kFailed, A::kFailProtocol},
    {S::kClosing, I::kEndTransmitted, S::kCloseWait, A::kNone},
    {S::kClosing, I::kCloseTimeout, S::kFailed, A::kFailTimeout},

    // ── kClosingRemoteEnded: flushing; the peer has already ended ────────
    {S::kClosingRemoteEnded, I::kWrite, S::kClosingRemoteEnded,
     A::kRejectClosed},
    {S::kClosingRemoteEnded, I::kClose, S::kClosingRemoteEnded, A::kIgnore},
    {S::kClosingRemoteEnded, I::kAbort, S::kFailed, A::kFailAborted},
    {S::kClosingRemoteEnded, I::kPeerData, S::kFailed, A::kFailProtocol},
    {S::kClosingRemoteEnded, I::kPeerEnd, S::kClosingRemoteEnded, A::kIgnore},
    {S::kClosingRemoteEnded, I::kPeerShutdownRead, S::kClosingRemoteEnded,
     A::kDropQueued},
    {S::kClosingRemoteEnded, I::kTransportEof, S::kClosingRemoteEnded,
     A::kIgnore},
    {S::kClosingRemoteEnded, I::kTransportError, S::kFailed, A::kFailReset},
    {S::kClosingRemoteEnded, I::kProtocolError, S::kFailed, A::kFailProtocol},
    {S::kClosingRemoteEnded, I::kEndTransmitted, S::kClosed, A::kComplete},
    {S::kClosingRemoteEnded, I::kCloseTimeout, S::kFailed, A::kFailTimeout},

    // ── kCloseWait: our end has left; waiting for the peer's ─────────────
    {S::kCloseWait, I::kWrite, S::kCloseWait, A::kRejectClosed},
    {S::kCloseWait, I::kClose, S::kCloseWait, A::kIgnore},
    {S::kCloseWait, I::kAbort, S::kFailed, A::kFailAborted},
    {S::kCloseWait, I::kPeerData, S::kCloseWait, A::kDeliverData},
    {S::kCloseWait, I::kPeerEnd, S::kClosed, A::kComplete},
    {S::kCloseWait, I::kPeerShutdownRead, S::kCloseWait, A::kIgnore},
    {S::kCloseWait, I::kTransportEof, S::kFailed, A::kFailTruncated},
    {S::kCloseWait, I::kTransportError, S::kFailed, A::kFailReset},
    {S::kCloseWait, I::kProtocolError, S::kFailed, A::kFailProtocol},
    {S::kCloseWait, I::kCloseTimeout, S::kFailed, A::kFailTimeout},

    // ── kClosed: both ended; late transport news changes nothing ─────────
    {S::kClosed, I::kWrite, S::kClosed, A::kRejectClosed},
    {S::kClosed, I::kClose, S::kClosed, A::kIgnore},
    {S::kClosed, I::kAbort, S::kClosed, A::kIgnore},
    {S::kClosed, I::kPeerData, S::kClosed, A::kDiscard},
    {S::kClosed, I::kPeerEnd, S::kClosed, A::kIgnore},
    {S::kClosed, I::kPeerShutdownRead, S::kClosed, A::kIgnore},
    {S::kClosed, I::kTransportEof, S::kClosed, A::kIgnore},
    {S::kClosed, I::kTransportError, S::kClosed, A::kIgnore},
    {S::kClosed, I::kProtocolError, S::kClosed, A::kIgnore},

    // ── kFailed: the first error stays; commands report it ───────────────
    {S::kFailed, I::kWrite, S::kFailed, A::kRejectClosed},
    {S::kFailed, I::kClose, S::kFailed, A::kIgnore},
    {S::kFailed, I::kAbort, S::kFailed, A::kIgnore},
    {S::kFailed, I::kPeerData, S::kFailed, A::kDiscard},
    {S::kFailed, I::kPeerEnd, S::kFailed, A::kIgnore},
    {S::kFailed, I::kPeerShutdownRead, S::kFailed, A::kIgnore},
    {S::kFailed, I::kTransportEof, S::kFailed, A::kIgnore},
    {S::kFailed, I::kTransportError, S::kFailed, A::kIgnore},
    {S::kFailed, I::kProtocolError, S::kFailed, A::kIgnore},
};

}  // namespace

absl::Span<const FlowTransition> FlowTransitionTable() { return kTable; }

std::optional<FlowTransition> FindFlowTransition(FlowState state,
                                                 FlowInput input) {
  for (const FlowTransition& t : kTable) {
    if (t.from == state && t.input == input) return t;
  }
  return std::nullopt;
}

absl::string_view FlowStateName(FlowState state) {
  switch (state) {
    case S::kOpen: return "Open";
    case S::kRemoteEnded: return "RemoteEnded";
    case S::kClosing: return "Closing";
    case S::kClosingRemoteEnded: return "ClosingRemoteEnded";
    case S::kCloseWait: return "CloseWait";
    case S::kClosed: return "Closed";
    case S::kFailed: return "Failed";
  }
  return "?";
}

absl::string_view FlowInputName(FlowInput input) {
  switch (input) {
    case I::kWrite: return "Write";
    case I::kClose: return "Close";
    case I::kAbort: return "Abort";
    case I::kPeerData: return "PeerData";
    case I::kPeerEnd: return "PeerEnd";
    case I::kPeerShutdownRead: return "PeerShutdownRead";
    case I::kTransportEof: return "TransportEof";
    case I::kTransportError: return "TransportError";
    case I::kProtocolError: return "ProtocolError";
    case I::kEndTransmitted: return "EndTransmitted";
    case I::kCloseTimeout: return "CloseTimeout";
  }
  return "?";
}

absl::string_view FlowActionName(FlowAction action) {
  switch (action) {
    case A::kNone: return "None";
    case A::kQueueData: return "QueueData";
    case A::kRejectClosed: return "RejectClosed";
    case A::kQueueEnd: return "QueueEnd";
    case A::kDeliverData: return "DeliverData";
    case A::kDeliverEnd: return "DeliverEnd";
    case A::kDropQueued: return "DropQueued";
    case A::kComplete: return "Complete";
    case A::kIgnore: return "Ignore";
    case A::kDiscard: return "Discard";
    case A::kFailReset: return "FailReset";
    case A::kFailTruncated: return "FailTruncated";
    case A::kFailProtocol: return "FailProtocol";
    case A::kFailTimeout: return "FailTimeout";
    case A::kFailAborted: return "FailAborted";
  }
  return "?";
}

}  // namespace hvsock
