// Properties of two flows over the loopback backend, under random
// scheduling, chunking and faults. Each case is one seed; rapidcheck prints
// the failing case (seed included) and shrinks it.
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "testing/pair.h"
#include "testing/pattern.h"

namespace hvsock::testing {
namespace {

// A random scenario: codec, sizes, limits and scheduling seed.
struct Scenario {
  Codec codec;
  uint64_t seed;
  size_t a_bytes, b_bytes;
  size_t a_max_write, b_max_write;
  size_t receive_limit, send_limit;
  uint32_t single_byte_percent;
};

rc::Gen<Scenario> Scenarios() {
  return rc::gen::build<Scenario>(
      rc::gen::set(&Scenario::codec,
                   rc::gen::element(Codec::kNative, Codec::kFramed)),
      rc::gen::set(&Scenario::seed, rc::gen::arbitrary<uint64_t>()),
      rc::gen::set(&Scenario::a_bytes, rc::gen::inRange<size_t>(0, 40'000)),
      rc::gen::set(&Scenario::b_bytes, rc::gen::inRange<size_t>(0, 40'000)),
      rc::gen::set(&Scenario::a_max_write, rc::gen::inRange<size_t>(1, 9000)),
      rc::gen::set(&Scenario::b_max_write, rc::gen::inRange<size_t>(1, 9000)),
      rc::gen::set(&Scenario::receive_limit,
                   rc::gen::inRange<size_t>(1, 20'000)),
      rc::gen::set(&Scenario::send_limit, rc::gen::inRange<size_t>(1, 20'000)),
      rc::gen::set(&Scenario::single_byte_percent,
                   rc::gen::inRange<uint32_t>(0, 100)));
}

PairOptions OptionsFor(const Scenario& s) {
  PairOptions options;
  options.seed = s.seed;
  for (FlowOptions* flow : {&options.flow_a, &options.flow_b}) {
    flow->codec = s.codec;
    flow->receive_limit = s.receive_limit;
    flow->send_limit = s.send_limit;
  }
  options.app_a.to_send = PatternBytes(s.a_bytes, s.seed ^ 0xa);
  options.app_b.to_send = PatternBytes(s.b_bytes, s.seed ^ 0xb);
  options.app_a.max_write = s.a_max_write;
  options.app_b.max_write = s.b_max_write;
  options.faults.single_byte_percent = s.single_byte_percent;
  return options;
}

// How rapidcheck prints a failing scenario (found by argument lookup).
void showValue(const Scenario& s, std::ostream& os) {
  os << "codec=" << CodecName(s.codec) << " seed=" << s.seed
     << " a_bytes=" << s.a_bytes << " b_bytes=" << s.b_bytes
     << " a_max_write=" << s.a_max_write << " b_max_write=" << s.b_max_write
     << " receive_limit=" << s.receive_limit << " send_limit=" << s.send_limit
     << " single_byte_percent=" << s.single_byte_percent;
}

// Exact delivery, both directions at once; Eof after the last byte; both
// closes complete.
RC_GTEST_PROP(PairProperties, DeliversExactlyTheBytesWrittenBothWays, ()) {
  Scenario s = *Scenarios();
  RC_TAG(CodecName(s.codec));
  PairOptions options = OptionsFor(s);
  Pair pair(options);
  absl::Status run = pair.Run();
  RC_ASSERT(run.ok());
  for (Side side : {Side::kA, Side::kB}) {
    const AppScript& peer = side == Side::kA ? options.app_b : options.app_a;
    const Outcome& out = pair.outcome(side);
    RC_ASSERT(out.received == peer.to_send);
    RC_ASSERT(out.eof);
    RC_ASSERT(out.read_error.ok());
    RC_ASSERT(out.close_completed);
    RC_ASSERT(pair.flow(side).state() == FlowState::kClosed);
  }
}

// Eof never comes before the last byte, checked after every step.
RC_GTEST_PROP(PairProperties, EofNeverBeforeTheLastByte, ()) {
  Scenario s = *Scenarios();
  PairOptions options = OptionsFor(s);
  Pair pair(options);
  bool early_eof = false;
  pair.SetObserver([&](Pair& p) {
    for (Side side : {Side::kA, Side::kB}) {
      const AppScript& peer = side == Side::kA ? options.app_b : options.app_a;
      const Outcome& out = p.outcome(side);
      if (out.eof && out.received.size() != peer.to_send.size()) {
        early_eof = true;
      }
      // What has arrived is always a prefix of what was sent.
      if (peer.to_send.compare(0, out.received.size(), out.received) != 0) {
        early_eof = true;
      }
    }
  });
  RC_ASSERT(pair.Run().ok());
  RC_ASSERT(!early_eof);
}

// The application sees the same bytes and outcomes however the transport
// chunks and schedules them.
RC_GTEST_PROP(PairProperties, SchedulingDoesNotChangeWhatTheApplicationSees,
              ()) {
  Scenario s = *Scenarios();
  uint64_t other_seed = *rc::gen::arbitrary<uint64_t>();
  PairOptions first = OptionsFor(s);
  PairOptions second = first;
  second.seed = other_seed;
  second.faults.single_byte_percent = 100 - s.single_byte_percent;
  Pair one(first), two(second);
  RC_ASSERT(one.Run().ok());
  RC_ASSERT(two.Run().ok());
  for (Side side : {Side::kA, Side::kB}) {
    RC_ASSERT(one.outcome(side).received == two.outcome(side).received);
    RC_ASSERT(one.outcome(side).eof == two.outcome(side).eof);
    RC_ASSERT(one.flow(side).state() == two.flow(side).state());
  }
}

// Close completes on both ends iff both closed. With one close, the other
// end reads everything, then Eof; the closer waits in close-wait until its
// close timeout (the harness jumps the clock when nothing else can happen)
// and then fails with kCloseTimeout.
RC_GTEST_PROP(PairProperties, CloseCompletesIffBothClose, ()) {
  Scenario s = *Scenarios();
  bool a_closes = *rc::gen::arbitrary<bool>();
  bool b_closes = *rc::gen::arbitrary<bool>();
  PairOptions options = OptionsFor(s);
  options.app_a.close_when_done = a_closes;
  options.app_b.close_when_done = b_closes;
  Pair pair(options);
  RC_ASSERT(pair.Run().ok());
  bool both = a_closes && b_closes;
  RC_ASSERT(pair.outcome(Side::kA).close_completed == both);
  RC_ASSERT(pair.outcome(Side::kB).close_completed == both);
  if (a_closes != b_closes) {
    Side closer = a_closes ? Side::kA : Side::kB;
    Side other = a_closes ? Side::kB : Side::kA;
    RC_ASSERT(
        IsFlowError(pair.flow(closer).error(), FlowErrorKind::kCloseTimeout));
    RC_ASSERT(pair.outcome(other).eof);
    RC_ASSERT(pair.outcome(other).received.size() ==
              (a_closes ? s.a_bytes : s.b_bytes));
  }
  if (!a_closes && !b_closes) {
    RC_ASSERT(pair.flow(Side::kA).state() == FlowState::kOpen);
    RC_ASSERT(pair.flow(Side::kB).state() == FlowState::kOpen);
  }
}

// Memory stays within the configured limits at every step, even when a
// reader stalls and the writer keeps writing.
RC_GTEST_PROP(PairProperties, MemoryStaysWithinLimits, ()) {
  Scenario s = *Scenarios();
  PairOptions options = OptionsFor(s);
  options.app_b.reads = *rc::gen::arbitrary<bool>();  // maybe stalled
  Pair pair(options);
  RC_ASSERT(pair.Run().ok());
  for (Side side : {Side::kA, Side::kB}) {
    const Outcome& out = pair.outcome(side);
    const AppScript& script = side == Side::kA ? options.app_a : options.app_b;
    RC_ASSERT(out.max_receive_buffered <= s.receive_limit);
    RC_ASSERT(out.max_send_queued < s.send_limit + script.max_write);
  }
}

// The same seed gives the same transcript.
RC_GTEST_PROP(PairProperties, SameSeedSameTranscript, ()) {
  Scenario s = *Scenarios();
  PairOptions options = OptionsFor(s);
  options.record_transcript = true;
  Pair one(options), two(options);
  RC_ASSERT(one.Run().ok());
  RC_ASSERT(two.Run().ok());
  RC_ASSERT(one.transcript() == two.transcript());
  RC_ASSERT(one.transcript_hash() == two.transcript_hash());
}

// Under a reset at any step (both codecs) or a cut of the transport with
// in-flight bytes lost (framed: native has no end marker, so a transport
// that lies about EOF cannot be detected there), nothing crashes, nothing
// hangs, and a side that did not get every byte never sees a clean Eof.
RC_GTEST_PROP(PairProperties, FaultsNeverLookLikeACleanEof, ()) {
  Scenario s = *Scenarios();
  bool cut = *rc::gen::arbitrary<bool>();
  if (cut) s.codec = Codec::kFramed;
  PairOptions options = OptionsFor(s);
  uint64_t at = *rc::gen::inRange<uint64_t>(1, 3000);
  RC_TAG(cut ? "cut" : "reset");
  if (cut) {
    options.faults.cut_at_step = at;
  } else {
    options.faults.reset_at_step = at;
  }
  Pair pair(options);
  RC_ASSERT(pair.Run().ok());  // no livelock, no hang
  for (Side side : {Side::kA, Side::kB}) {
    const AppScript& peer = side == Side::kA ? options.app_b : options.app_a;
    const Outcome& out = pair.outcome(side);
    RC_ASSERT(peer.to_send.compare(0, out.received.size(), out.received) == 0);
    if (out.received.size() < peer.to_send.size()) {
      RC_ASSERT(!out.eof);
    }
    if (out.eof) RC_ASSERT(out.received == peer.to_send);
  }
}

TEST(PairProperties, LivelockIsReported) {
  PairOptions options;
  options.app_a.to_send = std::string(100000, 'x');
  options.max_steps = 10;
  Pair pair(options);
  absl::Status run = pair.Run();
  EXPECT_TRUE(absl::IsDeadlineExceeded(run));
  EXPECT_NE(run.message().find("seed"), absl::string_view::npos);
}

}  // namespace
}  // namespace hvsock::testing
