// Timeouts bound a peer that has stopped, not one that is slow: the close
// timeout and the idle timeout both measure time without progress (a byte
// received or sent), so a peer that keeps moving bytes, however slowly, is
// never timed out, and one that goes silent always is, exactly one timeout
// after its last byte.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace hvsock {
namespace {

const absl::Time kT0 = absl::UnixEpoch();
constexpr absl::Duration kTimeout = absl::Seconds(2);

Flow NewFlow(Codec codec, absl::Duration idle = absl::InfiniteDuration()) {
  FlowOptions options;
  options.codec = codec;
  options.close_timeout = kTimeout;
  options.idle_timeout = idle;
  return Flow::Create(options).value();
}

// The peer's bytes, one wire byte at a time: a stream of one-byte Data
// frames (framed) or plain bytes (native).
std::string PeerWire(Codec codec, size_t payload_bytes) {
  std::string wire;
  for (size_t i = 0; i < payload_bytes; ++i) {
    if (codec == Codec::kFramed) wire += FrameHeader(1);
    wire += static_cast<char>('a' + i % 26);
  }
  return wire;
}

// Gaps between the peer's bytes, each shorter than the timeout.
rc::Gen<std::vector<int64_t>> GapsBelowTheTimeout() {
  return rc::gen::container<std::vector<int64_t>>(
      rc::gen::inRange<int64_t>(0, absl::ToInt64Milliseconds(kTimeout)));
}

// As a driver does: the clock first, then the IO.
void Tick(Flow& flow, absl::Time now) { flow.HandleTimeout(now); }

void Drain(Flow& flow) {
  while (true) {
    absl::StatusOr<ReadResult> r = flow.Read();
    if (!r.ok() || !r->is_data()) return;
  }
}

RC_GTEST_PROP(CloseTimeout, ASlowPeerThatKeepsSendingIsNeverTimedOut, ()) {
  const Codec codec = *rc::gen::element(Codec::kNative, Codec::kFramed);
  const std::vector<int64_t> gaps = *GapsBelowTheTimeout();
  Flow flow = NewFlow(codec);
  RC_ASSERT(flow.Close(kT0).ok());
  std::string wire = PeerWire(codec, gaps.size());
  const size_t per_byte = codec == Codec::kFramed ? kFrameHeaderSize + 1 : 1;
  absl::Time now = kT0;
  size_t at = 0;
  for (int64_t gap : gaps) {
    // Each gap passes in wire-byte steps: every byte restarts the timer.
    for (size_t i = 0; i < per_byte; ++i) {
      now += absl::Milliseconds(gap) / static_cast<int64_t>(per_byte);
      Tick(flow, now);
      RC_ASSERT(flow.state() != FlowState::kFailed);
      RC_ASSERT(flow.HandleReceived(wire.substr(at++, 1)) == 1u);
      RC_ASSERT(flow.NextDeadline() == now + kTimeout);
    }
    Drain(flow);
  }
  RC_ASSERT(flow.state() != FlowState::kFailed);
}

RC_GTEST_PROP(CloseTimeout,
              APeerThatGoesSilentIsTimedOutOneTimeoutAfterItsLastByte, ()) {
  const Codec codec = *rc::gen::element(Codec::kNative, Codec::kFramed);
  const std::vector<int64_t> gaps = *GapsBelowTheTimeout();
  Flow flow = NewFlow(codec);
  RC_ASSERT(flow.Close(kT0).ok());
  absl::Time now = kT0;
  absl::Time last_byte = kT0;
  std::string wire = PeerWire(codec, gaps.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    now += absl::Milliseconds(gaps[i % gaps.size()]) / 8;
    Tick(flow, now);
    RC_ASSERT(flow.HandleReceived(wire.substr(i, 1)) == 1u);
    last_byte = now;
  }
  Drain(flow);
  // Silence: not a moment early, then at once.
  Tick(flow, last_byte + kTimeout - absl::Nanoseconds(1));
  RC_ASSERT(flow.state() != FlowState::kFailed);
  Tick(flow, last_byte + kTimeout);
  RC_ASSERT(flow.state() == FlowState::kFailed);
  RC_ASSERT(IsFlowError(flow.error(), FlowErrorKind::kCloseTimeout));
}

RC_GTEST_PROP(CloseTimeout, OurSlowFlushAlsoCountsAsProgress, ()) {
  const Codec codec = *rc::gen::element(Codec::kNative, Codec::kFramed);
  const std::vector<int64_t> gaps = *GapsBelowTheTimeout();
  Flow flow = NewFlow(codec);
  RC_ASSERT(flow.Write(std::string(gaps.size() + 1, 'x')).ok());
  RC_ASSERT(flow.Close(kT0).ok());
  absl::Time now = kT0;
  absl::string_view spans[4];
  for (int64_t gap : gaps) {
    now += absl::Milliseconds(gap);
    Tick(flow, now);
    RC_ASSERT(flow.state() != FlowState::kFailed);
    // The transport takes one byte at a time (a slow reader).
    RC_ASSERT(flow.PeekTransmit(absl::MakeSpan(spans)) > 0u);
    flow.ConsumeTransmitted(1);
  }
  RC_ASSERT(flow.state() != FlowState::kFailed);
}

RC_GTEST_PROP(IdleTimeout, BytesEitherWayKeepAnOpenFlowAliveAndSilenceEndsIt,
              ()) {
  const Codec codec = *rc::gen::element(Codec::kNative, Codec::kFramed);
  const std::vector<int64_t> gaps = *GapsBelowTheTimeout();
  Flow flow = NewFlow(codec, /*idle=*/kTimeout);
  std::string wire = PeerWire(codec, gaps.size());
  RC_ASSERT(flow.Write(std::string(gaps.size(), 'x')).ok());
  absl::Time now = kT0;
  Tick(flow, now);
  absl::string_view spans[4];
  size_t received = 0;
  for (size_t i = 0; i < gaps.size(); ++i) {
    now += absl::Milliseconds(gaps[i]);
    Tick(flow, now);
    RC_ASSERT(flow.state() == FlowState::kOpen);
    // Progress alternates: a byte from the peer, or one of ours leaving.
    if (i % 2 == 0 && received < wire.size()) {
      RC_ASSERT(flow.HandleReceived(wire.substr(received++, 1)) == 1u);
    } else if (flow.PeekTransmit(absl::MakeSpan(spans)) > 0) {
      flow.ConsumeTransmitted(1);
    }
    Drain(flow);
  }
  const absl::Time last = now;
  Tick(flow, last + kTimeout - absl::Nanoseconds(1));
  RC_ASSERT(flow.state() == FlowState::kOpen);
  Tick(flow, last + kTimeout);
  RC_ASSERT(flow.state() == FlowState::kFailed);
  RC_ASSERT(IsFlowError(flow.error(), FlowErrorKind::kIdleTimeout));
  // Like an abort, unread bytes are dropped: reads report the error.
  RC_ASSERT(!flow.Read().ok());
}

// A slow local reader is not a stopped peer: while the receive buffer is
// full the flow waits for its application, and the close timer waits too;
// it restarts when the application reads.
TEST(CloseTimeout, PausesWhileTheApplicationHasNotReadAFullBuffer) {
  FlowOptions options;
  options.receive_limit = 8;
  options.close_timeout = kTimeout;
  Flow flow = Flow::Create(options).value();
  ASSERT_TRUE(flow.Close(kT0).ok());
  flow.HandleTimeout(kT0);
  ASSERT_EQ(flow.HandleReceived("12345678"), 8u);  // full
  EXPECT_EQ(flow.NextDeadline(), std::nullopt);
  flow.HandleTimeout(kT0 + 100 * kTimeout);
  EXPECT_NE(flow.state(), FlowState::kFailed);
  const absl::Time read_at = kT0 + 100 * kTimeout;
  absl::StatusOr<ReadResult> read = flow.Read();
  ASSERT_TRUE(read.ok() && read->is_data());
  EXPECT_EQ(flow.NextDeadline(), read_at + kTimeout);
  flow.HandleTimeout(read_at + kTimeout - absl::Nanoseconds(1));
  EXPECT_NE(flow.state(), FlowState::kFailed);
  flow.HandleTimeout(read_at + kTimeout);  // the peer has stopped
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kCloseTimeout));
}

