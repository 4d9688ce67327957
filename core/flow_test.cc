// The flow contract, one story per test, on flows joined by hand.
#include "core/flow.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

const absl::Time kT0 = absl::UnixEpoch();

FlowOptions Options(Codec codec) {
  FlowOptions options;
  options.codec = codec;
  return options;
}

// Everything the flow wants to transmit now, in one string.
std::string Transmit(Flow& flow) {
  std::string wire;
  absl::string_view spans[16];
  while (size_t n = flow.PeekTransmit(absl::MakeSpan(spans))) {
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) {
      wire.append(spans[i].data(), spans[i].size());
      total += spans[i].size();
    }
    flow.ConsumeTransmitted(total);
  }
  return wire;
}

// Reads until WouldBlock / Eof / error; returns the bytes read.
std::string ReadAvailable(Flow& flow, bool* eof = nullptr,
                          absl::Status* error = nullptr) {
  std::string bytes;
  while (true) {
    absl::StatusOr<ReadResult> r = flow.Read();
    if (!r.ok()) {
      if (error) *error = r.status();
      return bytes;
    }
    if (r->is_eof()) {
      if (eof) *eof = true;
      return bytes;
    }
    if (r->would_block()) return bytes;
    EXPECT_GE(r->data().size(), 1u);
    bytes += std::string(r->data());
  }
}

// Moves bytes both ways, and the native shutdown, until nothing moves.
// Bytes a receiver cannot take yet (receive limit) wait in `pending`.
struct Link {
  std::string a_to_b, b_to_a;
  bool a_shut = false, b_shut = false;
};

void Exchange(Flow& a, Flow& b, Link& link) {
  for (int round = 0; round < 100; ++round) {
    link.a_to_b += Transmit(a);
    link.b_to_a += Transmit(b);
    link.a_shut |= a.PollShutdownWrite();
    link.b_shut |= b.PollShutdownWrite();
    size_t to_b = b.HandleReceived(link.a_to_b);
    size_t to_a = a.HandleReceived(link.b_to_a);
    link.a_to_b.erase(0, to_b);
    link.b_to_a.erase(0, to_a);
    if (link.a_shut && link.a_to_b.empty()) {
      b.HandleTransportEof();
      link.a_shut = false;
    }
    if (link.b_shut && link.b_to_a.empty()) {
      a.HandleTransportEof();
      link.b_shut = false;
    }
    if (to_b == 0 && to_a == 0 && !a.HasTransmit() && !b.HasTransmit()) {
      return;
    }
  }
  ADD_FAILURE() << "exchange did not settle";
}

void Exchange(Flow& a, Flow& b) {
  Link link;
  Exchange(a, b, link);
  EXPECT_TRUE(link.a_to_b.empty() && link.b_to_a.empty());
}

class BothCodecs : public ::testing::TestWithParam<Codec> {};
INSTANTIATE_TEST_SUITE_P(Flow, BothCodecs,
                         ::testing::Values(Codec::kNative, Codec::kFramed),
                         [](const auto& info) {
                           return std::string(CodecName(info.param));
                         });

TEST_P(BothCodecs, HalfCloseThenCloseWaitThenBothComplete) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Write(absl::string_view("request")).ok());
  ASSERT_TRUE(a.Close(kT0).ok());
  Exchange(a, b);

  // b read the request, then Eof: a's half-close arrived after its data.
  bool eof = false;
  EXPECT_EQ(ReadAvailable(b, &eof), "request");
  EXPECT_TRUE(eof);
  // a is in close-wait: its close has not completed, b may still write.
  EXPECT_EQ(a.state(), FlowState::kCloseWait);
  // The native peer's end is its EOF: nothing more comes. A framed peer
  // still owes its Close.
  EXPECT_EQ(b.state(), GetParam() == Codec::kNative ? FlowState::kRemoteClosed
                                                    : FlowState::kRemoteEnded);
  ASSERT_TRUE(b.Write(absl::string_view("response")).ok());
  ASSERT_TRUE(b.Close(kT0).ok());
  Exchange(a, b);

  eof = false;
  EXPECT_EQ(ReadAvailable(a, &eof), "response");
  EXPECT_TRUE(eof);
  EXPECT_EQ(a.state(), FlowState::kClosed);
  EXPECT_EQ(b.state(), FlowState::kClosed);
  EXPECT_TRUE(a.IsFinished());
  EXPECT_TRUE(b.IsFinished());
}

