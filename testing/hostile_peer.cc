#include "testing/hostile_peer.h"

#include <algorithm>
#include <cctype>

#include "core/frame.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"

namespace hvsock::testing {
namespace {

using Act = PeerAct::Kind;

PeerAct Send(std::string bytes) { return {Act::kSend, std::move(bytes)}; }
PeerAct End() { return {Act::kEnd, ""}; }
PeerAct Reset() { return {Act::kReset, ""}; }
PeerAct Expect(std::string bytes) { return {Act::kExpect, std::move(bytes)}; }

// `wire` sent in pieces of 1, 2 and 3 bytes in turn, so every 4-byte header
// is split across reads somewhere.
std::vector<PeerAct> SendInSlivers(const std::string& wire) {
  std::vector<PeerAct> acts;
  size_t size = 1;
  for (size_t at = 0; at < wire.size(); at += size, size = size % 3 + 1) {
    acts.push_back(Send(wire.substr(at, size)));
  }
  return acts;
}

std::string DataFrames(const std::string& payload, size_t frame) {
  std::string wire;
  for (size_t at = 0; at < payload.size(); at += frame) {
    wire += DataFrame(payload.substr(at, frame));
  }
  return wire;
}

std::vector<HostileCase> MakeCases() {
  const std::string kShutdownRead = FrameHeader(kFrameShutdownRead);
  const std::string kShutdownWrite = FrameHeader(kFrameShutdownWrite);
  const std::string kClose = FrameHeader(kFrameClose);
  const std::string kAtLimit =
      testing::PatternBytes(kDefaultMaxReceiveFrame, 1);
  const std::string kFlood = testing::PatternBytes(4 << 20, 1);
  // A reset on a Unix socket needs unread bytes on the resetting side, so
  // the local application sends some that the peer never reads.
  const std::string kUnread = "never read by the peer";

  std::string zero_flood;
  for (int i = 0; i < 100'000; ++i) zero_flood += FrameHeader(0);

  std::vector<HostileCase> cases;
  auto add = [&](HostileCase c) { cases.push_back(std::move(c)); };
  constexpr Codec F = Codec::kFramed;
  constexpr Codec N = Codec::kNative;
  using K = FlowErrorKind;

  // ── Lengths ────────────────────────────────────────────────────────
  add({.story = "sends a length of 0xffffffff",
       .codec = F,
       .peer = {Send(DataFrame("kept") + FrameHeader(0xffffffff) + "xx")},
       .delivered = "kept",
       .error = K::kProtocol});
  add({.story = "sends a length one above the receive limit",
       .codec = F,
       .peer = {Send(DataFrame("kept") +
                     FrameHeader(kDefaultMaxReceiveFrame + 1) +
                     testing::PatternBytes(64, 1))},
       .delivered = "kept",
       .error = K::kProtocol});
  add({.story = "sends a frame exactly at the receive limit",
       .codec = F,
       .peer = {Send(DataFrame(kAtLimit) + kShutdownWrite), End()},
       .delivered = kAtLimit});

  // ── Control values ─────────────────────────────────────────────────
  {
    HostileCase c{.story = "splits every header across reads",
                  .codec = F,
                  .local_sends = "hello",
                  .delivered = "abc",
                  .late_write_error = K::kClosed};
    c.peer = SendInSlivers(DataFrame("a") + FrameHeader(0) + DataFrame("bc") +
                           kShutdownRead + kShutdownWrite);
    c.peer.push_back(End());
    add(std::move(c));
  }
  add({.story = "sends data after its ShutdownWrite",
       .codec = F,
       .peer = {Send(DataFrame("end") + kShutdownWrite + DataFrame("more"))},
       .delivered = "end",
       .fails_after_eof = K::kProtocol});
  add({.story = "sends data after its Close",
       .codec = F,
       .peer = {Send(DataFrame("end") + kClose + DataFrame("more"))},
       .delivered = "end",
       .fails_after_eof = K::kProtocol});
  add({.story = "sends ShutdownRead while our data is queued",
       .codec = F,
       .local_sends = testing::PatternBytes(200 * 1024, 1),
       .peer = {Send(kShutdownRead + DataFrame("bye") + kShutdownWrite), End()},
       .delivered = "bye",
       .late_write_error = K::kClosed});

  // ── Floods ─────────────────────────────────────────────────────────
  add({.story = "floods a stalled reader with framed data",
       .codec = F,
       .peer = {Send(DataFrames(kFlood, 4096) + kShutdownWrite), End()},
       .delivered = kFlood});
  add({.story = "floods a stalled reader with native data",
       .codec = N,
       .peer = {Send(kFlood), End()},
       .delivered = kFlood});
  add({.story = "floods zero-length data frames",
       .codec = F,
       .peer = {Send(zero_flood + DataFrame("x") + kShutdownWrite), End()},
       .delivered = "x"});

  // ── Endings ────────────────────────────────────────────────────────
  add({.story = "never ends its side while we close",
       .codec = F,
       .local_sends = "bye",
       .local_closes = true,
       .peer = {Send(DataFrame("still talking"))},
       .delivered = "still talking",
       .error = K::kCloseTimeout});
  add({.story = "never ends its native side while we close",
       .codec = N,
       .local_sends = "bye",
       .local_closes = true,
       .peer = {Send("still talking")},
       .delivered = "still talking",
       .error = K::kCloseTimeout});
  add({.story = "ends mid-frame",
       .codec = F,
       .peer = {Send(DataFrame("whole") + FrameHeader(10) + "12345"), End()},
       .delivered = "whole12345",
       .error = K::kTruncated});
  add({.story = "ends mid-header",
       .codec = F,
       .peer = {Send(DataFrame("whole") + kShutdownWrite.substr(0, 2)), End()},
       .delivered = "whole",
       .error = K::kTruncated});
  add({.story = "ends without an end marker",
       .codec = F,
       .peer = {Send(DataFrame("whole")), End()},
       .delivered = "whole",
       .error = K::kTruncated});
  add({.story = "ends its writes then hangs up while we close",
       .codec = F,
       .local_sends = "bye",
       .local_closes = true,
       .peer = {Send(DataFrame("last") + kShutdownWrite), End()},
       .delivered = "last"});
  add({.story = "sends empty data after its end marker",
       .codec = F,
       .peer = {Send(DataFrame("x") + kShutdownWrite + FrameHeader(0) +
                     FrameHeader(0)),
                End()},
       .delivered = "x"});
  add({.story = "ends mid-frame while we close",
       .codec = F,
       .local_sends = "bye",
       .local_closes = true,
       .peer = {Send(FrameHeader(10) + "12345"), End()},
       .delivered = "12345",
       .error = K::kTruncated});

  // ── Close handshakes of other implementations ─────────────────────────
  // ocaml-hvsock's close: ShutdownWrite, wait for the peer's, send Close,
  // wait for the peer's Close (or ShutdownRead, or EOF), then close the
  // socket. (Written from that description, not from its code.)
  add({.story = "closes like ocaml-hvsock after our close",
       .codec = F,
       .local_sends = "request",
       .local_closes = true,
       .peer = {Expect(DataFrame("request") + kShutdownWrite),
                Send(DataFrame("response") + kShutdownWrite), Expect(kClose),
                Send(kClose), End()},
       .delivered = "response",
       .completes = true});
  add({.story = "closes like ocaml-hvsock before our end arrives",
       .codec = F,
       .local_sends = "response",
       .local_closes = true,
       // Our end marker is ShutdownWrite or Close, whichever the peer's
       // ShutdownWrite finds: the peer waits for our data, then closes.
       .peer = {Send(DataFrame("request") + kShutdownWrite),
                Expect(DataFrame("response")), Send(kClose), End()},
       .delivered = "request",
       .completes = true});
  add({.story = "closes its socket once both have ended",
       .codec = F,
       .local_sends = "request",
       .local_closes = true,
       .peer = {Expect(DataFrame("request") + kShutdownWrite),
                Send(DataFrame("response") + kShutdownWrite), Expect(kClose),
                End()},
       .delivered = "response",
       .completes = true});
  add({.story = "ends with Close at once",
       .codec = F,
       .local_sends = "request",
       .local_closes = true,
       .peer = {Send(DataFrame("response") + kClose), End()},
       .delivered = "response",
       .completes = true});

  // ── Resets ─────────────────────────────────────────────────────────
  add({.story = "resets after data",
       .codec = F,
       .local_sends = kUnread,
       .peer = {Send(DataFrame("before")), Reset()},
       .delivered = "before",
       .error = K::kReset});
  add({.story = "resets mid-frame",
       .codec = F,
       .local_sends = kUnread,
       .peer = {Send(FrameHeader(10) + "12345"), Reset()},
       .delivered = "12345",
       .error = K::kReset});
  add({.story = "resets after its end marker",
       .codec = F,
       .local_sends = kUnread,
       .peer = {Send(DataFrame("all") + kShutdownWrite), Reset()},
       .delivered = "all",
       .fails_after_eof = K::kReset});
  add({.story = "resets while we close",
       .codec = F,
       .local_sends = kUnread,
       .local_closes = true,
       .peer = {Send(DataFrame("last")), Reset()},
       .delivered = "last",
       .error = K::kReset});
  add({.story = "resets a native stream",
       .codec = N,
       .local_sends = kUnread,
       .peer = {Send("before"), Reset()},
       .delivered = "before",
       .error = K::kReset});
  add({.story = "resets a native stream while we close",
       .codec = N,
       .local_sends = kUnread,
       .local_closes = true,
       .peer = {Send("last"), Reset()},
       .delivered = "last",
       .error = K::kReset});
  return cases;
}

}  // namespace

FlowOptions HostileCaseOptions(Codec codec) {
  FlowOptions options;
  options.codec = codec;
  options.close_timeout = absl::Milliseconds(200);
  return options;
}

const std::vector<HostileCase>& HostileCases() {
  static const auto* cases = new std::vector<HostileCase>(MakeCases());
  return *cases;
}

std::string HostileCaseName(const HostileCase& c) {
  std::string name;
  bool upper = true;
  for (const char* p = c.story; *p != '\0'; ++p) {
    unsigned char ch = static_cast<unsigned char>(*p);
    if (!std::isalnum(ch)) {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(ch)) : static_cast<char>(ch);
    upper = false;
  }
  return name;
}

void ExpectWithinLimits(const Flow& flow) {
  FlowStats stats = flow.stats();
  ASSERT_LE(stats.receive_buffered, flow.options().receive_limit);
  ASSERT_LE(stats.send_queued, flow.options().send_limit);
}

void PeerReader::Check() const {
  const size_t n = std::min(received_.size(), expected_.size());
  EXPECT_TRUE(received_.compare(0, n, expected_, 0, n) == 0)
      << "the peer read other bytes than it waits for";
}

void ExpectOutcome(const HostileCase& c, const testing::ReadLog& seen,
                   const Flow& flow, bool peer_write_refused) {
  if (c.completes) {
    EXPECT_EQ(flow.state(), FlowState::kClosed) << flow.error();
    EXPECT_FALSE(peer_write_refused)
        << "the flow closed the transport before the peer's last write";
  }
  EXPECT_EQ(seen.received.size(), c.delivered.size());
  EXPECT_TRUE(seen.received == c.delivered) << "delivered bytes differ";
  ASSERT_TRUE(seen.ReadEnded()) << "the flow neither ended nor failed: state "
                                << FlowStateName(flow.state());
  if (c.error.has_value()) {
    EXPECT_FALSE(seen.eof) << "a clean Eof hid the peer's misbehaviour";
    EXPECT_TRUE(IsFlowError(seen.read_error, *c.error)) << seen.read_error;
  } else {
    EXPECT_TRUE(seen.eof) << seen.read_error;
  }
  if (c.fails_after_eof.has_value()) {
    EXPECT_TRUE(IsFlowError(flow.error(), *c.fails_after_eof)) << flow.error();
  } else if (!c.error.has_value()) {
    EXPECT_TRUE(flow.error().ok()) << flow.error();
  }
  if (flow.IsFinished()) {
    EXPECT_EQ(flow.stats().receive_buffered, 0u);
    if (flow.state() == FlowState::kFailed) {
      EXPECT_EQ(flow.stats().send_queued, 0u);
    }
  }
}

std::string DataFrame(const std::string& payload) {
  return FrameHeader(static_cast<uint32_t>(payload.size())) + payload;
}

}  // namespace hvsock::testing
