// The flow's state machine: its states, its inputs, and the one table that
// holds every transition.
//
// A flow has a local write side and a remote write side; each is open,
// ending (local only: close() called, end signal not yet transmitted) or
// ended. The states name the combinations that can occur, plus the two
// terminal states. Reads are not inputs: reading never changes the state.
//
//   kOpen ──Close──► kClosing ──EndTransmitted──► kCloseWait ──PeerEnd──► kClosed
//     │                 │                                                   ▲
//   PeerEnd          PeerEnd                                                │
//     ▼                 ▼                                                   │
//   kRemoteEnded ─Close─► kClosingRemoteEnded ──────EndTransmitted──────────┘
//
// Any state can fail (reset, truncation, protocol error, close timeout,
// abort) into kFailed; the table says exactly where. The table is the
// specification: flow_state.cc holds it, flow.cc executes it, and
// flow_state_test.cc walks all of it.
//
// Thread-safety: immutable data and pure functions.
#ifndef HVSOCK_CORE_FLOW_STATE_H_
#define HVSOCK_CORE_FLOW_STATE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock {

enum class FlowState {
  kOpen,                 // both sides may write
  kRemoteEnded,          // peer ended its writes; we may still write
  kClosing,              // close() called; flushing data and end signal
  kClosingRemoteEnded,   // close() called, flushing; peer already ended
  kCloseWait,            // our end is transmitted; waiting for the peer's
  kClosed,               // both ended: close completed (terminal)
  kFailed,               // ended abruptly; the error is sticky (terminal)
};
inline constexpr int kFlowStateCount = 7;

enum class FlowInput {
  kWrite,             // application: write / writev
  kClose,             // application: close
  kAbort,             // application: abort
  kPeerData,          // payload bytes arrived
  kPeerEnd,           // peer ended its writes (ShutdownWrite, Close, or
                      // native transport EOF)
  kPeerShutdownRead,  // framed: peer will read no more
  kTransportEof,      // framed: the transport ended (marker or not)
  kTransportError,    // the transport failed
  kProtocolError,     // the decoder rejected the peer's bytes
  kEndTransmitted,    // our end signal has fully left (native: shutdown
                      // handed to the backend)
  kCloseTimeout,      // the close deadline passed
};
inline constexpr int kFlowInputCount = 11;

// What the flow does when a transition fires.
enum class FlowAction {
  kNone,             // nothing beyond the state change
  kQueueData,        // accept the application's bytes
  kRejectClosed,     // refuse a write with kClosed (state unchanged)
  kQueueEnd,         // queue the end signal behind pending data; arm timer
  kDeliverData,      // make payload readable
  kDeliverEnd,       // remember the peer's end: reads drain, then Eof
  kDropQueued,       // peer reads no more: drop queued data, count it
  kComplete,         // close completed
  kIgnore,           // accepted, no effect (duplicate close, late EOF...)
  kDiscard,          // bytes after completion: counted as dropped
  kFailReset,        // fail: transport error
  kFailTruncated,    // fail: stream ended without the end marker
  kFailProtocol,     // fail: the peer broke the protocol
  kFailTimeout,      // fail: close timeout (drops unread data)
  kFailAborted,      // fail: application abort (drops everything)
};

struct FlowTransition {
  FlowState from;
  FlowInput input;
  FlowState to;
  FlowAction action;
};

// Every allowed transition. A (state, input) pair not listed is an
// unexpected input.
absl::Span<const FlowTransition> FlowTransitionTable();

// The transition for (state, input), or nullopt if the table has none.
std::optional<FlowTransition> FindFlowTransition(FlowState state,
                                                 FlowInput input);

absl::string_view FlowStateName(FlowState state);
absl::string_view FlowInputName(FlowInput input);
absl::string_view FlowActionName(FlowAction action);

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_STATE_H_
