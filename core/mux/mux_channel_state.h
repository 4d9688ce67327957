// The wire-level state of one multiplexer channel, its inputs, and the one
// table that holds every transition.
//
// This is the channel as the vpnkit wire protocol sees it: Open, Window,
// Data, Shutdown (half-close of one direction), Close (the channel is
// finished; its id is free once Close has been both sent and received).
// The channel's byte stream itself (buffers, the application's close, the
// close timeout) is a Flow with the native codec (core/flow.h): the
// connection feeds the flow the peer's Data and Shutdown and turns the
// flow's output into Data and Shutdown frames. This table decides which
// frames may be sent and what a received frame means in each state, so
// that nothing is ever sent on an id after its Close and a late or repeated
// frame from the peer is dropped instead of breaking the stream.
//
//   local Open ──► kOpening ──peer Window/Data──► kOpen
//   peer Open ───► kAwaitingAccept ──Accept──► kOpen      (Refuse: Close)
//   kOpen ──send Shutdown──► kLocalShutdown ──peer Shutdown──► kBothShutdown
//   kOpen ──peer Shutdown──► kRemoteShutdown ──send Shutdown─► kBothShutdown
//   any live state ──send Close──► kCloseSent ──peer Close──► kFreed
//   any live state ──peer Close──► kCloseReceived ──send Close──► kFreed
//
// Peer inputs are allowed in every state (the table says whether they are
// delivered, dropped as late, or fail the channel). A local input that the
// table does not list is a bug in the connection, which reports it naming
// the state and the input.
//
// Thread-safety: immutable data and pure functions.
#ifndef HVSOCK_CORE_MUX_MUX_CHANNEL_STATE_H_
#define HVSOCK_CORE_MUX_MUX_CHANNEL_STATE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock {

enum class MuxChannelState {
  kOpening,         // we sent Open; the peer has not answered yet
  kAwaitingAccept,  // the peer sent Open; the application has not accepted
  kAwaitingAcceptRemoteShutdown,  // ... and the peer already sent Shutdown
  kOpen,                          // both directions open
  kLocalShutdown,                 // we sent Shutdown
  kRemoteShutdown,                // the peer sent Shutdown
  kBothShutdown,                  // both sent Shutdown; Close not yet exchanged
  kCloseSent,                     // we sent Close; waiting for the peer's
  kCloseReceived,                 // the peer sent Close; ours not yet sent
  kFreed,  // Close both sent and received: the id is free
};
inline constexpr int kMuxChannelStateCount = 10;

enum class MuxChannelInput {
  // From the peer.
  kPeerWindow,
  kPeerData,
  kPeerShutdown,
  kPeerClose,
  // From this side (a frame about to be sent, or an application decision).
  kAccept,  // the application accepts the peer's Open
  kRefuse,  // the application (or a limit) refuses it: Close
  kSendWindow,
  kSendData,
  kSendShutdown,
  kSendClose,
};
inline constexpr int kMuxChannelInputCount = 10;

enum class MuxChannelAction {
  kSend,         // emit the frame (local inputs)
  kSuppress,     // do not emit: pointless or forbidden now (e.g. a Window
                 // after Close), not an error
  kGrant,        // accepted: send the first Window
  kCredit,       // the peer's Window raises our send credit
  kDeliver,      // payload goes to the channel's flow (window checked)
  kDeliverEnd,   // the peer's Shutdown: the flow's reads end after drain
  kPeerClosed,   // the peer's Close: reads end (drain, then Eof; from
                 // kOpening it is a refusal: an error); unsent data is lost
  kFailChannel,  // the peer broke the protocol on this channel only
  kDropLate,     // a frame after Close (or a repeated one): dropped,
                 // payload consumed, counted
  kIgnore,       // a harmless repeat (a second Shutdown): counted
  kFree,         // both Closes done: the id is free
};

struct MuxChannelTransition {
  MuxChannelState from;
  MuxChannelInput input;
  MuxChannelState to;
  MuxChannelAction action;
};

absl::Span<const MuxChannelTransition> MuxChannelTransitionTable();
std::optional<MuxChannelTransition> FindMuxChannelTransition(
    MuxChannelState state, MuxChannelInput input);

absl::string_view MuxChannelStateName(MuxChannelState state);
absl::string_view MuxChannelInputName(MuxChannelInput input);
absl::string_view MuxChannelActionName(MuxChannelAction action);

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_CHANNEL_STATE_H_
