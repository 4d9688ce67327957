// Walks the whole state table: every (state, input) pair, on a real Flow
// brought into that state through its public API, for both codecs. Each
// pair either follows its row (next state, and the row's effects as the
// application sees them), or, when the table has none, fails the flow with
// an error that names the state and the input.
#include "core/flow_state.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "core/frame.h"
#include "gtest/gtest.h"
#include "testing/scripted_app.h"
#include "testing/wire_by_hand.h"

namespace hvsock {

// Feeds one table input straight into a flow (the friend the flow names).
class FlowTableWalk {
 public:
  static absl::Status Apply(Flow& flow, FlowInput input) {
    return flow.Step(input, "xy", CauseFor(input));
  }
  static absl::Status CauseFor(FlowInput input) {
    switch (input) {
      case FlowInput::kTransportEof:
        return FlowError(FlowErrorKind::kTruncated, "walk: truncated");
      case FlowInput::kProtocolError:
        return FlowError(FlowErrorKind::kProtocol, "walk: protocol");
      case FlowInput::kBackendMisuse:
        return FlowError(FlowErrorKind::kUnexpectedInput, "walk: misuse");
      default:
        return FlowError(FlowErrorKind::kReset, "walk: reset");
    }
  }
};

namespace {

constexpr FlowState kAllStates[] = {FlowState::kOpen,
                                    FlowState::kRemoteEnded,
                                    FlowState::kRemoteClosed,
                                    FlowState::kClosing,
                                    FlowState::kClosingRemoteEnded,
                                    FlowState::kClosingRemoteClosed,
                                    FlowState::kCloseWait,
                                    FlowState::kAwaitingPeerClose,
                                    FlowState::kClosed,
                                    FlowState::kFailed};

constexpr FlowInput kAllInputs[] = {FlowInput::kWrite,
                                    FlowInput::kClose,
                                    FlowInput::kAbort,
                                    FlowInput::kPeerData,
                                    FlowInput::kPeerShutdownWrite,
                                    FlowInput::kPeerClose,
                                    FlowInput::kPeerShutdownRead,
                                    FlowInput::kPeerEof,
                                    FlowInput::kTransportEof,
                                    FlowInput::kTransportError,
                                    FlowInput::kTransportErrorFlushed,
                                    FlowInput::kProtocolError,
                                    FlowInput::kEndTransmitted,
                                    FlowInput::kCloseTimeout,
                                    FlowInput::kIdleTimeout,
                                    FlowInput::kBackendMisuse};

static_assert(sizeof(kAllStates) / sizeof(kAllStates[0]) == kFlowStateCount);
static_assert(sizeof(kAllInputs) / sizeof(kAllInputs[0]) == kFlowInputCount);

Flow NewFlow(Codec codec) {
  FlowOptions options;
  options.codec = codec;
  return *Flow::Create(options);
}

void SendAll(Flow& flow) {
  testing::DiscardTransmit(flow);
  flow.PollShutdownWrite();
}

void Receive(Flow& flow, uint32_t marker) {
  ASSERT_EQ(flow.HandleReceived(FrameHeader(marker)), kFrameHeaderSize);
}

// States only the framed codec reaches: the native peer's end is its EOF.
bool Reachable(Codec codec, FlowState state) {
  return codec == Codec::kFramed || (state != FlowState::kRemoteEnded &&
                                     state != FlowState::kClosingRemoteEnded &&
                                     state != FlowState::kAwaitingPeerClose);
}

// A flow in `state`, reached only through public inputs.
Flow FlowIn(Codec codec, FlowState state) {
  Flow flow = NewFlow(codec);
  const absl::Time now = absl::UnixEpoch();
  const bool framed = codec == Codec::kFramed;
  auto peer_ends = [&] {
    if (framed) {
      Receive(flow, kFrameShutdownWrite);
    } else {
      flow.HandleTransportEof();
    }
  };
  auto peer_is_done = [&] {
    if (framed) {
      Receive(flow, kFrameClose);
    } else {
      flow.HandleTransportEof();
    }
  };
  auto close_with_pending = [&] {
    EXPECT_TRUE(flow.Write(absl::string_view("pending")).ok());
    EXPECT_TRUE(flow.Close(now).ok());
  };
  switch (state) {
    case FlowState::kOpen:
      break;
    case FlowState::kRemoteEnded:
      peer_ends();
      break;
    case FlowState::kRemoteClosed:
      peer_is_done();
      break;
    case FlowState::kClosing:
      close_with_pending();
      break;
    case FlowState::kClosingRemoteEnded:
      peer_ends();
      close_with_pending();
      break;
    case FlowState::kClosingRemoteClosed:
      peer_is_done();
      close_with_pending();
      break;
    case FlowState::kCloseWait:
      EXPECT_TRUE(flow.Close(now).ok());
      SendAll(flow);
      break;
    case FlowState::kAwaitingPeerClose:
      peer_ends();
      EXPECT_TRUE(flow.Close(now).ok());
      SendAll(flow);
      break;
    case FlowState::kClosed:
      EXPECT_TRUE(flow.Close(now).ok());
      SendAll(flow);
      peer_is_done();
      SendAll(flow);
      break;
    case FlowState::kFailed:
      flow.Abort();
      break;
  }
  EXPECT_EQ(flow.state(), state)
      << CodecName(codec) << " " << FlowStateName(state);
  return flow;
}

std::vector<FlowEvent> DrainEvents(Flow& flow) {
  std::vector<FlowEvent> events;
  while (std::optional<FlowEvent> e = flow.PollEvent()) events.push_back(*e);
  return events;
}

bool Contains(const std::vector<FlowEvent>& events, FlowEvent wanted) {
  for (FlowEvent e : events) {
    if (e == wanted) return true;
  }
  return false;
}

// The error kind each failing action leaves.
std::optional<FlowErrorKind> ErrorOf(FlowActions actions) {
  using A = FlowAction;
  if (Has(actions, A::kFailReset)) return FlowErrorKind::kReset;
  if (Has(actions, A::kFailTruncated)) return FlowErrorKind::kTruncated;
  if (Has(actions, A::kFailProtocol)) return FlowErrorKind::kProtocol;
  if (Has(actions, A::kFailDataAfterEnd)) return FlowErrorKind::kProtocol;
  if (Has(actions, A::kFailCloseTimeout)) return FlowErrorKind::kCloseTimeout;
  if (Has(actions, A::kFailIdleTimeout)) return FlowErrorKind::kIdleTimeout;
  if (Has(actions, A::kFailAborted)) return FlowErrorKind::kAborted;
  if (Has(actions, A::kFailMisuse)) return FlowErrorKind::kUnexpectedInput;
  return std::nullopt;
}

// What the application can see of a row's effects.
void ExpectEffects(Codec codec, FlowState from, FlowInput input,
                   const FlowTransition& row, Flow& flow,
                   const absl::Status& status) {
  using A = FlowAction;
  const std::string where = absl::StrCat(
      CodecName(codec), " ", FlowStateName(from), " x ", FlowInputName(input));
  const bool was_failed = from == FlowState::kFailed;
  std::vector<FlowEvent> events = DrainEvents(flow);
  if (Has(row.actions, A::kRejectClosed)) {
    EXPECT_FALSE(status.ok()) << where;
    if (!was_failed) {
      EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kClosed)) << where;
    }
  } else {
    EXPECT_TRUE(status.ok()) << where << ": " << status;
  }
  EXPECT_EQ(Contains(events, FlowEvent::kCloseCompleted),
            Has(row.actions, A::kComplete))
      << where;
  if (std::optional<FlowErrorKind> kind = ErrorOf(row.actions)) {
    EXPECT_TRUE(IsFlowError(flow.error(), *kind))
        << where << ": " << flow.error();
    EXPECT_TRUE(Contains(events, FlowEvent::kFailed)) << where;
  } else if (!was_failed) {
    EXPECT_TRUE(flow.error().ok()) << where;
    EXPECT_FALSE(Contains(events, FlowEvent::kFailed)) << where;
  }
  if (Has(row.actions, A::kDeliverData)) {
    absl::StatusOr<ReadResult> r = flow.Read();
    ASSERT_TRUE(r.ok()) << where;
    EXPECT_TRUE(r->is_data()) << where;
  }
  if (Has(row.actions, A::kDeliverEnd)) {
    absl::StatusOr<ReadResult> end =
        testing::ReadUntilBlocked(flow, [](absl::Cord) {});
    ASSERT_TRUE(end.ok()) << where;
    EXPECT_TRUE(end->is_eof()) << where;
  }
  if (Has(row.actions, A::kQueueEnd) || Has(row.actions, A::kQueueClose)) {
    EXPECT_TRUE(flow.HasTransmit() || flow.WantsShutdownWrite()) << where;
  }
  if (Has(row.actions, A::kDiscard)) {
    EXPECT_EQ(flow.stats().bytes_dropped, 2u) << where;
  }
}

