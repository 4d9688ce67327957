// The connect handshakes of hybrid vsock and hyperkit, fed whole, split and
// byte by byte, and by VMMs that refuse, stall or answer wrongly.
#include "core/handshake/connect_handshake.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1000);
const absl::Time kDeadline = kStart + absl::Seconds(10);

// A hybrid vsock handshake whose request has been sent.
ConnectHandshake SentHybrid(uint32_t port = 52) {
  ConnectHandshake handshake = ConnectHandshake::HybridVsock(port, kDeadline);
  handshake.ConsumeTransmitted(handshake.PeekTransmit().size());
  return handshake;
}

// Feeds `reply` in chunks of `chunk` bytes, as a backend would: bytes the
// handshake leaves unconsumed after it is established are the stream's.
std::string FeedInChunks(ConnectHandshake& handshake, absl::string_view reply,
                         size_t chunk) {
  std::string stream;
  for (size_t at = 0; at < reply.size(); at += chunk) {
    absl::string_view piece = reply.substr(at, chunk);
    size_t consumed = handshake.HandleReceived(piece);
    if (handshake.established()) stream += std::string(piece.substr(consumed));
    if (handshake.failed()) break;
  }
  return stream;
}

TEST(HybridVsockHandshake, RequestIsOneConnectLineInDecimal) {
  EXPECT_EQ(ConnectHandshake::HybridVsock(52, kDeadline).PeekTransmit(),
            "CONNECT 52\n");
  EXPECT_EQ(ConnectHandshake::HybridVsock(0, kDeadline).PeekTransmit(),
            "CONNECT 0\n");
  EXPECT_EQ(
      ConnectHandshake::HybridVsock(4294967295u, kDeadline).PeekTransmit(),
      "CONNECT 4294967295\n");
}

TEST(HybridVsockHandshake, RequestMayGoOutInPiecesThenTheReplyIsAwaited) {
  ConnectHandshake handshake = ConnectHandshake::HybridVsock(52, kDeadline);
  EXPECT_EQ(handshake.state(), HandshakeState::kSending);
  EXPECT_FALSE(handshake.WantsRead());
  handshake.ConsumeTransmitted(4);
  EXPECT_EQ(handshake.PeekTransmit(), "ECT 52\n");
  handshake.ConsumeTransmitted(7);
  EXPECT_EQ(handshake.PeekTransmit(), "");
  EXPECT_EQ(handshake.state(), HandshakeState::kAwaitingReply);
  EXPECT_TRUE(handshake.WantsRead());
}

TEST(HybridVsockHandshake, FirecrackerOkLineEstablishesWithItsOpaqueNumber) {
  ConnectHandshake handshake = SentHybrid();
  EXPECT_EQ(handshake.HandleReceived("OK 1073741824\n"), 14u);
  EXPECT_TRUE(handshake.established());
  EXPECT_FALSE(handshake.WantsRead());
  EXPECT_EQ(handshake.reply(), "OK 1073741824");
  EXPECT_TRUE(handshake.error().ok());
}

TEST(HybridVsockHandshake, VhostDeviceEchoOfTheGuestPortIsAlsoOk) {
  ConnectHandshake handshake = SentHybrid(52);
  handshake.HandleReceived("OK 52\n");
  EXPECT_TRUE(handshake.established());
  EXPECT_EQ(handshake.reply(), "OK 52");
}

TEST(HybridVsockHandshake, BytesAfterTheOkLineAreLeftForTheStream) {
  ConnectHandshake handshake = SentHybrid();
  absl::string_view input = "OK 1073741825\nhello from the guest";
  size_t consumed = handshake.HandleReceived(input);
  EXPECT_TRUE(handshake.established());
  EXPECT_EQ(input.substr(consumed), "hello from the guest");
  // Later bytes are all the stream's.
  EXPECT_EQ(handshake.HandleReceived("more"), 0u);
}

TEST(HybridVsockHandshake, AnyChunkingGivesTheSameReplyAndStreamBytes) {
  const std::string wire = "OK 1073741824\nstream bytes\x00\xff!";
  for (size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    ConnectHandshake handshake = SentHybrid();
    std::string stream = FeedInChunks(handshake, wire, chunk);
    ASSERT_TRUE(handshake.established()) << "chunk " << chunk;
    EXPECT_EQ(handshake.reply(), "OK 1073741824") << "chunk " << chunk;
    EXPECT_EQ(stream, "stream bytes\x00\xff!") << "chunk " << chunk;
  }
}

