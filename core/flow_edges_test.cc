// The edges of the flow contract that the stories in flow_test.cc do not
// reach: a peer that ends and hangs up while our close still flushes, empty
// Data after the peer's end, errors that stay through backend misuse, the
// native shutdown's exact moment, bytes after the end, Writev's
// all-or-nothing, the send limit at its boundary, what a close timeout does
// to unread data, and which end marker a close sends. One flow, driven by
// hand; the peer is the test.
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"
#include "testing/scripted_app.h"

namespace hvsock {
namespace {

const absl::Time kStart = absl::UnixEpoch();

Flow MakeFlow(Codec codec, size_t send_limit = 256 * 1024) {
  FlowOptions options;
  options.codec = codec;
  options.send_limit = send_limit;
  options.close_timeout = absl::Seconds(10);
  return Flow::Create(options).value();
}

// What the flow exposes to send now (sealing it), without sending it.
std::string Exposed(Flow& flow) {
  std::vector<absl::string_view> spans(1024);
  std::string wire;
  size_t count = flow.PeekTransmit(absl::MakeSpan(spans));
  for (size_t i = 0; i < count; ++i) {
    wire.append(spans[i].data(), spans[i].size());
  }
  return wire;
}

// Sends everything the flow has to send; returns the wire bytes.
std::string SendAll(Flow& flow) {
  std::string wire = Exposed(flow);
  flow.ConsumeTransmitted(wire.size());
  return wire;
}

std::vector<FlowEvent> Events(Flow& flow) {
  std::vector<FlowEvent> events;
  while (std::optional<FlowEvent> event = flow.PollEvent()) {
    events.push_back(*event);
  }
  return events;
}

bool Has(const std::vector<FlowEvent>& events, FlowEvent wanted) {
  for (FlowEvent event : events) {
    if (event == wanted) return true;
  }
  return false;
}

// The bytes read until Eof, an error or WouldBlock, and what ended them.
testing::ReadLog Drain(Flow& flow) {
  testing::ReadLog drained;
  testing::ReadAvailable(flow, drained);
  return drained;
}

void Receive(Flow& flow, const std::string& bytes) {
  ASSERT_EQ(flow.HandleReceived(bytes), bytes.size());
}

// The peer's end: framed ShutdownWrite, native EOF.
void PeerEnds(Flow& flow, Codec codec) {
  if (codec == Codec::kFramed) {
    Receive(flow, FrameHeader(kFrameShutdownWrite));
  } else {
    flow.HandleTransportEof();
  }
}

class EdgesBothCodecs : public ::testing::TestWithParam<Codec> {};
INSTANTIATE_TEST_SUITE_P(FlowEdges, EdgesBothCodecs,
                         ::testing::Values(Codec::kNative, Codec::kFramed),
                         [](const auto& info) {
                           return std::string(CodecName(info.param));
                         });

// ── A framed peer that ends, then hangs up, while our close flushes ──────

TEST(FlowEdgesFramed, EofAfterThePeersEndWhileOurCloseFlushesCompletesCleanly) {
  Flow flow = MakeFlow(Codec::kFramed);
  ASSERT_TRUE(flow.Write(std::string(10'000, 'o')).ok());
  Receive(flow, FrameHeader(3) + "abc" + FrameHeader(kFrameShutdownWrite));
  ASSERT_TRUE(flow.Close(kStart).ok());
  // The peer hangs up before our data (and our Close) has left.
  flow.HandleTransportEof();
  EXPECT_FALSE(flow.IsFinished());
  EXPECT_TRUE(flow.error().ok()) << flow.error();
  // Our close completes once our last byte, the Close, has left.
  std::string wire = SendAll(flow);
  EXPECT_EQ(wire.substr(wire.size() - 4), FrameHeader(kFrameClose));
  EXPECT_EQ(flow.state(), FlowState::kClosed);
  EXPECT_TRUE(Has(Events(flow), FlowEvent::kCloseCompleted));
  testing::ReadLog drained = Drain(flow);
  EXPECT_EQ(drained.received, "abc");
  EXPECT_TRUE(drained.eof);
}

TEST(FlowEdgesFramed, EofBeforeThePeersEndIsStillATruncationWhileClosing) {
  Flow flow = MakeFlow(Codec::kFramed);
  ASSERT_TRUE(flow.Write(std::string(100, 'o')).ok());
  ASSERT_TRUE(flow.Close(kStart).ok());
  flow.HandleTransportEof();
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kTruncated));
}

// ── Zero-length Data after the peer's end ───────────────────────────────

TEST(FlowEdgesFramed, EmptyDataAfterThePeersEndIsIgnoredWithoutAnEvent) {
  for (uint32_t end : {kFrameShutdownWrite, kFrameClose}) {
    Flow flow = MakeFlow(Codec::kFramed);
    Receive(flow, FrameHeader(2) + "hi" + FrameHeader(end));
    Events(flow);
    const FlowState before = flow.state();
    Receive(flow, FrameHeader(0) + FrameHeader(0));
    EXPECT_TRUE(flow.error().ok()) << flow.error();
    EXPECT_EQ(flow.state(), before);
    EXPECT_TRUE(Events(flow).empty());
    testing::ReadLog drained = Drain(flow);
    EXPECT_EQ(drained.received, "hi");
    EXPECT_TRUE(drained.eof);
    // One byte of Data after the end is the protocol error it always was.
    Receive(flow, FrameHeader(1) + "x");
    EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kProtocol));
  }
}

// ── Errors stay sticky through backend misuse ───────────────────────────

TEST_P(EdgesBothCodecs, AFailedFlowKeepsItsErrorThroughBackendMisuse) {
  Flow flow = MakeFlow(GetParam());
  ASSERT_TRUE(flow.Write(absl::string_view("queued")).ok());
  Receive(flow, GetParam() == Codec::kFramed ? FrameHeader(4) + "data"
                                             : std::string("data"));
  flow.HandleTransportError(absl::UnavailableError("ECONNRESET"));
  ASSERT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kReset));
  Events(flow);

  flow.ConsumeTransmitted(1000);  // nothing was handed out
  absl::Span<char> space = flow.ReceiveSpace();
  flow.CommitReceived(space.size() + 1);  // more than was lent

  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kReset)) << flow.error();
  EXPECT_TRUE(Events(flow).empty());
  testing::ReadLog drained = Drain(flow);
  EXPECT_EQ(drained.received, "data");  // what came before the reset stays
  EXPECT_TRUE(IsFlowError(drained.read_error, FlowErrorKind::kReset));
  EXPECT_TRUE(
      IsFlowError(flow.Write(absl::string_view("x")), FlowErrorKind::kReset));
  EXPECT_TRUE(IsFlowError(flow.Close(kStart), FlowErrorKind::kReset));
}

