// ErrorTally: errors by kind with a few examples, bounded however many
// distinct messages a hostile peer makes up.
#include "tools/hvstress/error_tally.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/flow_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock::hvstress {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

// Bytes of text the tally holds.
size_t TextBytes(const ErrorTally& tally) {
  size_t bytes = 0;
  for (const auto& [kind, entry] : tally.entries()) {
    bytes += kind.size();
    for (const std::string& example : entry.examples) bytes += example.size();
  }
  return bytes;
}

TEST(ErrorTally, TheSameKindIsOneEntryWithItsCountAndFirstExamples) {
  ErrorTally tally;
  tally.Add("echo differs from what was sent", "connection 4: at 7");
  tally.Add("echo differs from what was sent", "connection 5: at 9");
  tally.Add("reset", "reset: transport failed");
  ASSERT_THAT(tally.entries(), SizeIs(2));
  const ErrorTally::Entry& echo =
      tally.entries().at("echo differs from what was sent");
  EXPECT_EQ(echo.count, 2u);
  EXPECT_THAT(echo.examples,
              ElementsAre("connection 4: at 7", "connection 5: at 9"));
  EXPECT_EQ(echo.folded, 0u);
  EXPECT_EQ(tally.total(), 3u);
}

TEST(ErrorTally, UniqueMessagesKeepAFewExamplesAndCountTheRestAsFolded) {
  // A hostile peer's oversized lengths: every message different.
  ErrorTally tally;
  for (int i = 0; i < 100000; ++i) {
    tally.Add("protocol", absl::StrCat("protocol: Data length ", 70000 + i,
                                       " exceeds the maximum of 65536"));
  }
  ASSERT_THAT(tally.entries(), SizeIs(1));
  const ErrorTally::Entry& entry = tally.entries().at("protocol");
  EXPECT_EQ(entry.count, 100000u);
  EXPECT_THAT(entry.examples, SizeIs(ErrorTally::kMaxExamples));
  EXPECT_EQ(entry.examples.front(),
            "protocol: Data length 70000 exceeds the maximum of 65536");
  EXPECT_EQ(entry.folded, 100000u - ErrorTally::kMaxExamples);
  EXPECT_LT(TextBytes(tally), 1024u);
}

TEST(ErrorTally, RepeatsOfAKeptExampleAreNotFolded) {
  ErrorTally tally;
  tally.Add("reset", "same text", 5);
  tally.Add("reset", "same text");
  tally.Add("reset");
  const ErrorTally::Entry& entry = tally.entries().at("reset");
  EXPECT_EQ(entry.count, 7u);
  EXPECT_THAT(entry.examples, ElementsAre("same text"));
  EXPECT_EQ(entry.folded, 1u);  // the one without a text
}

TEST(ErrorTally, UniqueKindsPastTheBoundAreCountedAsOtherKinds) {
  ErrorTally tally;
  for (int i = 0; i < 10000; ++i) {
    tally.Add(absl::StrCat("connect: no listener at port ", i), "detail");
  }
  EXPECT_THAT(tally.entries(), SizeIs(ErrorTally::kMaxKinds + 1));
  EXPECT_EQ(tally.total(), 10000u);
  const ErrorTally::Entry& other =
      tally.entries().at(std::string(ErrorTally::kOtherKinds));
  EXPECT_EQ(other.count, 10000u - ErrorTally::kMaxKinds);
  EXPECT_EQ(other.examples.front(),
            absl::StrCat("connect: no listener at port ", ErrorTally::kMaxKinds,
                         ": detail"));
  EXPECT_EQ(other.folded, other.count - ErrorTally::kMaxExamples);
  // Kinds already known still count as themselves.
  tally.Add("connect: no listener at port 3");
  EXPECT_EQ(tally.entries().at("connect: no listener at port 3").count, 2u);
}

TEST(ErrorTally, LongTextsAreCut) {
  ErrorTally tally;
  std::string huge(1 << 20, 'x');
  tally.Add(huge, huge);
  ASSERT_THAT(tally.entries(), SizeIs(1));
  const auto& [kind, entry] = *tally.entries().begin();
  EXPECT_LE(kind.size(), ErrorTally::kMaxTextLength);
  EXPECT_LE(entry.examples.front().size(), ErrorTally::kMaxTextLength);
  tally.Add(huge + "y");  // the same kind once cut
  EXPECT_EQ(tally.entries().begin()->second.count, 2u);
}

TEST(ErrorTally, MergeKeepsCountsExamplesAndFoldsUnderAPrefix) {
  ErrorTally server;
  for (int i = 0; i < 10; ++i) server.Add("protocol", absl::StrCat("len ", i));
  server.Add("reset", "same", 4);
  ErrorTally run;
  run.Add("stalled", "connection 1");
  run.Merge("server: ", server);
  EXPECT_EQ(run.total(), 15u);
  const ErrorTally::Entry& protocol = run.entries().at("server: protocol");
  EXPECT_EQ(protocol.count, 10u);
  EXPECT_THAT(protocol.examples, ElementsAre("len 0", "len 1", "len 2"));
  EXPECT_EQ(protocol.folded, 7u);
  const ErrorTally::Entry& reset = run.entries().at("server: reset");
  EXPECT_EQ(reset.count, 4u);
  EXPECT_THAT(reset.examples, ElementsAre("same"));
  EXPECT_EQ(reset.folded, 0u);
}

TEST(ErrorTally, FlowErrorKindsNeverVaryWithTheMessage) {
  EXPECT_EQ(
      FlowErrorKindOf(FlowError(FlowErrorKind::kProtocol, "Data length 70001")),
      FlowErrorKindOf(
          FlowError(FlowErrorKind::kProtocol, "Data length 70002")));
  EXPECT_EQ(FlowErrorKindOf(FlowError(FlowErrorKind::kReset, "x")),
            FlowErrorKindName(FlowErrorKind::kReset));
  EXPECT_EQ(FlowErrorKindOf(absl::InternalError("not a flow error")), "error");
}

}  // namespace
}  // namespace hvsock::hvstress