TEST(HybridVsockHandshake,
     AReplyThatArrivesWhileTheRequestGoesOutCountsOnceSent) {
  ConnectHandshake handshake = ConnectHandshake::HybridVsock(52, kDeadline);
  handshake.ConsumeTransmitted(3);
  EXPECT_EQ(handshake.HandleReceived("OK 7\nab"), 5u);
  EXPECT_EQ(handshake.state(), HandshakeState::kSending);
  EXPECT_EQ(handshake.HandleReceived("ab"), 0u);  // the stream's, kept
  handshake.ConsumeTransmitted(handshake.PeekTransmit().size());
  EXPECT_TRUE(handshake.established());
  EXPECT_EQ(handshake.reply(), "OK 7");
}

TEST(HybridVsockHandshake, EndOfStreamBeforeAnyReplyIsARefusal) {
  ConnectHandshake handshake = SentHybrid(52);
  handshake.HandleTransportEof();
  ASSERT_TRUE(handshake.failed());
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kRefused);
  EXPECT_EQ(handshake.error().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(handshake.error().message(),
            "hybrid vsock: no listener on guest port 52 (the VMM closed the "
            "connection before OK)");
  EXPECT_EQ(handshake.refusal(), "the VMM closed the connection before OK");
}

TEST(HybridVsockHandshake, AResetBeforeOkIsARefusalToo) {
  ConnectHandshake handshake = SentHybrid(9);
  handshake.HandleTransportReset();
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kRefused);
  EXPECT_EQ(handshake.error().message(),
            "hybrid vsock: no listener on guest port 9 (the VMM reset the "
            "connection before OK)");
}

TEST(HybridVsockHandshake, EndOfStreamBeforeTheRequestWasTakenIsARefusal) {
  ConnectHandshake handshake = ConnectHandshake::HybridVsock(52, kDeadline);
  handshake.ConsumeTransmitted(2);
  handshake.HandleTransportEof();
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kRefused);
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("before taking the whole request"));
}

TEST(HybridVsockHandshake, EndOfStreamInTheMiddleOfTheReplyIsMalformed) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived("OK 10");
  handshake.HandleTransportEof();
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kMalformedReply);
  EXPECT_EQ(handshake.error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("in the middle of its reply \"OK 10\""));
}

TEST(HybridVsockHandshake, RepliesThatAreNotOkLinesAreMalformedAndQuoted) {
  struct Case {
    absl::string_view reply;
    absl::string_view quoted;
  };
  for (const Case& c : {
           Case{"CONNECT 52\n", "\"CONNECT 52\\n\""},  // an echo server
           Case{"ok 5\n", "\"ok 5\\n\""},
           Case{"OK\n", "\"OK\\n\""},
           Case{"OK \n", "\"OK \\n\""},
           Case{"OK 5\r\n", "\"OK 5\\x0d\\n\""},
           Case{"OK -1\n", "\"OK -1\\n\""},
           Case{"\n", "\"\\n\""},
           Case{"ERR \"x\"\n", "\"ERR \\\"x\\\"\\n\""},
       }) {
    ConnectHandshake handshake = SentHybrid();
    handshake.HandleReceived(c.reply);
    ASSERT_TRUE(handshake.failed()) << c.reply;
    EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kMalformedReply)
        << c.reply;
    EXPECT_THAT(handshake.error().message(),
                HasSubstr(absl::StrCat("malformed reply ", c.quoted,
                                       " (expected \"OK <number>\\n\")")))
        << c.reply;
  }
}

TEST(HybridVsockHandshake, AMalformedReplyFailsAtOnceWithoutWaitingForNewline) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived("X");  // a VMM that then says nothing more
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kMalformedReply);
}

TEST(HybridVsockHandshake, ALongLineFailsFromTheBoundAloneWhateverFollows) {
  const std::string digits(1 << 20, '7');
  ConnectHandshake handshake = SentHybrid();
  size_t consumed = handshake.HandleReceived(absl::StrCat("OK ", digits));
  EXPECT_EQ(consumed, ConnectHandshake::kMaxReplyBytes);
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kReplyTooLong);
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("reply longer than 32 bytes without a newline"));
  // The quote is bounded by the line buffer.
  EXPECT_LT(handshake.error().message().size(), 200u);
}

TEST(HybridVsockHandshake, ALongLineFailsByteByByteToo) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived("OK ");
  size_t fed = 3;
  while (!handshake.failed() && fed < 1000) {
    handshake.HandleReceived("1");
    ++fed;
  }
  EXPECT_EQ(fed, ConnectHandshake::kMaxReplyBytes);
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kReplyTooLong);
}