TEST_P(EdgesBothCodecs, MisuseFailsALiveFlowButNotAClosedOne) {
  Flow live = MakeFlow(GetParam());
  absl::Span<char> space = live.ReceiveSpace();
  live.CommitReceived(space.size() + 1);
  EXPECT_TRUE(IsFlowError(live.error(), FlowErrorKind::kUnexpectedInput));
  EXPECT_NE(live.error().message().find("committed"), std::string::npos);

  Flow closed = MakeFlow(GetParam());
  ASSERT_TRUE(closed.Close(kStart).ok());
  SendAll(closed);
  closed.PollShutdownWrite();
  PeerEnds(closed, GetParam());
  if (GetParam() == Codec::kFramed) {
    SendAll(closed);  // our Close
    Receive(closed, FrameHeader(kFrameClose));
  }
  ASSERT_EQ(closed.state(), FlowState::kClosed);
  closed.ConsumeTransmitted(5);
  EXPECT_EQ(closed.state(), FlowState::kClosed);
  EXPECT_TRUE(closed.error().ok());
}

// ── Native: the shutdown waits for the last byte ────────────────────────

TEST(FlowEdgesNative, ShutdownIsWantedRightAfterTheLastByteAndOnlyOnce) {
  Flow flow = MakeFlow(Codec::kNative);
  ASSERT_TRUE(flow.Write(std::string(100, 'n')).ok());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_FALSE(flow.WantsShutdownWrite());
  std::string wire = Exposed(flow);
  ASSERT_EQ(wire.size(), 100u);
  flow.ConsumeTransmitted(99);
  EXPECT_FALSE(flow.WantsShutdownWrite());
  EXPECT_FALSE(flow.PollShutdownWrite());
  flow.ConsumeTransmitted(1);
  EXPECT_TRUE(flow.WantsShutdownWrite());
  EXPECT_TRUE(flow.WantsShutdownWrite());  // a query changes nothing
  EXPECT_TRUE(flow.PollShutdownWrite());
  EXPECT_FALSE(flow.PollShutdownWrite());
  EXPECT_FALSE(flow.WantsShutdownWrite());
}