TEST_P(BothCodecs, EofOnlyAfterInFlightDataIsRead) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  std::string big(300'000, 'x');
  ASSERT_TRUE(a.Write(std::string(big)).ok());
  ASSERT_TRUE(a.Close(kT0).ok());
  std::string got;
  bool eof = false;
  Link link;
  for (int i = 0; i < 1000 && !eof; ++i) {
    Exchange(a, b, link);  // moves what the receive limit allows
    got += ReadAvailable(b, &eof);
    EXPECT_EQ(b.stats().receive_buffered, 0u);
  }
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(eof);
}

TEST_P(BothCodecs, WritesAfterCloseReportClosed) {
  Flow a = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Close(kT0).ok());
  absl::Status status = a.Write(absl::string_view("late"));
  EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kClosed)) << status;
}

TEST_P(BothCodecs, CloseTimesOutWhenThePeerNeverEnds) {
  FlowOptions options = Options(GetParam());
  options.close_timeout = absl::Seconds(5);
  Flow a = Flow::Create(options).value();
  Flow b = Flow::Create(options).value();
  ASSERT_TRUE(a.Close(kT0).ok());
  Exchange(a, b);
  EXPECT_EQ(a.state(), FlowState::kCloseWait);
  ASSERT_EQ(a.NextDeadline(), kT0 + absl::Seconds(5));
  a.HandleTimeout(kT0 + absl::Seconds(1));  // early: harmless
  EXPECT_EQ(a.state(), FlowState::kCloseWait);
  a.HandleTimeout(kT0 + absl::Seconds(5));
  EXPECT_EQ(a.state(), FlowState::kFailed);
  EXPECT_TRUE(IsFlowError(a.error(), FlowErrorKind::kCloseTimeout));
  EXPECT_FALSE(a.NextDeadline().has_value());
}

TEST_P(BothCodecs, TimeNeverGoesBackwards) {
  FlowOptions options = Options(GetParam());
  options.close_timeout = absl::Seconds(5);
  Flow a = Flow::Create(options).value();
  a.HandleTimeout(kT0 + absl::Seconds(100));
  ASSERT_TRUE(a.Close(kT0).ok());  // an older `now` counts as the newest
  EXPECT_EQ(a.NextDeadline(), kT0 + absl::Seconds(105));
}

TEST_P(BothCodecs, AbortDropsEverythingAtOnce) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(b.Write(absl::string_view("unread")).ok());
  Exchange(a, b);
  a.Abort();
  EXPECT_EQ(a.state(), FlowState::kFailed);
  EXPECT_FALSE(a.HasTransmit());
  absl::StatusOr<ReadResult> r = a.Read();
  EXPECT_TRUE(IsFlowError(r.status(), FlowErrorKind::kAborted));
}

// An overlapped read (WSARecv) may complete into the receive space after
// the flow was aborted: the space must still be there, and what lands in it
// is discarded. Under ASan a freed block would be reported here.
TEST_P(BothCodecs, ReceiveSpaceOutlivesAnAbortUntilCommitted) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(b.Write(absl::string_view("in flight")).ok());
  std::string wire = Transmit(b);
  absl::Span<char> space = a.ReceiveSpace();
  ASSERT_GE(space.size(), wire.size());
  a.Abort();
  a.ReleaseReceiveSpace();
  std::copy(wire.begin(), wire.end(), space.begin());  // the late completion
  a.CommitReceived(wire.size());
  EXPECT_EQ(a.state(), FlowState::kFailed);
  EXPECT_EQ(a.stats().receive_buffered, 0u);
  absl::StatusOr<ReadResult> r = a.Read();
  EXPECT_TRUE(IsFlowError(r.status(), FlowErrorKind::kAborted));
}