class WalkBothCodecs : public ::testing::TestWithParam<Codec> {};

TEST_P(WalkBothCodecs, EveryStateOfTheCodecIsReachableThroughThePublicApi) {
  for (FlowState state : kAllStates) {
    if (!Reachable(GetParam(), state)) continue;
    EXPECT_EQ(FlowIn(GetParam(), state).state(), state);
  }
}

TEST_P(WalkBothCodecs, WalkEveryStateAndInput) {
  const Codec codec = GetParam();
  int followed = 0;
  int rejected = 0;
  int walked_states = 0;
  for (FlowState state : kAllStates) {
    if (!Reachable(codec, state)) continue;
    ++walked_states;
    for (FlowInput input : kAllInputs) {
      Flow flow = FlowIn(codec, state);
      DrainEvents(flow);
      absl::Status status = FlowTableWalk::Apply(flow, input);
      std::optional<FlowTransition> t = FindFlowTransition(state, input);
      std::string where =
          absl::StrCat(CodecName(codec), " ", FlowStateName(state), " x ",
                       FlowInputName(input));
      if (t.has_value()) {
        ++followed;
        EXPECT_EQ(flow.state(), t->to) << where;
        ExpectEffects(codec, state, input, *t, flow, status);
      } else {
        ++rejected;
        EXPECT_EQ(flow.state(), FlowState::kFailed) << where;
        EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kUnexpectedInput))
            << where;
        EXPECT_NE(status.message().find(FlowStateName(state)),
                  absl::string_view::npos)
            << where;
        EXPECT_NE(status.message().find(FlowInputName(input)),
                  absl::string_view::npos)
            << where;
      }
    }
  }
  EXPECT_EQ(followed + rejected, walked_states * kFlowInputCount);
  if (codec == Codec::kFramed) {
    EXPECT_EQ(walked_states, kFlowStateCount);
    EXPECT_EQ(followed, static_cast<int>(FlowTransitionTable().size()));
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, WalkBothCodecs,
                         ::testing::Values(Codec::kNative, Codec::kFramed),
                         [](const auto& info) {
                           return std::string(CodecName(info.param));
                         });