TEST(FlowEdgesNative, ShutdownIsNotWantedBeforeCloseNorAfterAFailure) {
  Flow flow = MakeFlow(Codec::kNative);
  EXPECT_FALSE(flow.WantsShutdownWrite());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_TRUE(flow.WantsShutdownWrite());  // nothing was queued
  flow.Abort();
  EXPECT_FALSE(flow.WantsShutdownWrite());
  EXPECT_FALSE(flow.PollShutdownWrite());
}

// ── Bytes after the end are dropped and counted, both codecs ────────────

TEST_P(EdgesBothCodecs, BytesCommittedAfterAFailureAreCounted) {
  Flow flow = MakeFlow(GetParam());
  absl::Span<char> space = flow.ReceiveSpace();  // a read in flight
  ASSERT_GE(space.size(), 10u);
  flow.HandleTransportError(absl::UnavailableError("ECONNRESET"));
  std::string late = GetParam() == Codec::kFramed ? FrameHeader(6) + "late!!"
                                                  : std::string("late bytes");
  late.copy(space.data(), late.size());
  flow.CommitReceived(late.size());
  EXPECT_EQ(flow.stats().bytes_dropped, late.size());
  EXPECT_EQ(flow.stats().bytes_in, 0u);
  EXPECT_EQ(flow.stats().wire_bytes_in, late.size());
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kReset));
}

TEST_P(EdgesBothCodecs, BytesCommittedAfterACleanCloseAreCounted) {
  Flow flow = MakeFlow(GetParam());
  ASSERT_TRUE(flow.Close(kStart).ok());
  SendAll(flow);
  flow.PollShutdownWrite();
  if (GetParam() == Codec::kFramed) Receive(flow, FrameHeader(kFrameClose));
  absl::Span<char> space = flow.ReceiveSpace();  // a read in flight
  ASSERT_GE(space.size(), 4u);
  if (GetParam() == Codec::kFramed) {
    SendAll(flow);  // our Close
  } else {
    flow.HandleTransportEof();
  }
  ASSERT_EQ(flow.state(), FlowState::kClosed);
  std::string("late").copy(space.data(), 4);
  flow.CommitReceived(4);
  EXPECT_EQ(flow.stats().bytes_dropped, 4u);
  EXPECT_EQ(flow.state(), FlowState::kClosed);
  EXPECT_TRUE(flow.error().ok());
}

TEST(FlowEdgesFramed, BytesBehindThePeersLastCloseAreCounted) {
  Flow flow = MakeFlow(Codec::kFramed);
  Receive(flow, FrameHeader(kFrameShutdownWrite));
  ASSERT_TRUE(flow.Close(kStart).ok());
  SendAll(flow);  // our Close: now only the peer's Close is awaited
  Receive(flow, FrameHeader(kFrameClose) + "behind");
  EXPECT_EQ(flow.state(), FlowState::kClosed);
  EXPECT_EQ(flow.stats().bytes_dropped, 6u);
}