// One vectored read across two receive blocks: every byte arrives in
// order, for both codecs (a framed header may straddle the blocks).
TEST_P(BothCodecs, AVectoredReadAcrossTwoBlocksDeliversEveryByteInOrder) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  std::string sent;
  for (int i = 0; sent.size() < 200 * 1024; ++i) {
    sent += std::string(997, static_cast<char>('a' + i % 26));
  }
  ASSERT_TRUE(b.Write(absl::string_view(sent)).ok());
  ASSERT_TRUE(b.Close(kT0).ok());
  const std::string wire = Transmit(b);
  size_t at = 0;
  int vectored = 0;
  std::string got;
  bool eof = false;
  while (at < wire.size()) {
    absl::Span<char> spans[2];
    const size_t count = a.ReceiveSpaces(absl::MakeSpan(spans));
    ASSERT_GT(count, 0u);
    size_t n = 0;
    for (size_t i = 0; i < count && at < wire.size(); ++i) {
      const size_t take = std::min(spans[i].size(), wire.size() - at);
      std::copy_n(wire.data() + at, take, spans[i].begin());
      at += take;
      n += take;
      if (i == 1 && take > 0) ++vectored;
    }
    a.CommitReceived(n);
    got += ReadAvailable(a, &eof);
  }
  if (GetParam() == Codec::kNative) a.HandleTransportEof();  // its end
  got += ReadAvailable(a, &eof);
  EXPECT_EQ(got, sent);
  EXPECT_TRUE(eof);
  EXPECT_GT(vectored, 0);  // the case needs reads that reached a second block
  EXPECT_NE(a.state(), FlowState::kFailed) << a.error();
}

TEST_P(BothCodecs, CommittingMoreThanBothSpansIsABackendBug) {
  Flow a = Flow::Create(Options(GetParam())).value();
  absl::Span<char> spans[2];
  const size_t count = a.ReceiveSpaces(absl::MakeSpan(spans));
  ASSERT_GT(count, 0u);
  size_t lent = 0;
  for (size_t i = 0; i < count; ++i) lent += spans[i].size();
  a.CommitReceived(lent + 1);
  EXPECT_EQ(a.state(), FlowState::kFailed);
  EXPECT_TRUE(IsFlowError(a.error(), FlowErrorKind::kUnexpectedInput));
}

TEST_P(BothCodecs, ReceiveSpaceOutlivesACloseTimeoutUntilCommitted) {
  Flow a = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Close(kT0).ok());
  Transmit(a);
  absl::Span<char> space = a.ReceiveSpace();
  ASSERT_FALSE(space.empty());
  a.HandleTimeout(kT0 + a.options().close_timeout);
  ASSERT_EQ(a.state(), FlowState::kFailed);
  space[0] = 'x';
  a.CommitReceived(0);
  EXPECT_TRUE(IsFlowError(a.error(), FlowErrorKind::kCloseTimeout));
}

TEST_P(BothCodecs, ResetIsAnErrorAfterTheDataReceivedBeforeIt) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Write(absl::string_view("partial")).ok());
  Exchange(a, b);
  b.HandleTransportError(absl::UnavailableError("ECONNRESET"));
  absl::Status error;
  bool eof = false;
  EXPECT_EQ(ReadAvailable(b, &eof, &error), "partial");
  EXPECT_FALSE(eof);
  EXPECT_TRUE(IsFlowError(error, FlowErrorKind::kReset)) << error;
}

TEST_P(BothCodecs, ReceiveLimitStopsReadingTheTransport) {
  FlowOptions options = Options(GetParam());
  options.receive_limit = 1000;
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(options).value();
  ASSERT_TRUE(a.Write(std::string(5000, 'z')).ok());
  std::string wire = Transmit(a);
  size_t taken = b.HandleReceived(wire);
  EXPECT_LT(taken, wire.size());
  EXPECT_EQ(b.stats().receive_buffered, 1000u);
  EXPECT_FALSE(b.WantsRead());
  EXPECT_TRUE(b.ReceiveSpace().empty());
  EXPECT_EQ(ReadAvailable(b).size(), 1000u);
  EXPECT_TRUE(b.WantsRead());
}

