// The flow's state machine: its states, its inputs, and the one table that
// holds every transition.
//
// A flow has two directions. Ours: open, ending (close() called, or the
// peer asked us to stop with ShutdownRead: our end is queued behind pending
// data), then our end is out. Theirs: open, ended (framed ShutdownWrite:
// the peer writes no more but still owes its Close), done (framed Close,
// the transport's EOF after the peer's end, native EOF). The states name
// the combinations that occur, plus the two terminal states:
//
//              ours:  open            ending                 end out
//   theirs open       kOpen           kClosing               kCloseWait
//   theirs ended      kRemoteEnded    kClosingRemoteEnded    kAwaitingPeerClose
//   theirs done       kRemoteClosed   kClosingRemoteClosed   kClosed
//
// The framed close handshake (interoperable with ocaml-hvsock): on close we
// send ShutdownWrite, or Close if the peer has already ended. Once both
// sides have ended we send Close (after our ShutdownWrite, if that went
// first), and the close completes when our Close has left and the peer's
// Close, ShutdownRead or EOF has arrived. So a peer that answers Close with
// Close and a peer that just closes the transport both finish promptly, and
// two hvsock peers never wait on each other. The native codec has no
// "theirs ended" row: the transport's EOF is the peer's whole end.
//
// Any state can fail (reset, truncation, protocol error, timeouts, abort,
// backend misuse) into kFailed; the table says exactly where. The table is
// the specification: flow_state.cc holds it, flow.cc executes it (an action
// never looks at anything but the flow's queues), and flow_state_test.cc
// walks all of it. Reading never changes the state.
//
// Thread-safety: immutable data and pure functions.
#ifndef HVSOCK_CORE_FLOW_STATE_H_
#define HVSOCK_CORE_FLOW_STATE_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock {

enum class FlowState : uint8_t {
  kOpen,                 // both sides may write
  kRemoteEnded,          // framed: peer sent ShutdownWrite; we may write
  kRemoteClosed,         // the peer is done (Close, or EOF); we may write
  kClosing,              // our end is queued behind pending data
  kClosingRemoteEnded,   // framed: our Close is queued; peer has ended
  kClosingRemoteClosed,  // our end is queued; the peer is done
  kCloseWait,            // our end is out; waiting for the peer's end
  kAwaitingPeerClose,    // framed: our Close is out; waiting for the
                         // peer's Close, ShutdownRead or EOF
  kClosed,               // both ended: close completed (terminal)
  kFailed,               // ended abruptly; the error is sticky (terminal)
};
inline constexpr int kFlowStateCount = 10;

enum class FlowInput : uint8_t {
  kWrite,                  // application: write / writev
  kClose,                  // application: close
  kAbort,                  // application: abort
  kPeerData,               // payload bytes arrived
  kPeerShutdownWrite,      // framed: the peer ended its writes
  kPeerClose,              // framed: the peer sent Close (it is done)
  kPeerShutdownRead,       // framed: the peer will read no more
  kPeerEof,                // native: the transport's EOF, the peer's end
  kTransportEof,           // framed: the transport ended
  kTransportError,         // the transport failed with payload still queued
  kTransportErrorFlushed,  // the transport failed; no payload was queued
  kProtocolError,          // the decoder rejected the peer's bytes
  kEndTransmitted,         // everything queued, our end included, has left
                           // (native: the shutdown was handed to the backend)
  kCloseTimeout,           // no progress for the close timeout while closing
  kIdleTimeout,            // no progress for the idle timeout
  kBackendMisuse,          // the backend committed or consumed more than lent
};
inline constexpr int kFlowInputCount = 16;

// What the flow does when a transition fires. A row holds a set of these
// (FlowActions), applied in the order listed here.
enum class FlowAction : uint32_t {
  kNone = 0,
  kQueueData = 1u << 0,          // accept the application's bytes
  kRejectClosed = 1u << 1,       // refuse a write: the write side is closed
  kDropQueued = 1u << 2,         // peer reads no more: drop queued payload
  kQueueEnd = 1u << 3,           // queue our end behind pending data (native
                                 // shutdown, framed ShutdownWrite); arm the
                                 // close timer
  kQueueClose = 1u << 4,         // framed: queue Close behind everything (an
                                 // unsent ShutdownWrite becomes Close);
                                 // native: as kQueueEnd
  kDeliverData = 1u << 5,        // make payload readable
  kDeliverEnd = 1u << 6,         // reads drain, then Eof
  kComplete = 1u << 7,           // close completed
  kIgnore = 1u << 8,             // accepted, no effect (duplicate, late news)
  kDiscard = 1u << 9,            // bytes after the end: counted as dropped
  kFailReset = 1u << 10,         // fail: the transport failed
  kFailTruncated = 1u << 11,     // fail: stream ended without its end marker
  kFailProtocol = 1u << 12,      // fail: the decoder's error
  kFailDataAfterEnd = 1u << 13,  // fail: the peer sent data after its end
  kFailCloseTimeout = 1u << 14,  // fail: close timeout (drops unread data)
  kFailIdleTimeout = 1u << 15,   // fail: idle timeout (drops unread data)
  kFailAborted = 1u << 16,       // fail: application abort (drops all)
  kFailMisuse = 1u << 17,        // fail: the backend broke the seam's contract
};
inline constexpr int kFlowActionCount = 18;
using FlowActions = uint32_t;  // a set of FlowAction bits
constexpr FlowActions Bit(FlowAction action) {
  return static_cast<FlowActions>(action);
}
constexpr bool Has(FlowActions actions, FlowAction action) {
  return (actions & Bit(action)) != 0;
}

struct FlowTransition {
  FlowState from;
  FlowInput input;
  FlowState to;
  FlowActions actions;
};

// Every allowed transition. A (state, input) pair not listed is an
// unexpected input: the flow fails with kUnexpectedInput.
absl::Span<const FlowTransition> FlowTransitionTable();

// The transition for (state, input), or nullopt if the table has none.
std::optional<FlowTransition> FindFlowTransition(FlowState state,
                                                 FlowInput input);

absl::string_view FlowStateName(FlowState state);
absl::string_view FlowInputName(FlowInput input);
// The name of one action bit.
absl::string_view FlowActionName(FlowAction action);

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_STATE_H_