TEST(FlowEdgesFramed, BytesBehindAProtocolErrorAreCounted) {
  Flow flow = MakeFlow(Codec::kFramed);
  std::string chunk =
      FrameHeader(2) + "ok" + FrameHeader(0x7fffffff) + "behind the error";
  Receive(flow, chunk);
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kProtocol));
  EXPECT_EQ(flow.stats().bytes_in, 2u);
  EXPECT_EQ(flow.stats().bytes_dropped, std::string("behind the error").size());
}

// ── Writev: all or nothing ──────────────────────────────────────────────

TEST_P(EdgesBothCodecs, WritevBelowTheLimitTakesEveryBufferEvenPastIt) {
  Flow flow = MakeFlow(GetParam(), /*send_limit=*/100);
  ASSERT_TRUE(flow.Write(std::string(99, 'a')).ok());
  std::vector<absl::Cord> buffers = {absl::Cord(std::string(600, 'b')),
                                     absl::Cord("c"),
                                     absl::Cord(std::string(50, 'd'))};
  ASSERT_TRUE(flow.Writev(absl::MakeSpan(buffers)).ok());
  EXPECT_EQ(flow.stats().send_queued, 99u + 600u + 1u + 50u);
}

// At the send limit (kWouldBlock) or after close (kClosed), nothing is
// taken and the caller's buffers are as they were.
TEST_P(EdgesBothCodecs, ARefusedWritevTakesNothingAndLeavesTheBuffers) {
  for (bool closed : {false, true}) {
    Flow flow = MakeFlow(GetParam(), /*send_limit=*/100);
    ASSERT_TRUE(flow.Write(std::string(100, 'a')).ok());
    if (closed) {
      ASSERT_TRUE(flow.Close(kStart).ok());
    }
    std::vector<absl::Cord> buffers = {absl::Cord(std::string(600, 'b')),
                                       absl::Cord("c")};
    absl::Status status = flow.Writev(absl::MakeSpan(buffers));
    EXPECT_TRUE(IsFlowError(
        status, closed ? FlowErrorKind::kClosed : FlowErrorKind::kWouldBlock))
        << status;
    EXPECT_EQ(flow.stats().send_queued, 100u);
    EXPECT_EQ(buffers[0], std::string(600, 'b'));
    EXPECT_EQ(buffers[1], "c");
  }
}

// ── The send limit at its exact boundary ────────────────────────────────

TEST_P(EdgesBothCodecs, OneByteBelowTheSendLimitAWriteIsTakenAtItNot) {
  Flow flow = MakeFlow(GetParam(), /*send_limit=*/100);
  ASSERT_TRUE(flow.Write(std::string(99, 'a')).ok());
  ASSERT_TRUE(flow.Write(absl::string_view("b")).ok());  // 99 < 100
  EXPECT_EQ(flow.stats().send_queued, 100u);
  EXPECT_TRUE(IsFlowError(flow.Write(absl::string_view("c")),
                          FlowErrorKind::kWouldBlock));
  EXPECT_TRUE(IsFlowError(flow.Write(absl::string_view("")),
                          FlowErrorKind::kWouldBlock));
  Events(flow);
  // One byte out brings the queue below the limit: writable again.
  Exposed(flow);
  flow.ConsumeTransmitted(GetParam() == Codec::kFramed ? 5 : 1);
  EXPECT_EQ(flow.stats().send_queued, 99u);
  EXPECT_TRUE(Has(Events(flow), FlowEvent::kWritable));
  EXPECT_TRUE(flow.Write(absl::string_view("c")).ok());
}