TEST_P(BothCodecs, SendLimitPushesBackAndSignalsWhenDrained) {
  FlowOptions options = Options(GetParam());
  options.send_limit = 100;
  Flow a = Flow::Create(options).value();
  ASSERT_TRUE(a.Write(std::string(150, 'q')).ok());  // below limit: taken
  absl::Cord more("more");
  absl::Status status = a.Write(std::move(more));
  EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kWouldBlock)) << status;
  EXPECT_EQ(std::string(more), "more");  // not taken
  while (a.PollEvent()) {
  }
  Transmit(a);
  std::vector<FlowEvent> events;
  while (auto e = a.PollEvent()) events.push_back(*e);
  EXPECT_NE(std::find(events.begin(), events.end(), FlowEvent::kWritable),
            events.end());
  EXPECT_TRUE(a.Write(std::move(more)).ok());
}

TEST_P(BothCodecs, OneByteAtATimeDeliversTheSameBytes) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  std::string message = "hello, byte by byte";
  ASSERT_TRUE(a.Write(absl::string_view(message)).ok());
  ASSERT_TRUE(a.Close(kT0).ok());
  std::string wire = Transmit(a);
  for (char c : wire) ASSERT_EQ(b.HandleReceived(absl::string_view(&c, 1)), 1u);
  if (a.PollShutdownWrite()) b.HandleTransportEof();
  bool eof = false;
  EXPECT_EQ(ReadAvailable(b, &eof), message);
  EXPECT_TRUE(eof);
}

TEST_P(BothCodecs, PartialSendsAtAnyByteBoundary) {
  Flow a = Flow::Create(Options(GetParam())).value();
  Flow b = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Write(std::string(10000, 'p')).ok());
  ASSERT_TRUE(a.Close(kT0).ok());
  std::string wire;
  absl::string_view spans[4];
  while (size_t n = a.PeekTransmit(absl::MakeSpan(spans))) {
    (void)n;
    // Send 3 bytes at a time: splits every header and payload.
    size_t k = std::min<size_t>(3, spans[0].size());
    wire.append(spans[0].data(), k);
    a.ConsumeTransmitted(k);
  }
  EXPECT_EQ(b.HandleReceived(wire), wire.size());
  if (a.PollShutdownWrite()) b.HandleTransportEof();
  bool eof = false;
  EXPECT_EQ(ReadAvailable(b, &eof), std::string(10000, 'p'));
  EXPECT_TRUE(eof);
  EXPECT_EQ(a.state(), FlowState::kCloseWait);
}

TEST_P(BothCodecs, ConsumingMoreThanWasHandedOutIsAnUnexpectedInput) {
  Flow a = Flow::Create(Options(GetParam())).value();
  ASSERT_TRUE(a.Write(absl::string_view("abc")).ok());
  a.ConsumeTransmitted(3);  // nothing was peeked yet
  EXPECT_TRUE(IsFlowError(a.error(), FlowErrorKind::kUnexpectedInput));
  EXPECT_NE(a.error().message().find("Open"), absl::string_view::npos);
}

TEST(FlowNative, LargeWritesAreTransmittedWithoutCopying) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  std::string payload(100'000, 'c');
  const char* original = payload.data();
  ASSERT_TRUE(a.Write(std::move(payload)).ok());
  absl::string_view spans[4];
  ASSERT_GE(a.PeekTransmit(absl::MakeSpan(spans)), 1u);
  EXPECT_EQ(spans[0].data(), original);
}

TEST(FlowNative, SmallWritesAreCoalescedUntilSeen) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(a.Write(absl::string_view("0123456789abcdef0123456789abcdef"
                                          "0123456789abcdef0123456789abcdef"))
                    .ok());
  }
  absl::string_view spans[128];
  size_t n = a.PeekTransmit(absl::MakeSpan(spans));
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += spans[i].size();
  EXPECT_EQ(total, 6400u);
  EXPECT_LT(n, 10u);  // far fewer spans than writes
}

TEST(FlowFramed, SplitsIntoDataFramesOfAtMost4096Bytes) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  ASSERT_TRUE(a.Write(std::string(10000, 'f')).ok());
  ASSERT_TRUE(a.Close(kT0).ok());
  std::string wire = Transmit(a);
  std::string expected = FrameHeader(4096) + std::string(4096, 'f') +
                         FrameHeader(4096) + std::string(4096, 'f') +
                         FrameHeader(1808) + std::string(1808, 'f') +
                         FrameHeader(kFrameShutdownWrite);
  EXPECT_EQ(wire, expected);
  EXPECT_EQ(a.stats().frames_out, 4u);
  EXPECT_EQ(a.stats().bytes_out, 10000u);
}

