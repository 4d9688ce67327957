// Walks the whole state table: every (state, input) pair, on a real Flow
// brought into that state through its public API.
#include "core/flow_state.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

constexpr FlowState kAllStates[] = {
    FlowState::kOpen,      FlowState::kRemoteEnded, FlowState::kClosing,
    FlowState::kClosingRemoteEnded, FlowState::kCloseWait, FlowState::kClosed,
    FlowState::kFailed};

constexpr FlowInput kAllInputs[] = {
    FlowInput::kWrite,          FlowInput::kClose,
    FlowInput::kAbort,          FlowInput::kPeerData,
    FlowInput::kPeerEnd,        FlowInput::kPeerShutdownRead,
    FlowInput::kTransportEof,   FlowInput::kTransportError,
    FlowInput::kProtocolError,  FlowInput::kEndTransmitted,
    FlowInput::kCloseTimeout};

void SendAll(Flow& flow) {
  absl::string_view spans[8];
  while (size_t n = flow.PeekTransmit(absl::MakeSpan(spans))) {
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += spans[i].size();
    flow.ConsumeTransmitted(total);
  }
  flow.PollShutdownWrite();
}

// A native flow in `state`, reached only through public inputs.
Flow FlowIn(FlowState state) {
  Flow flow{FlowOptions{}};
  const absl::Time now = absl::UnixEpoch();
  switch (state) {
    case FlowState::kOpen:
      break;
    case FlowState::kRemoteEnded:
      flow.HandleTransportEof();
      break;
    case FlowState::kClosing:
      EXPECT_TRUE(flow.Write(absl::string_view("pending")).ok());
      EXPECT_TRUE(flow.Close(now).ok());
      break;
    case FlowState::kClosingRemoteEnded:
      flow.HandleTransportEof();
      EXPECT_TRUE(flow.Write(absl::string_view("pending")).ok());
      EXPECT_TRUE(flow.Close(now).ok());
      break;
    case FlowState::kCloseWait:
      EXPECT_TRUE(flow.Close(now).ok());
      SendAll(flow);
      break;
    case FlowState::kClosed:
      EXPECT_TRUE(flow.Close(now).ok());
      SendAll(flow);
      flow.HandleTransportEof();
      break;
    case FlowState::kFailed:
      flow.Abort();
      break;
  }
  EXPECT_EQ(flow.state(), state) << FlowStateName(state);
  return flow;
}

TEST(FlowStateTable, EveryStateIsReachableThroughThePublicApi) {
  for (FlowState state : kAllStates) {
    EXPECT_EQ(FlowIn(state).state(), state);
  }
}

TEST(FlowStateTable, HasAtMostOneTransitionPerStateAndInput) {
  std::set<std::pair<int, int>> seen;
  for (const FlowTransition& t : FlowTransitionTable()) {
    EXPECT_TRUE(seen.insert({static_cast<int>(t.from),
                             static_cast<int>(t.input)})
                    .second)
        << FlowStateName(t.from) << " x " << FlowInputName(t.input);
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

TEST(FlowStateTable, EveryNonTerminalStateCanFailAndCanBeAborted) {
  for (FlowState state : kAllStates) {
    if (state == FlowState::kClosed || state == FlowState::kFailed) continue;
    for (FlowInput input : {FlowInput::kAbort, FlowInput::kTransportError,
                            FlowInput::kProtocolError}) {
      std::optional<FlowTransition> t = FindFlowTransition(state, input);
      ASSERT_TRUE(t.has_value()) << FlowStateName(state);
      EXPECT_EQ(t->to, FlowState::kFailed) << FlowStateName(state);
    }
  }
}

// The walk: each pair either follows its table entry, or, when the table has
// none, fails the flow with an error that names the state and the input.
TEST(FlowStateTable, WalkEveryStateAndInput) {
  int followed = 0;
  int rejected = 0;
  for (FlowState state : kAllStates) {
    for (FlowInput input : kAllInputs) {
      Flow flow = FlowIn(state);
      absl::Status status = flow.ApplyForTesting(input);
      std::optional<FlowTransition> t = FindFlowTransition(state, input);
      std::string where = absl::StrCat(FlowStateName(state), " x ",
                                       FlowInputName(input));
      if (t.has_value()) {
        ++followed;
        EXPECT_EQ(flow.state(), t->to) << where;
        if (t->action == FlowAction::kRejectClosed) {
          EXPECT_FALSE(status.ok()) << where;
        }
      } else {
        ++rejected;
        EXPECT_EQ(flow.state(), FlowState::kFailed) << where;
        if (state != FlowState::kFailed) {
          EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kUnexpectedInput))
              << where;
          EXPECT_NE(status.message().find(FlowStateName(state)),
                    absl::string_view::npos) << where;
          EXPECT_NE(status.message().find(FlowInputName(input)),
                    absl::string_view::npos) << where;
        }
      }
    }
  }
  EXPECT_EQ(followed + rejected, kFlowStateCount * kFlowInputCount);
  EXPECT_EQ(followed, static_cast<int>(FlowTransitionTable().size()));
}

TEST(FlowStateTable, ErrorsAreSticky) {
  Flow flow = FlowIn(FlowState::kOpen);
  flow.HandleTransportError(absl::UnavailableError("ECONNRESET"));
  absl::Status first = flow.error();
  EXPECT_TRUE(IsFlowError(first, FlowErrorKind::kReset));
  flow.Abort();
  flow.HandleTransportEof();
  EXPECT_EQ(flow.error(), first);
  EXPECT_EQ(flow.Write(absl::string_view("x")), first);
  EXPECT_EQ(flow.Close(absl::UnixEpoch()), first);
}

}  // namespace
}  // namespace hvsock