TEST(FlowEdgesFramed, NoWritableEventWhileTheQueueIsStillAtTheLimit) {
  Flow flow = MakeFlow(Codec::kFramed, /*send_limit=*/100);
  ASSERT_TRUE(flow.Write(std::string(100, 'a')).ok());
  ASSERT_TRUE(IsFlowError(flow.Write(absl::string_view("b")),
                          FlowErrorKind::kWouldBlock));
  Exposed(flow);
  Events(flow);
  flow.ConsumeTransmitted(kFrameHeaderSize);  // a header, no payload yet
  EXPECT_EQ(flow.stats().send_queued, 100u);
  EXPECT_FALSE(Has(Events(flow), FlowEvent::kWritable));
  flow.ConsumeTransmitted(1);
  EXPECT_TRUE(Has(Events(flow), FlowEvent::kWritable));
}

// ── A close timeout drops unread data, as Abort does ────────────────────

TEST_P(EdgesBothCodecs, ACloseTimeoutDropsUnreadDataLikeAbort) {
  for (bool abort : {false, true}) {
    Flow flow = MakeFlow(GetParam());
    flow.HandleTimeout(kStart);
    Receive(flow, GetParam() == Codec::kFramed ? FrameHeader(6) + "unread"
                                               : std::string("unread"));
    ASSERT_TRUE(flow.Close(kStart).ok());
    if (abort) {
      flow.Abort();
    } else {
      flow.HandleTimeout(kStart + flow.options().close_timeout);
    }
    ASSERT_EQ(flow.state(), FlowState::kFailed);
    EXPECT_EQ(flow.stats().receive_buffered, 0u);
    EXPECT_TRUE(flow.Readable());
    absl::StatusOr<ReadResult> read = flow.Read();
    const FlowErrorKind expected =
        abort ? FlowErrorKind::kAborted : FlowErrorKind::kCloseTimeout;
    EXPECT_TRUE(IsFlowError(read.status(), expected)) << read.status();
  }
}

TEST_P(EdgesBothCodecs, TheCloseTimeoutCountsFromTheLastByteMoved) {
  Flow flow = MakeFlow(GetParam());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_EQ(flow.NextDeadline(), kStart + absl::Seconds(10));
  flow.HandleTimeout(kStart + absl::Seconds(7));
  Receive(flow, GetParam() == Codec::kFramed ? FrameHeader(1) + "x"
                                             : std::string("x"));
  EXPECT_EQ(flow.NextDeadline(), kStart + absl::Seconds(17));
  flow.HandleTimeout(kStart + absl::Seconds(17) - absl::Nanoseconds(1));
  EXPECT_FALSE(flow.IsFinished());
  flow.HandleTimeout(kStart + absl::Seconds(17));
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kCloseTimeout));
}

TEST(FlowEdgesFramed, CloseStartsTheTimerOfAFlowAlreadyEndedByShutdownRead) {
  Flow flow = MakeFlow(Codec::kFramed);
  // The peer's ShutdownRead queues our end before the flow knows the time.
  Receive(flow, FrameHeader(kFrameShutdownRead));
  EXPECT_FALSE(flow.NextDeadline().has_value());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_EQ(flow.NextDeadline(), kStart + absl::Seconds(10));
}

// ── The end marker a close sends ────────────────────────────────────────

TEST(FlowEdgesFramed, CloseWhileThePeerIsOpenSendsShutdownWrite) {
  Flow flow = MakeFlow(Codec::kFramed);
  ASSERT_TRUE(flow.Write(absl::string_view("ab")).ok());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_EQ(SendAll(flow),
            FrameHeader(2) + "ab" + FrameHeader(kFrameShutdownWrite));
}

TEST(FlowEdgesFramed, CloseAfterThePeersCloseSendsCloseAndCompletes) {
  Flow flow = MakeFlow(Codec::kFramed);
  Receive(flow, FrameHeader(kFrameClose));
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_EQ(SendAll(flow), FrameHeader(kFrameClose));
  EXPECT_EQ(flow.state(), FlowState::kClosed);
}

