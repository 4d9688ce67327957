#include "core/mux/mux_channel_state.h"

#include <optional>
#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace hvsock {
namespace {

using S = MuxChannelState;
using I = MuxChannelInput;
using A = MuxChannelAction;

constexpr I kPeerInputs[] = {I::kPeerWindow, I::kPeerData, I::kPeerShutdown,
                             I::kPeerClose};
constexpr I kSendInputs[] = {I::kSendWindow, I::kSendData, I::kSendShutdown};

TEST(MuxChannelState, EveryStateHandlesEveryPeerFrame) {
  for (int s = 0; s < kMuxChannelStateCount; ++s) {
    for (I input : kPeerInputs) {
      EXPECT_TRUE(FindMuxChannelTransition(static_cast<S>(s), input))
          << MuxChannelStateName(static_cast<S>(s)) << " "
          << MuxChannelInputName(input);
    }
  }
}

TEST(MuxChannelState, TableHasOneTransitionPerStateAndInput) {
  std::set<std::pair<S, I>> seen;
  for (const MuxChannelTransition& t : MuxChannelTransitionTable()) {
    EXPECT_TRUE(seen.insert({t.from, t.input}).second)
        << MuxChannelStateName(t.from) << " " << MuxChannelInputName(t.input);
  }
}

// The lookup is an index built from the table: it finds exactly the
// table's rows, and nothing for a pair the table does not have.
TEST(MuxChannelState, LookupFindsExactlyTheTablesRows) {
  std::set<std::pair<S, I>> in_table;
  for (const MuxChannelTransition& t : MuxChannelTransitionTable()) {
    in_table.insert({t.from, t.input});
    std::optional<MuxChannelTransition> found =
        FindMuxChannelTransition(t.from, t.input);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->to, t.to);
    EXPECT_EQ(found->action, t.action);
  }
  for (int s = 0; s < kMuxChannelStateCount; ++s) {
    for (int i = 0; i < kMuxChannelInputCount; ++i) {
      const S state = static_cast<S>(s);
      const I input = static_cast<I>(i);
      EXPECT_EQ(FindMuxChannelTransition(state, input).has_value(),
                in_table.contains({state, input}))
          << MuxChannelStateName(state) << " " << MuxChannelInputName(input);
    }
  }
}

TEST(MuxChannelState, NothingIsSentAfterClose) {
  for (S closed : {S::kCloseSent, S::kFreed}) {
    for (I input : kSendInputs) {
      auto t = FindMuxChannelTransition(closed, input);
      ASSERT_TRUE(t.has_value());
      EXPECT_EQ(t->action, A::kSuppress) << MuxChannelStateName(closed);
    }
    auto close = FindMuxChannelTransition(closed, I::kSendClose);
    ASSERT_TRUE(close.has_value());
    EXPECT_EQ(close->action, A::kSuppress);
  }
  for (I input : kSendInputs) {
    auto t = FindMuxChannelTransition(S::kCloseReceived, input);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->action, A::kSuppress);
  }
}

TEST(MuxChannelState, IdIsFreedOnlyAfterBothCloses) {
  for (const MuxChannelTransition& t : MuxChannelTransitionTable()) {
    if (t.to == S::kFreed && t.from != S::kFreed) {
      const bool sent_then_received =
          t.from == S::kCloseSent && t.input == I::kPeerClose;
      const bool received_then_sent =
          t.from == S::kCloseReceived &&
          (t.input == I::kSendClose || t.input == I::kRefuse);
      EXPECT_TRUE(sent_then_received || received_then_sent)
          << MuxChannelStateName(t.from) << " " << MuxChannelInputName(t.input);
      EXPECT_EQ(t.action, A::kFree);
    }
  }
}

TEST(MuxChannelState, LateFramesAfterCloseAreDroppedNotFatal) {
  for (S closed : {S::kCloseSent, S::kCloseReceived, S::kFreed}) {
    for (I input : {I::kPeerWindow, I::kPeerData, I::kPeerShutdown}) {
      EXPECT_EQ(FindMuxChannelTransition(closed, input)->action, A::kDropLate);
    }
  }
}

TEST(MuxChannelState, DataAfterThePeersShutdownFailsOnlyTheChannel) {
  for (S ended : {S::kRemoteShutdown, S::kBothShutdown,
                  S::kAwaitingAcceptRemoteShutdown}) {
    EXPECT_EQ(FindMuxChannelTransition(ended, I::kPeerData)->action,
              A::kFailChannel);
  }
}

TEST(MuxChannelState, DataIsNeverSentAfterOurShutdown) {
  EXPECT_FALSE(FindMuxChannelTransition(S::kLocalShutdown, I::kSendData));
  EXPECT_FALSE(FindMuxChannelTransition(S::kBothShutdown, I::kSendData));
}

TEST(MuxChannelState, NamesAreDistinct) {
  std::set<absl::string_view> names;
  for (int s = 0; s < kMuxChannelStateCount; ++s) {
    EXPECT_TRUE(names.insert(MuxChannelStateName(static_cast<S>(s))).second);
  }
  std::set<absl::string_view> inputs;
  for (int i = 0; i < kMuxChannelInputCount; ++i) {
    EXPECT_TRUE(inputs.insert(MuxChannelInputName(static_cast<I>(i))).second);
  }
}

}  // namespace
}  // namespace hvsock