TEST(FlowFramed, LargeWritesAreFramedWithoutCopying) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  std::string payload(100'000, 'c');
  const char* original = payload.data();
  ASSERT_TRUE(a.Write(std::move(payload)).ok());
  absl::string_view spans[8];
  ASSERT_EQ(a.PeekTransmit(absl::MakeSpan(spans)), 8u);
  for (size_t frame = 0; frame < 4; ++frame) {
    EXPECT_EQ(std::string(spans[2 * frame]), FrameHeader(4096));
    EXPECT_EQ(spans[2 * frame + 1].data(), original + frame * 4096);
    EXPECT_EQ(spans[2 * frame + 1].size(), 4096u);
  }
}

TEST(FlowFramed, SpansStayValidAcrossLaterWritesAndMoves) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  ASSERT_TRUE(a.Write(std::string(5000, 'a')).ok());
  absl::string_view spans[3];
  ASSERT_EQ(a.PeekTransmit(absl::MakeSpan(spans)), 3u);  // H, 4096, H
  // Later writes must neither change nor move what was handed out.
  ASSERT_TRUE(a.Write(absl::string_view("xyz")).ok());
  ASSERT_TRUE(a.Write(std::string(600, 'b')).ok());
  Flow moved = std::move(a);
  std::string wire;
  for (absl::string_view span : spans) wire.append(span.data(), span.size());
  EXPECT_EQ(wire,
            FrameHeader(4096) + std::string(4096, 'a') + FrameHeader(904));
  moved.ConsumeTransmitted(wire.size() - 2);  // in the middle of a header
  wire.resize(wire.size() - 2);
  wire += Transmit(moved);
  EXPECT_EQ(wire, FrameHeader(4096) + std::string(4096, 'a') +
                      FrameHeader(904) + std::string(904, 'a') +
                      FrameHeader(603) + "xyz" + std::string(600, 'b'));
  EXPECT_EQ(moved.stats().frames_out, 3u);
  EXPECT_EQ(moved.stats().bytes_out, 5603u);
  EXPECT_EQ(moved.stats().send_queued, 0u);
}

TEST(FlowFramed, ShutdownReadKeepsAFrameInProgressWhole) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  ASSERT_TRUE(a.Write(std::string(10000, 'd')).ok());
  absl::string_view spans[3];
  ASSERT_EQ(a.PeekTransmit(absl::MakeSpan(spans)), 3u);  // H, 4096, H
  a.ConsumeTransmitted(4 + 100);
  a.HandleReceived(FrameHeader(kFrameShutdownRead));
  // Frames 1 and 2 were (partly) handed out: they leave whole; frame 3 not.
  EXPECT_EQ(a.stats().bytes_dropped, 10000u - 8192u);
  std::string rest = Transmit(a);
  // ShutdownRead closed our write side for us: our end follows the data.
  EXPECT_EQ(rest, std::string(3996, 'd') + FrameHeader(4096) +
                      std::string(4096, 'd') +
                      FrameHeader(kFrameShutdownWrite));
  EXPECT_EQ(a.stats().bytes_out, 8192u);
  EXPECT_EQ(a.stats().frames_out, 3u);  // two Data, one ShutdownWrite
  EXPECT_EQ(a.state(), FlowState::kCloseWait);
}

TEST(FlowFramed, ClosesWithCloseWhenThePeerHasAlreadyEnded) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  std::string peer_end = FrameHeader(kFrameShutdownWrite);
  ASSERT_EQ(a.HandleReceived(peer_end), 4u);
  ASSERT_TRUE(a.Close(kT0).ok());
  EXPECT_EQ(Transmit(a), FrameHeader(kFrameClose));
  // Our Close is out; the close completes when the peer's Close arrives.
  EXPECT_EQ(a.state(), FlowState::kAwaitingPeerClose);
  ASSERT_EQ(a.HandleReceived(FrameHeader(kFrameClose)), 4u);
  EXPECT_EQ(a.state(), FlowState::kClosed);
}

