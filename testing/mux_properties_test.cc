// Properties of two multiplexer connections joined by the loopback pipes,
// under random scheduling and chunking, with channels opened from both ends
// at once. Each case is one seed; rapidcheck prints the failing case.
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/flow.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "testing/mux_pair.h"
#include "testing/pair.h"
#include "testing/pattern.h"

namespace hvsock::testing {
namespace {

struct Scenario {
  uint64_t seed;
  int channels;
  size_t max_bytes;
  uint32_t window;
  size_t receive_budget;
  size_t channel_send_limit;
  size_t max_write;
  uint32_t single_byte_percent;
};

rc::Gen<Scenario> Scenarios() {
  return rc::gen::build<Scenario>(
      rc::gen::set(&Scenario::seed, rc::gen::arbitrary<uint64_t>()),
      rc::gen::set(&Scenario::channels, rc::gen::inRange(1, 9)),
      rc::gen::set(&Scenario::max_bytes, rc::gen::inRange<size_t>(0, 6000)),
      rc::gen::set(&Scenario::window, rc::gen::inRange<uint32_t>(1, 9000)),
      rc::gen::set(&Scenario::receive_budget,
                   rc::gen::inRange<size_t>(0, 30'000)),
      rc::gen::set(&Scenario::channel_send_limit,
                   rc::gen::inRange<size_t>(1, 30'000)),
      rc::gen::set(&Scenario::max_write, rc::gen::inRange<size_t>(1, 6000)),
      rc::gen::set(&Scenario::single_byte_percent,
                   rc::gen::inRange<uint32_t>(0, 40)));
}

void showValue(const Scenario& s, std::ostream& os) {
  os << "seed=" << s.seed << " channels=" << s.channels
     << " max_bytes=" << s.max_bytes << " window=" << s.window
     << " receive_budget=" << s.receive_budget
     << " channel_send_limit=" << s.channel_send_limit
     << " max_write=" << s.max_write
     << " single_byte_percent=" << s.single_byte_percent;
}

MuxPairOptions OptionsFor(const Scenario& s, bool all_close = true) {
  MuxPairOptions o;
  o.seed = s.seed;
  for (MuxOptions* m : {&o.a, &o.b}) {
    m->window = s.window;
    m->quantum = std::max<uint32_t>(1, s.window / 2);
    m->max_data_payload = std::max<uint32_t>(s.window, 1024);
    m->max_live_channels = 16;
    m->receive_budget = 32 + s.receive_budget;
    m->channel_send_limit = s.channel_send_limit;
  }
  o.max_write = s.max_write;
  o.single_byte_percent = s.single_byte_percent;
  Prng prng(s.seed ^ 0x5eed);
  for (int i = 0; i < s.channels; ++i) {
    MuxChannelScript c;
    c.opened_by_a = prng.Percent(50);
    c.a_sends = PatternBytes(prng.Between(0, s.max_bytes), s.seed + 2 * i);
    c.b_sends = PatternBytes(prng.Between(0, s.max_bytes), s.seed + 2 * i + 1);
    c.a_closes = all_close;
    c.b_closes = all_close;
    o.channels.push_back(std::move(c));
  }
  return o;
}

// Regression (issue 13): with a one-byte window a channel stalled after its
// first byte, because the receiver tops up its grant when less than half
// the window is left and half of one byte rounded down to zero. Found by the
// property below under a random seed; this is its shrunk case.
TEST(MuxPairRegression, AOneByteWindowDeliversEveryByteBothWays) {
  const Scenario s{.seed = 0,
                   .channels = 1,
                   .max_bytes = 2,
                   .window = 1,
                   .receive_budget = 0,
                   .channel_send_limit = 1,
                   .max_write = 1,
                   .single_byte_percent = 0};
  MuxPairOptions o = OptionsFor(s);
  MuxPair pair(o);
  ASSERT_TRUE(pair.Run().ok());
  ASSERT_EQ(o.channels[0].a_sends.size(), 2u);  // the case needs two bytes
  ASSERT_EQ(o.channels[0].b_sends.size(), 2u);
  EXPECT_EQ(pair.outcome(0, true).read, o.channels[0].b_sends);
  EXPECT_EQ(pair.outcome(0, false).read, o.channels[0].a_sends);
  EXPECT_EQ(pair.outcome(0, true).state, FlowState::kClosed);
  EXPECT_EQ(pair.outcome(0, false).state, FlowState::kClosed);
}

RC_GTEST_PROP(MuxPairProperties,
              EveryChannelDeliversItsBytesExactlyBothWaysThenEofAndCloses, ()) {
  const Scenario s = *Scenarios();
  MuxPairOptions o = OptionsFor(s);
  MuxPair pair(o);
  absl::Status run = pair.Run();
  RC_ASSERT(run.ok());
  for (size_t i = 0; i < o.channels.size(); ++i) {
    const MuxEndOutcome& a = pair.outcome(i, true);
    const MuxEndOutcome& b = pair.outcome(i, false);
    RC_ASSERT(a.read == o.channels[i].b_sends);
    RC_ASSERT(b.read == o.channels[i].a_sends);
    RC_ASSERT(a.eof && b.eof);
    RC_ASSERT(a.state == FlowState::kClosed);
    RC_ASSERT(b.state == FlowState::kClosed);
  }
  RC_ASSERT(pair.a().stats().live_ids == 0u);
  RC_ASSERT(pair.b().stats().live_ids == 0u);
}

RC_GTEST_PROP(MuxPairProperties, HalfClosedChannelsStillDeliverTheOtherWay,
              ()) {
  Scenario s = *Scenarios();
  MuxPairOptions o = OptionsFor(s, /*all_close=*/false);
  for (MuxChannelScript& c : o.channels) c.a_closes = true;  // only a closes
  MuxPair pair(o);
  RC_ASSERT(pair.Run().ok());
  for (size_t i = 0; i < o.channels.size(); ++i) {
    RC_ASSERT(pair.outcome(i, false).read == o.channels[i].a_sends);
    RC_ASSERT(pair.outcome(i, false).eof);
    RC_ASSERT(pair.outcome(i, true).read == o.channels[i].b_sends);
    RC_ASSERT(!pair.outcome(i, true).eof);  // b never closed
  }
}

RC_GTEST_PROP(MuxPairProperties, SameSeedGivesTheSameTranscript, ()) {
  const Scenario s = *Scenarios();
  MuxPair first(OptionsFor(s));
  MuxPair second(OptionsFor(s));
  RC_ASSERT(first.Run().ok());
  RC_ASSERT(second.Run().ok());
  RC_ASSERT(first.transcript_hash() == second.transcript_hash());
  RC_ASSERT(first.steps() == second.steps());
}

}  // namespace
}  // namespace hvsock::testing