TEST(IdleTimeout, IsOffByDefault) {
  Flow flow = NewFlow(Codec::kNative);
  flow.HandleTimeout(kT0);
  EXPECT_EQ(flow.NextDeadline(), std::nullopt);
  flow.HandleTimeout(kT0 + absl::Hours(24 * 365));
  EXPECT_EQ(flow.state(), FlowState::kOpen);
}

TEST(IdleTimeout, StartsAtTheFirstTimeTheFlowIsGiven) {
  Flow flow = NewFlow(Codec::kNative, absl::Seconds(5));
  EXPECT_EQ(flow.NextDeadline(), std::nullopt);  // no time known yet
  flow.HandleTimeout(kT0 + absl::Seconds(100));
  EXPECT_EQ(flow.NextDeadline(), kT0 + absl::Seconds(105));
}

TEST(CloseTimeout, TheEarlierOfIdleAndCloseDeadlinesIsTheNextDeadline) {
  Flow flow = NewFlow(Codec::kNative, absl::Seconds(1));
  ASSERT_TRUE(flow.Close(kT0).ok());
  EXPECT_EQ(flow.NextDeadline(), kT0 + absl::Seconds(1));
  flow.HandleTimeout(kT0 + absl::Seconds(1));
  EXPECT_TRUE(IsFlowError(flow.error(), FlowErrorKind::kIdleTimeout));
}

TEST(CloseTimeout, InvalidDurationsAreRejectedWithTheirUnit) {
  FlowOptions options;
  options.close_timeout = absl::ZeroDuration();
  absl::Status zero = Flow::Create(options).status();
  EXPECT_FALSE(zero.ok());
  EXPECT_NE(zero.message().find("close_timeout must be positive, got 0s"),
            absl::string_view::npos)
      << zero;
  options.close_timeout = absl::Seconds(1);
  options.idle_timeout = absl::Milliseconds(-5);
  absl::Status negative = Flow::Create(options).status();
  EXPECT_NE(negative.message().find("got -5ms"), absl::string_view::npos)
      << negative;
}

}  // namespace
}  // namespace hvsock
