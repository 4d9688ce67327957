#include "testing/mux_hostile_peer.h"

#include <ostream>

#include "testing/mux_script_peer.h"

namespace hvsock::testing {
namespace {

constexpr uint32_t P = 0xFFFFFFFF;  // the peer connected: its ids count down

std::string Repeat(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

MuxOptions SmallWindow() {
  MuxOptions o;
  o.window = 1024;
  o.quantum = 1024;
  return o;
}

MuxOptions PendingLimit(size_t pending, size_t live) {
  MuxOptions o;
  o.max_pending_opens = pending;
  o.max_live_channels = live;
  return o;
}

MuxOptions FirstId(uint32_t id) {
  MuxOptions o;
  o.first_id = id;
  return o;
}

MuxOptions CloseTimeout(absl::Duration d) {
  MuxOptions o;
  o.close_timeout = d;
  return o;
}

std::vector<std::string> Flood(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(PeerOpenUnix(P - i, "/flood"));
  return out;
}

}  // namespace

const std::vector<MuxHostileCase>& MuxHostileCases() {
  static const auto* cases = new std::vector<MuxHostileCase>{
      {.story = "WellBehavedPeerOpensSendsShutsDown",
       .local_sends = "world",
       .local_closes = true,
       .peer = {PeerOpenUnix(P, "/echo"), PeerWindow(P, 65536),
                PeerData(P, "hello"), PeerShutdown(P)},
       .delivered = "hello",
       .eof = true,
       .accepted = 1,
       .local_sent = {"Window 4294967295 262144", "Data 4294967295 5",
                      "Shutdown 4294967295", "Close 4294967295"},
       .peer_received = "world"},
      {.story = "LateWindowShutdownDataAfterBothClosesAreDropped",
       .peer = {PeerOpenUnix(P, "/a"), PeerData(P, "hi") + PeerClose(P),
                PeerWindow(P, 9) + PeerShutdown(P) + PeerData(P, "late"),
                PeerOpenUnix(P - 1, "/b")},
       .delivered = "hi",
       .eof = true,
       .channel_error = FlowErrorKind::kReset,
       .accepted = 2,
       .min_frames_dropped = 3,
       .local_sent = {"Close 4294967295"}},
      {.story = "LateFramesBetweenThePeersCloseAndOursAreDropped",
       .peer = {PeerOpenUnix(P, "/a"),
                PeerClose(P) + PeerWindow(P, 9) + PeerShutdown(P) +
                    PeerData(P, "late") + PeerOpenUnix(P - 1, "/b")},
       .eof = true,
       .channel_error = FlowErrorKind::kReset,
       .accepted = 2,
       .min_frames_dropped = 3},
      {.story = "DuplicateCloseIsDropped",
       .peer = {PeerOpenUnix(P, "/a"), PeerClose(P), PeerClose(P),
                PeerOpenUnix(P - 1, "/b")},
       .eof = true,
       .channel_error = FlowErrorKind::kReset,
       .accepted = 2,
       .min_frames_dropped = 1,
       .local_sent = {"Close 4294967295"}},
      {.story = "WindowGoingBackwardsIsIgnored",
       .local_opens = 1,
       .local_sends = "0123456789ABCDEF",
       .peer = {PeerWindow(0, 10), PeerWindow(0, 4)},
       .local_not_sent = {"Data 0 16"},
       .peer_received = "0123456789",
       .local_ids = {0}},
      {.story = "ZeroLengthDataIsAcceptedAndIgnored",
       .peer = {PeerOpenUnix(P, "/a"), PeerData(P, ""), PeerData(P, "x"),
                PeerData(P, ""), PeerShutdown(P)},
       .delivered = "x",
       .eof = true,
       .accepted = 1},
      {.story = "DataLengthOverTheMaximumFailsTheConnectionBeforeAllocating",
       .peer = {PeerOpenUnix(P, "/a"), PeerDataHeader(P, 0xFFFFFFF0u)},
       .connection_error = "more than the maximum",
       .channel_error = FlowErrorKind::kProtocol,
       .accepted = 1},
      {.story = "DataBeyondTheWindowFailsOnlyItsChannel",
       .options = SmallWindow(),
       .peer = {PeerOpenUnix(P, "/a"), PeerData(P, Repeat(2000)),
                PeerOpenUnix(P - 1, "/b")},
       .channel_error = FlowErrorKind::kProtocol,
       .accepted = 2,
       .channel_errors = 1,
       .local_sent = {"Close 4294967295"}},
      {.story = "DataBeforeAcceptIsBeyondTheWindowAndRefusesTheChannel",
       .local_accepts = false,
       .peer = {PeerOpenUnix(P, "/a") + PeerData(P, "early") +
                PeerOpenUnix(P - 1, "/b")},
       .accepted = 1,
       .channel_errors = 1,
       .local_sent = {"Close 4294967295"},
       .local_not_sent = {"Window 4294967295 262144"}},
      {.story = "SimultaneousOpensFromBothEndsBothWork",
       .local_opens = 1,
       .local_sends = "x",
       .peer = {PeerOpenUnix(P, "/a") + PeerWindow(0, 100),
                PeerData(P, "from peer")},
       .accepted = 1,
       .local_sent = {"Window 4294967295 262144"},
       .peer_received = "x",
       .local_ids = {0}},
      {.story = "OpenOfALiveIdFailsTheConnection",
       .local_opens = 1,
       .peer = {PeerOpenUnix(0, "/dup")},
       .connection_error = "which is in use",
       .channel_error = FlowErrorKind::kProtocol,
       .local_ids = {0}},
      {.story = "IdsWrapFrom0xFFFFFFFFTo0",
       .options = FirstId(0xFFFFFFFEu),
       .local_opens = 3,
       .local_ids = {0xFFFFFFFEu, 0xFFFFFFFFu, 0}},
      {.story = "DedicatedOpenIsRefusedWithClose",
       .peer = {PeerOpenRaw(P, 1, 3, "/legacy"), PeerOpenUnix(P - 1, "/b")},
       .accepted = 1,
       .opens_refused = 1,
       .local_sent = {"Close 4294967295"}},
      {.story = "UnknownProtocolOpenIsRefusedWithClose",
       .peer = {PeerOpenRaw(P, 2, 9, "??"), PeerOpenUnix(P - 1, "/b")},
       .accepted = 1,
       .opens_refused = 1,
       .local_sent = {"Close 4294967295"}},
      {.story = "BadMagicSaysItIsNotAMultiplexer",
       .peer = {"GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
       .raw_preamble = true,
       .connection_error = "not a multiplexer"},
      {.story = "EofDuringThePreamble",
       .local_opens = 1,
       .peer = {"https://github.com/moby/vpnkit"},
       .raw_preamble = true,
       .peer_ends = true,
       .connection_error = "during the multiplexer preamble",
       .channel_error = FlowErrorKind::kTruncated,
       .local_ids = {0}},
      {.story = "OpenFloodPastThePendingLimitIsRefusedWithClose",
       .options = PendingLimit(4, 100),
       .local_accepts = false,
       .peer = Flood(10),
       .accepted = 4,
       .opens_refused = 6,
       .local_sent = {"Close 4294967291", "Close 4294967286"},
       .local_not_sent = {"Close 4294967295"}},
      {.story = "OpenFloodThatNeverAnswersCloseFailsTheConnection",
       .options = PendingLimit(2, 4),
       .local_accepts = false,
       .peer = Flood(20),
       .connection_error = "channel ids in use",
       .accepted = 2,
       .opens_refused = 4},
      {.story = "PeerThatNeverGrantsCreditEndsInCloseTimeout",
       .options = CloseTimeout(absl::Seconds(5)),
       .local_opens = 1,
       .local_sends = "stuck",
       .local_closes = true,
       .then_wait = absl::Seconds(6),
       .channel_error = FlowErrorKind::kCloseTimeout,
       .local_sent = {"Close 0"},
       .local_not_sent = {"Data 0 5", "Shutdown 0"},
       .local_ids = {0}},
      {.story = "UnknownCommandFailsTheConnectionNamingIt",
       .peer = {PeerRawHeader(7, 9, 1)},
       .connection_error = "unknown command 9"},
      {.story = "HdrlenNotMatchingTheCommandFailsTheConnection",
       .peer = {PeerRawHeader(9, kPeerClose, 1) + std::string(2, '\0')},
       .connection_error = "hdrlen 9"},
      {.story = "DataAfterThePeersShutdownFailsOnlyItsChannel",
       .peer = {PeerOpenUnix(P, "/a"), PeerData(P, "a"),
                PeerShutdown(P) + PeerData(P, "b"), PeerOpenUnix(P - 1, "/b")},
       .delivered = "a",
       .eof = true,
       .channel_error = FlowErrorKind::kProtocol,
       .accepted = 2,
       .channel_errors = 1},
      {.story = "DataForAnUnknownIdIsDroppedWithItsPayloadConsumed",
       .peer = {PeerData(1234, PeerClose(5) + PeerRawHeader(7, 9, 9)),
                PeerOpenUnix(P, "/a"), PeerData(P, "in sync")},
       .delivered = "in sync",
       .accepted = 1,
       .min_frames_dropped = 1},
      {.story = "OpenAnsweredWithCloseIsARefusalNotAnEmptyStream",
       .local_opens = 1,
       .local_sends = "never delivered",
       .peer = {PeerClose(0)},
       .channel_error = FlowErrorKind::kReset,
       .local_sent = {"Close 0"},
       .local_ids = {0}},
      {.story = "PeerClosesWhileOurDataIsQueued",
       .local_opens = 1,
       .local_sends = "never delivered",
       .peer = {PeerWindow(0, 4), PeerData(0, "bye") + PeerClose(0)},
       .delivered = "bye",
       .eof = true,
       .channel_error = FlowErrorKind::kReset,
       .local_sent = {"Close 0"},
       .peer_received = "neve",
       .local_ids = {0}},
      {.story = "TransportEndsInTheMiddleOfAFrame",
       .peer = {PeerOpenUnix(P, "/a"), PeerDataHeader(P, 10) + "abc"},
       .peer_ends = true,
       .connection_error = "middle of a frame",
       .delivered = "abc",
       .channel_error = FlowErrorKind::kTruncated,
       .accepted = 1},
  };
  return *cases;
}

void PrintTo(const MuxHostileCase& c, std::ostream* os) { *os << c.story; }

}  // namespace hvsock::testing