TEST(FlowFramed, TransportEofWithoutEndMarkerIsTruncation) {
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  std::string wire = FrameHeader(3) + "abc";
  ASSERT_EQ(b.HandleReceived(wire), wire.size());
  b.HandleTransportEof();
  absl::Status error;
  bool eof = false;
  EXPECT_EQ(ReadAvailable(b, &eof, &error), "abc");
  EXPECT_FALSE(eof);
  EXPECT_TRUE(IsFlowError(error, FlowErrorKind::kTruncated)) << error;
}

TEST(FlowFramed, TransportEofMidFrameIsTruncation) {
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  std::string wire = FrameHeader(10) + "abc";
  ASSERT_EQ(b.HandleReceived(wire), wire.size());
  b.HandleTransportEof();
  EXPECT_TRUE(IsFlowError(b.error(), FlowErrorKind::kTruncated));
  EXPECT_NE(b.error().message().find("middle of a frame"),
            absl::string_view::npos);
}

TEST(FlowFramed, OversizedLengthIsAProtocolErrorFromTheHeaderAlone) {
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  std::string wire = FrameHeader(3) + "abc" + FrameHeader(64 * 1024 + 1);
  ASSERT_EQ(b.HandleReceived(wire), wire.size());
  EXPECT_TRUE(IsFlowError(b.error(), FlowErrorKind::kProtocol));
  EXPECT_NE(b.error().message().find("65537"), absl::string_view::npos);
  absl::Status error;
  EXPECT_EQ(ReadAvailable(b, nullptr, &error), "abc");  // kept
  EXPECT_TRUE(IsFlowError(error, FlowErrorKind::kProtocol));
}

TEST(FlowFramed, DataAfterThePeersEndIsAProtocolError) {
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  std::string wire = FrameHeader(kFrameShutdownWrite) + FrameHeader(1) + "x";
  b.HandleReceived(wire);
  EXPECT_TRUE(IsFlowError(b.error(), FlowErrorKind::kProtocol));
}

TEST(FlowFramed, ZeroLengthDataIsIgnored) {
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  std::string wire =
      FrameHeader(0) + FrameHeader(0) + FrameHeader(2) + "ok" + FrameHeader(0);
  ASSERT_EQ(b.HandleReceived(wire), wire.size());
  EXPECT_TRUE(b.error().ok());
  EXPECT_EQ(ReadAvailable(b), "ok");
}

TEST(FlowFramed, ShutdownReadDropsQueuedDataAndCountsIt) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  ASSERT_TRUE(a.Write(std::string(5000, 'd')).ok());
  absl::string_view spans[1];
  ASSERT_EQ(a.PeekTransmit(absl::MakeSpan(spans)), 1u);  // seals frame 1
  std::string peer = FrameHeader(kFrameShutdownRead);
  a.HandleReceived(peer);
  // The first frame (already handed out) stays; the rest is dropped.
  EXPECT_EQ(a.stats().bytes_dropped, 5000u - 4096u);
  EXPECT_TRUE(
      IsFlowError(a.Write(absl::string_view("x")), FlowErrorKind::kClosed));
}

TEST(FlowEvents, AreEdgeTriggeredAndReportedOnce) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  a.HandleReceived("hi");
  ASSERT_EQ(a.PollEvent(), FlowEvent::kReadable);
  EXPECT_FALSE(a.PollEvent().has_value());
}

// The contract in flow.h: an event is reported at most once until polled,
// not once per occurrence.
TEST(FlowEvents, SeveralOccurrencesBeforeAPollAreReportedOnce) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  a.HandleReceived("one");
  a.HandleReceived("two");
  a.HandleReceived("three");
  ASSERT_EQ(a.PollEvent(), FlowEvent::kReadable);
  EXPECT_FALSE(a.PollEvent().has_value());
  EXPECT_EQ(ReadAvailable(a), "onetwothree");
}

// The rule for loops that run several flows: on kReadable, read until
// WouldBlock. Data still unread raises no new event while nothing new
// arrives, so an application that reads one piece per event stalls.
TEST(FlowEvents, UnreadDataRaisesNoNewEventUntilMoreArrives) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  a.HandleReceived("first");
  ASSERT_EQ(a.PollEvent(), FlowEvent::kReadable);
  absl::StatusOr<ReadResult> part = a.Read(2);  // reads only part of it
  ASSERT_TRUE(part.ok() && part->is_data());
  EXPECT_FALSE(a.PollEvent().has_value());  // "rst" waits, unannounced
  EXPECT_TRUE(a.Readable());
  a.HandleReceived("second");
  EXPECT_EQ(a.PollEvent(), FlowEvent::kReadable);
  EXPECT_EQ(ReadAvailable(a), "rstsecond");
}

