#include "core/mux/mux_channel_state.h"

#include "core/transition_index.h"

namespace hvsock {
namespace {

using S = MuxChannelState;
using I = MuxChannelInput;
using A = MuxChannelAction;

// The whole table. Grouped by state; peer inputs first, then local ones.
constexpr MuxChannelTransition kTable[] = {
    // ── kOpening: our Open is out; the first Window (or Data) answers it ──
    {S::kOpening, I::kPeerWindow, S::kOpen, A::kCredit},
    {S::kOpening, I::kPeerData, S::kOpen, A::kDeliver},
    {S::kOpening, I::kPeerShutdown, S::kRemoteShutdown, A::kDeliverEnd},
    {S::kOpening, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kOpening, I::kSendWindow, S::kOpening, A::kSend},
    {S::kOpening, I::kSendShutdown, S::kLocalShutdown, A::kSend},
    {S::kOpening, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kAwaitingAccept: the peer's Open waits for the application ───────
    // We have granted nothing: any Data with a payload is beyond the window
    // (the connection checks before delivering).
    {S::kAwaitingAccept, I::kPeerWindow, S::kAwaitingAccept, A::kCredit},
    {S::kAwaitingAccept, I::kPeerData, S::kAwaitingAccept, A::kDeliver},
    {S::kAwaitingAccept, I::kPeerShutdown, S::kAwaitingAcceptRemoteShutdown,
     A::kDeliverEnd},
    {S::kAwaitingAccept, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kAwaitingAccept, I::kAccept, S::kOpen, A::kGrant},
    {S::kAwaitingAccept, I::kRefuse, S::kCloseSent, A::kSend},
    {S::kAwaitingAccept, I::kSendClose, S::kCloseSent, A::kSend},

    {S::kAwaitingAcceptRemoteShutdown, I::kPeerWindow,
     S::kAwaitingAcceptRemoteShutdown, A::kCredit},
    {S::kAwaitingAcceptRemoteShutdown, I::kPeerData,
     S::kAwaitingAcceptRemoteShutdown, A::kFailChannel},
    {S::kAwaitingAcceptRemoteShutdown, I::kPeerShutdown,
     S::kAwaitingAcceptRemoteShutdown, A::kIgnore},
    {S::kAwaitingAcceptRemoteShutdown, I::kPeerClose, S::kCloseReceived,
     A::kPeerClosed},
    {S::kAwaitingAcceptRemoteShutdown, I::kAccept, S::kRemoteShutdown,
     A::kGrant},
    {S::kAwaitingAcceptRemoteShutdown, I::kRefuse, S::kCloseSent, A::kSend},
    {S::kAwaitingAcceptRemoteShutdown, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kOpen ────────────────────────────────────────────────────────────
    {S::kOpen, I::kPeerWindow, S::kOpen, A::kCredit},
    {S::kOpen, I::kPeerData, S::kOpen, A::kDeliver},
    {S::kOpen, I::kPeerShutdown, S::kRemoteShutdown, A::kDeliverEnd},
    {S::kOpen, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kOpen, I::kSendWindow, S::kOpen, A::kSend},
    {S::kOpen, I::kSendData, S::kOpen, A::kSend},
    {S::kOpen, I::kSendShutdown, S::kLocalShutdown, A::kSend},
    {S::kOpen, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kLocalShutdown: we write no more; the peer still may ─────────────
    {S::kLocalShutdown, I::kPeerWindow, S::kLocalShutdown, A::kCredit},
    {S::kLocalShutdown, I::kPeerData, S::kLocalShutdown, A::kDeliver},
    {S::kLocalShutdown, I::kPeerShutdown, S::kBothShutdown, A::kDeliverEnd},
    {S::kLocalShutdown, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kLocalShutdown, I::kSendWindow, S::kLocalShutdown, A::kSend},
    {S::kLocalShutdown, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kRemoteShutdown: the peer writes no more; we still may ───────────
    {S::kRemoteShutdown, I::kPeerWindow, S::kRemoteShutdown, A::kCredit},
    {S::kRemoteShutdown, I::kPeerData, S::kRemoteShutdown, A::kFailChannel},
    {S::kRemoteShutdown, I::kPeerShutdown, S::kRemoteShutdown, A::kIgnore},
    {S::kRemoteShutdown, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kRemoteShutdown, I::kSendWindow, S::kRemoteShutdown, A::kSuppress},
    {S::kRemoteShutdown, I::kSendData, S::kRemoteShutdown, A::kSend},
    {S::kRemoteShutdown, I::kSendShutdown, S::kBothShutdown, A::kSend},
    {S::kRemoteShutdown, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kBothShutdown: only the Close exchange is left ───────────────────
    {S::kBothShutdown, I::kPeerWindow, S::kBothShutdown, A::kCredit},
    {S::kBothShutdown, I::kPeerData, S::kBothShutdown, A::kFailChannel},
    {S::kBothShutdown, I::kPeerShutdown, S::kBothShutdown, A::kIgnore},
    {S::kBothShutdown, I::kPeerClose, S::kCloseReceived, A::kPeerClosed},
    {S::kBothShutdown, I::kSendWindow, S::kBothShutdown, A::kSuppress},
    {S::kBothShutdown, I::kSendClose, S::kCloseSent, A::kSend},

    // ── kCloseSent: nothing more leaves on this id, ever ─────────────────
    {S::kCloseSent, I::kPeerWindow, S::kCloseSent, A::kDropLate},
    {S::kCloseSent, I::kPeerData, S::kCloseSent, A::kDropLate},
    {S::kCloseSent, I::kPeerShutdown, S::kCloseSent, A::kDropLate},
    {S::kCloseSent, I::kPeerClose, S::kFreed, A::kFree},
    {S::kCloseSent, I::kSendWindow, S::kCloseSent, A::kSuppress},
    {S::kCloseSent, I::kSendData, S::kCloseSent, A::kSuppress},
    {S::kCloseSent, I::kSendShutdown, S::kCloseSent, A::kSuppress},
    {S::kCloseSent, I::kSendClose, S::kCloseSent, A::kSuppress},
    {S::kCloseSent, I::kRefuse, S::kCloseSent, A::kSuppress},

    // ── kCloseReceived: the peer is done; our Close frees the id ─────────
    {S::kCloseReceived, I::kPeerWindow, S::kCloseReceived, A::kDropLate},
    {S::kCloseReceived, I::kPeerData, S::kCloseReceived, A::kDropLate},
    {S::kCloseReceived, I::kPeerShutdown, S::kCloseReceived, A::kDropLate},
    {S::kCloseReceived, I::kPeerClose, S::kCloseReceived, A::kDropLate},
    {S::kCloseReceived, I::kSendWindow, S::kCloseReceived, A::kSuppress},
    {S::kCloseReceived, I::kSendData, S::kCloseReceived, A::kSuppress},
    {S::kCloseReceived, I::kSendShutdown, S::kCloseReceived, A::kSuppress},
    {S::kCloseReceived, I::kRefuse, S::kFreed, A::kFree},
    {S::kCloseReceived, I::kSendClose, S::kFreed, A::kFree},

    // ── kFreed: the id is no longer this channel's ───────────────────────
    {S::kFreed, I::kPeerWindow, S::kFreed, A::kDropLate},
    {S::kFreed, I::kPeerData, S::kFreed, A::kDropLate},
    {S::kFreed, I::kPeerShutdown, S::kFreed, A::kDropLate},
    {S::kFreed, I::kPeerClose, S::kFreed, A::kDropLate},
    {S::kFreed, I::kSendWindow, S::kFreed, A::kSuppress},
    {S::kFreed, I::kSendData, S::kFreed, A::kSuppress},
    {S::kFreed, I::kSendShutdown, S::kFreed, A::kSuppress},
    {S::kFreed, I::kSendClose, S::kFreed, A::kSuppress},
    {S::kFreed, I::kRefuse, S::kFreed, A::kSuppress},
};

}  // namespace

absl::Span<const MuxChannelTransition> MuxChannelTransitionTable() {
  return kTable;
}

namespace {

constexpr TransitionIndex<kMuxChannelStateCount, kMuxChannelInputCount>
    kTransitionIndex(kTable);

}  // namespace

std::optional<MuxChannelTransition> FindMuxChannelTransition(
    MuxChannelState state, MuxChannelInput input) {
  const int row = kTransitionIndex.Find(state, input);
  if (row < 0) return std::nullopt;
  return kTable[row];
}

absl::string_view MuxChannelStateName(MuxChannelState state) {
  switch (state) {
    case S::kOpening:
      return "Opening";
    case S::kAwaitingAccept:
      return "AwaitingAccept";
    case S::kAwaitingAcceptRemoteShutdown:
      return "AwaitingAcceptRemoteShutdown";
    case S::kOpen:
      return "Open";
    case S::kLocalShutdown:
      return "LocalShutdown";
    case S::kRemoteShutdown:
      return "RemoteShutdown";
    case S::kBothShutdown:
      return "BothShutdown";
    case S::kCloseSent:
      return "CloseSent";
    case S::kCloseReceived:
      return "CloseReceived";
    case S::kFreed:
      return "Freed";
  }
  return "?";
}

absl::string_view MuxChannelInputName(MuxChannelInput input) {
  switch (input) {
    case I::kPeerWindow:
      return "PeerWindow";
    case I::kPeerData:
      return "PeerData";
    case I::kPeerShutdown:
      return "PeerShutdown";
    case I::kPeerClose:
      return "PeerClose";
    case I::kAccept:
      return "Accept";
    case I::kRefuse:
      return "Refuse";
    case I::kSendWindow:
      return "SendWindow";
    case I::kSendData:
      return "SendData";
    case I::kSendShutdown:
      return "SendShutdown";
    case I::kSendClose:
      return "SendClose";
  }
  return "?";
}

absl::string_view MuxChannelActionName(MuxChannelAction action) {
  switch (action) {
    case A::kSend:
      return "Send";
    case A::kSuppress:
      return "Suppress";
    case A::kGrant:
      return "Grant";
    case A::kCredit:
      return "Credit";
    case A::kDeliver:
      return "Deliver";
    case A::kDeliverEnd:
      return "DeliverEnd";
    case A::kPeerClosed:
      return "PeerClosed";
    case A::kFailChannel:
      return "FailChannel";
    case A::kDropLate:
      return "DropLate";
    case A::kIgnore:
      return "Ignore";
    case A::kFree:
      return "Free";
  }
  return "?";
}

}  // namespace hvsock