TEST(FlowEdgesFramed, AnUnsentShutdownWriteBecomesCloseWhenThePeerEnds) {
  Flow flow = MakeFlow(Codec::kFramed);
  ASSERT_TRUE(flow.Close(kStart).ok());
  Receive(flow, FrameHeader(kFrameShutdownWrite));  // before we sent ours
  EXPECT_EQ(SendAll(flow), FrameHeader(kFrameClose));
  EXPECT_FALSE(flow.IsFinished());  // the peer still owes its Close
  Receive(flow, FrameHeader(kFrameClose));
  EXPECT_EQ(flow.state(), FlowState::kClosed);
}

TEST(FlowEdgesFramed, AShutdownWriteAlreadyHandedOutIsFollowedByClose) {
  Flow flow = MakeFlow(Codec::kFramed);
  ASSERT_TRUE(flow.Close(kStart).ok());
  std::string exposed = Exposed(flow);  // in flight, not yet sent
  EXPECT_EQ(exposed, FrameHeader(kFrameShutdownWrite));
  Receive(flow, FrameHeader(kFrameShutdownWrite));
  EXPECT_EQ(SendAll(flow),
            FrameHeader(kFrameShutdownWrite) + FrameHeader(kFrameClose));
}

TEST(FlowEdgesFramed, ThePeersShutdownReadEndsUsWithTheMarkerItsEndCallsFor) {
  // The peer still writes: we answer with ShutdownWrite.
  Flow open_peer = MakeFlow(Codec::kFramed);
  Receive(open_peer, FrameHeader(kFrameShutdownRead));
  EXPECT_EQ(SendAll(open_peer), FrameHeader(kFrameShutdownWrite));
  EXPECT_FALSE(open_peer.IsFinished());
  // The peer has ended its writes and reads no more: it is done; our Close
  // completes the flow.
  Flow ended_peer = MakeFlow(Codec::kFramed);
  Receive(ended_peer,
          FrameHeader(kFrameShutdownWrite) + FrameHeader(kFrameShutdownRead));
  EXPECT_EQ(SendAll(ended_peer), FrameHeader(kFrameClose));
  EXPECT_EQ(ended_peer.state(), FlowState::kClosed);
}

TEST(FlowEdgesNative, CloseSendsNoMarkerOnlyTheShutdown) {
  Flow flow = MakeFlow(Codec::kNative);
  ASSERT_TRUE(flow.Write(absl::string_view("ab")).ok());
  ASSERT_TRUE(flow.Close(kStart).ok());
  EXPECT_EQ(SendAll(flow), "ab");
  EXPECT_TRUE(flow.PollShutdownWrite());
}

// ── Options: each field's lower bound ───────────────────────────────────

TEST(FlowEdgesOptions, EveryFieldBelowItsMinimumIsRejectedByName) {
  struct Broken {
    const char* field;
    void (*breaks)(FlowOptions&);
  };
  const Broken broken[] = {
      {"receive_limit", [](FlowOptions& o) { o.receive_limit = 0; }},
      {"send_limit", [](FlowOptions& o) { o.send_limit = 0; }},
      {"max_send_frame", [](FlowOptions& o) { o.max_send_frame = 0; }},
      {"max_receive_frame", [](FlowOptions& o) { o.max_receive_frame = 0; }},
      {"close_timeout",
       [](FlowOptions& o) { o.close_timeout = absl::ZeroDuration(); }},
      {"idle_timeout",
       [](FlowOptions& o) { o.idle_timeout = absl::ZeroDuration(); }},
  };
  for (const Broken& b : broken) {
    FlowOptions options;
    b.breaks(options);
    absl::StatusOr<Flow> flow = Flow::Create(options);
    ASSERT_FALSE(flow.ok()) << b.field;
    EXPECT_NE(flow.status().message().find(b.field), std::string::npos)
        << flow.status();
  }
  FlowOptions smallest;
  smallest.receive_limit = smallest.send_limit = 1;
  smallest.max_send_frame = smallest.max_receive_frame = 1;
  smallest.close_timeout = smallest.idle_timeout = absl::Nanoseconds(1);
  EXPECT_TRUE(Flow::Create(smallest).ok());
}

}  // namespace
}  // namespace hvsock