TEST(HybridVsockHandshake, ALineOfExactlyTheBoundIsAccepted) {
  std::string line =
      "OK " + std::string(ConnectHandshake::kMaxReplyBytes - 4, '1') + "\n";
  ASSERT_EQ(line.size(), ConnectHandshake::kMaxReplyBytes);
  ConnectHandshake handshake = SentHybrid();
  EXPECT_EQ(handshake.HandleReceived(line), line.size());
  EXPECT_TRUE(handshake.established());
}

TEST(HybridVsockHandshake, UnprintableBytesAreEscapedInTheQuote) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived(absl::string_view("\x01\xfe\n", 3));
  EXPECT_THAT(handshake.error().message(), HasSubstr("\"\\x01\\xfe\\n\""));
}

TEST(HybridVsockHandshake, TimesOutOnlyAtTheDeadline) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived("OK 1");
  handshake.HandleTimeout(kDeadline - absl::Milliseconds(1));
  EXPECT_EQ(handshake.state(), HandshakeState::kAwaitingReply);
  handshake.HandleTimeout(kDeadline);
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kTimeout);
  EXPECT_EQ(handshake.error().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("timed out waiting for OK (received \"OK 1\" so far)"));
}

TEST(HybridVsockHandshake, ATimeoutWhileSendingSaysHowMuchWasTaken) {
  ConnectHandshake handshake = ConnectHandshake::HybridVsock(52, kDeadline);
  handshake.ConsumeTransmitted(5);
  handshake.HandleTimeout(kDeadline + absl::Seconds(1));
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("timed out sending the request (5 of 11 bytes"));
}

TEST(HybridVsockHandshake,
     AnEstablishedHandshakeIgnoresTimersAndTheStreamsEnd) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleReceived("OK 3\n");
  handshake.HandleTimeout(kDeadline + absl::Hours(1));
  handshake.HandleTransportEof();
  handshake.HandleTransportReset();
  EXPECT_TRUE(handshake.established());
}

TEST(HybridVsockHandshake, ErrorsAreSticky) {
  ConnectHandshake handshake = SentHybrid();
  handshake.HandleTransportEof();
  absl::Status first = handshake.error();
  EXPECT_EQ(handshake.HandleReceived("OK 1\n"), 0u);
  handshake.HandleTimeout(kDeadline);
  handshake.HandleTransportReset();
  EXPECT_EQ(handshake.error(), first);
  EXPECT_EQ(handshake.PeekTransmit(), "");
}

TEST(HyperkitHandshake, RequestIsEighteenBytesOfLowerCaseHex) {
  ConnectHandshake handshake = ConnectHandshake::Hyperkit(3, 0x5000, kDeadline);
  EXPECT_EQ(handshake.PeekTransmit(), "00000003.00005000\n");
  EXPECT_EQ(handshake.PeekTransmit().size(),
            ConnectHandshake::kHyperkitRequestBytes);
  EXPECT_EQ(ConnectHandshake::Hyperkit(0xabcdef01, 0xffffffff, kDeadline)
                .PeekTransmit(),
            "abcdef01.ffffffff\n");
}

TEST(HyperkitHandshake, HasNoReplySoItIsEstablishedOnceTheRequestIsOut) {
  ConnectHandshake handshake = ConnectHandshake::Hyperkit(3, 0x5000, kDeadline);
  handshake.ConsumeTransmitted(17);
  EXPECT_EQ(handshake.state(), HandshakeState::kSending);
  handshake.ConsumeTransmitted(1);
  EXPECT_TRUE(handshake.established());
  EXPECT_FALSE(handshake.WantsRead());
  EXPECT_EQ(handshake.HandleReceived("guest data"), 0u);  // the stream's
  EXPECT_EQ(handshake.reply(), "");
}

TEST(HyperkitHandshake, EndOfStreamBeforeTheRequestWasTakenIsARefusal) {
  ConnectHandshake handshake = ConnectHandshake::Hyperkit(3, 0x5000, kDeadline);
  handshake.HandleTransportEof();
  EXPECT_EQ(handshake.error_kind(), HandshakeErrorKind::kRefused);
  EXPECT_THAT(handshake.error().message(),
              HasSubstr("hyperkit: guest CID 3 port 20480: the VMM closed"));
}

TEST(HandshakeErrorKind, EveryKindHasAName) {
  EXPECT_EQ(HandshakeErrorKindName(HandshakeErrorKind::kRefused), "refused");
  EXPECT_EQ(HandshakeErrorKindName(HandshakeErrorKind::kMalformedReply),
            "malformed reply");
  EXPECT_EQ(HandshakeErrorKindName(HandshakeErrorKind::kReplyTooLong),
            "reply too long");
  EXPECT_EQ(HandshakeErrorKindName(HandshakeErrorKind::kTimeout),
            "handshake timed out");
}

}  // namespace
}  // namespace hvsock