TEST(FlowStateTable, HasAtMostOneTransitionPerStateAndInput) {
  std::set<std::pair<int, int>> seen;
  for (const FlowTransition& t : FlowTransitionTable()) {
    EXPECT_TRUE(
        seen.insert({static_cast<int>(t.from), static_cast<int>(t.input)})
            .second)
        << FlowStateName(t.from) << " x " << FlowInputName(t.input);
  }
}

TEST(FlowStateTable, LookupFindsEveryRowAndNothingElse) {
  int found = 0;
  for (FlowState state : kAllStates) {
    for (FlowInput input : kAllInputs) {
      std::optional<FlowTransition> t = FindFlowTransition(state, input);
      if (!t.has_value()) continue;
      ++found;
      EXPECT_EQ(t->from, state);
      EXPECT_EQ(t->input, input);
    }
  }
  EXPECT_EQ(found, static_cast<int>(FlowTransitionTable().size()));
  for (const FlowTransition& row : FlowTransitionTable()) {
    std::optional<FlowTransition> t = FindFlowTransition(row.from, row.input);
    ASSERT_TRUE(t.has_value())
        << FlowStateName(row.from) << " x " << FlowInputName(row.input);
    EXPECT_EQ(t->to, row.to);
    EXPECT_EQ(t->actions, row.actions);
  }
}

TEST(FlowStateTable, TerminalStatesNeverLeave) {
  for (const FlowTransition& t : FlowTransitionTable()) {
    if (t.from == FlowState::kClosed) {
      EXPECT_EQ(t.to, FlowState::kClosed);
    }
    if (t.from == FlowState::kFailed) {
      EXPECT_EQ(t.to, FlowState::kFailed);
    }
  }
}

TEST(FlowStateTable, EveryLiveStateCanFailAndCanBeAborted) {
  for (FlowState state : kAllStates) {
    if (state == FlowState::kClosed || state == FlowState::kFailed) continue;
    for (FlowInput input :
         {FlowInput::kAbort, FlowInput::kProtocolError, FlowInput::kIdleTimeout,
          FlowInput::kBackendMisuse}) {
      std::optional<FlowTransition> t = FindFlowTransition(state, input);
      ASSERT_TRUE(t.has_value()) << FlowStateName(state);
      EXPECT_EQ(t->to, FlowState::kFailed) << FlowStateName(state);
    }
  }
}

// A row changes the state, or does something, or says it ignores the input:
// no row is silently empty, and failing rows always end in kFailed.
TEST(FlowStateTable, EveryRowSaysWhatItDoes) {
  for (const FlowTransition& t : FlowTransitionTable()) {
    const std::string where =
        absl::StrCat(FlowStateName(t.from), " x ", FlowInputName(t.input));
    EXPECT_TRUE(t.actions != 0 || t.to != t.from) << where;
    if (ErrorOf(t.actions).has_value()) {
      EXPECT_EQ(t.to, FlowState::kFailed) << where;
    }
    if (Has(t.actions, FlowAction::kComplete)) {
      EXPECT_EQ(t.to, FlowState::kClosed) << where;
    }
  }
}

TEST(FlowStateTable, ErrorsAreSticky) {
  Flow flow = FlowIn(Codec::kNative, FlowState::kOpen);
  flow.HandleTransportError(absl::UnavailableError("ECONNRESET"));
  absl::Status first = flow.error();
  EXPECT_TRUE(IsFlowError(first, FlowErrorKind::kReset));
  flow.Abort();
  flow.HandleTransportEof();
  flow.ConsumeTransmitted(100);  // misuse on a failed flow
  flow.ReceiveSpace();
  flow.CommitReceived(1 << 30);  // misuse on a failed flow
  flow.HandleTimeout(absl::InfiniteFuture());
  EXPECT_EQ(flow.error(), first);
  EXPECT_EQ(flow.Write(absl::string_view("x")), first);
  EXPECT_EQ(flow.Close(absl::UnixEpoch()), first);
}

}  // namespace
}  // namespace hvsock