// Different events pending at once are each reported, lowest first.
TEST(FlowEvents, DifferentPendingEventsAreEachReported) {
  Flow a = Flow::Create(Options(Codec::kNative)).value();
  a.HandleReceived("x");
  a.Abort();
  std::vector<FlowEvent> events;
  while (std::optional<FlowEvent> e = a.PollEvent()) events.push_back(*e);
  EXPECT_EQ(events,
            (std::vector<FlowEvent>{FlowEvent::kReadable, FlowEvent::kFailed}));
}

TEST(FlowStats, CountBytesBothWays) {
  Flow a = Flow::Create(Options(Codec::kFramed)).value();
  Flow b = Flow::Create(Options(Codec::kFramed)).value();
  ASSERT_TRUE(a.Write(absl::string_view("12345")).ok());
  Exchange(a, b);
  ReadAvailable(b);
  EXPECT_EQ(a.stats().bytes_out, 5u);
  EXPECT_EQ(a.stats().wire_bytes_out, 9u);
  EXPECT_EQ(b.stats().bytes_in, 5u);
  EXPECT_EQ(b.stats().bytes_read, 5u);
  EXPECT_EQ(b.stats().frames_in, 1u);
  EXPECT_EQ(b.stats().state, FlowState::kOpen);
}

TEST(FlowOptionsTest, InvalidOptionsAreRejectedWithTheFieldNamed) {
  FlowOptions options;
  options.max_send_frame = 0;
  absl::StatusOr<Flow> flow = Flow::Create(options);
  EXPECT_FALSE(flow.ok());
  EXPECT_NE(flow.status().message().find("max_send_frame"),
            absl::string_view::npos);
}

// No Data length may read as an end marker: the largest frame sizes stop
// one below the smallest control value, 0xbeefdead (ShutdownWrite).
TEST(FlowOptionsTest, FrameLimitsStayBelowEveryMarkerValue) {
  for (uint32_t bad : {kFrameShutdownWrite, kFrameShutdownRead, kFrameClose,
                       kFrameShutdownWrite + 1, 0xffffffffu}) {
    FlowOptions send;
    send.codec = Codec::kFramed;
    send.max_send_frame = bad;
    EXPECT_FALSE(Flow::Create(send).ok()) << std::hex << bad;
    FlowOptions receive;
    receive.max_receive_frame = bad;
    EXPECT_FALSE(Flow::Create(receive).ok()) << std::hex << bad;
  }
  FlowOptions largest;
  largest.codec = Codec::kFramed;
  largest.max_send_frame = kFrameShutdownWrite - 1;
  largest.max_receive_frame = kFrameShutdownWrite - 1;
  EXPECT_TRUE(Flow::Create(largest).ok());
}

// Every limit and timeout a flow cannot work with is refused up front,
// instead of failing later (a zero frame size once divided by zero on the
// first write).
TEST(FlowOptionsTest, LimitsAndTimeoutsThatCannotWorkAreRefused) {
  auto refused = [](auto change) {
    FlowOptions options;
    options.codec = Codec::kFramed;
    change(options);
    return !Flow::Create(options).ok();
  };
  EXPECT_TRUE(refused([](FlowOptions& o) { o.receive_limit = 0; }));
  EXPECT_TRUE(refused([](FlowOptions& o) { o.send_limit = 0; }));
  EXPECT_TRUE(refused([](FlowOptions& o) { o.max_receive_frame = 0; }));
  EXPECT_TRUE(
      refused([](FlowOptions& o) { o.close_timeout = absl::ZeroDuration(); }));
  EXPECT_TRUE(
      refused([](FlowOptions& o) { o.idle_timeout = -absl::Seconds(1); }));
  EXPECT_FALSE(
      refused([](FlowOptions& o) { o.idle_timeout = absl::Milliseconds(1); }));
}

}  // namespace
}  // namespace hvsock
