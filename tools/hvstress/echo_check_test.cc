// EchoCheck against echoes made by hand from a StreamPattern: the exact
// echo passes in any chunking, and each way an echo can go wrong is named,
// with where it happened.
#include "tools/hvstress/echo_check.h"

#include <string>

#include "absl/strings/cord.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/hvstress/stream_pattern.h"

namespace hvsock::hvstress {
namespace {

using ::testing::HasSubstr;

// A short period, so streams wrap around the pattern's block.
constexpr size_t kPeriod = 1021;

std::string Stream(const StreamPattern& pattern, uint64_t origin,
                   size_t length) {
  return std::string(pattern.Slice(origin, 0, length));
}

TEST(EchoCheck, TheExactEchoPassesHoweverItIsSplit) {
  StreamPattern pattern(1, kPeriod);
  std::string sent = Stream(pattern, 900, 5000);  // wraps several times
  for (size_t piece : {1u, 7u, 1021u, 5000u}) {
    EchoCheck check(pattern, 900, sent.size());
    for (size_t at = 0; at < sent.size(); at += piece) {
      ASSERT_TRUE(check.Received(absl::Cord(sent.substr(at, piece))).ok());
    }
    EXPECT_TRUE(check.Ended().ok());
    EXPECT_TRUE(check.complete());
    EXPECT_EQ(check.received(), sent.size());
  }
}

TEST(EchoCheck, SlicesAreTheStreamFromAnyOffset) {
  StreamPattern pattern(2, kPeriod);
  std::string whole = Stream(pattern, 17, 3000);
  EXPECT_EQ(std::string(pattern.Slice(17, 1500, 1000)),
            whole.substr(1500, 1000));
}

TEST(EchoCheck, AChangedByteIsFoundWhereItIs) {
  StreamPattern pattern(3, kPeriod);
  std::string echo = Stream(pattern, 0, 4000);
  echo[2500] ^= 0x20;
  EchoCheck check(pattern, 0, echo.size());

  absl::Status status = check.Received(absl::Cord(echo));

  EXPECT_EQ(status.message(), "echo differs from what was sent");
  EXPECT_EQ(check.detail(), "first difference at byte 2500 of 4000");
  EXPECT_FALSE(check.complete());
}

TEST(EchoCheck, ADroppedByteIsADifference) {
  StreamPattern pattern(4, kPeriod);
  std::string echo = Stream(pattern, 5, 300);
  echo.erase(100, 1);
  EchoCheck check(pattern, 5, 300);

  EXPECT_EQ(check.Received(absl::Cord(echo)).message(),
            "echo differs from what was sent");
  EXPECT_THAT(check.detail(), HasSubstr("first difference at byte 10"));
}

TEST(EchoCheck, EofBeforeTheLastByteIsAnEarlyEnd) {
  StreamPattern pattern(5, kPeriod);
  EchoCheck check(pattern, 0, 100);
  ASSERT_TRUE(check.Received(absl::Cord(Stream(pattern, 0, 99))).ok());

  EXPECT_EQ(check.Ended().message(),
            "echo ended early: Eof before the last byte");
  EXPECT_EQ(check.detail(), "Eof after 99 of 100 bytes");
}

TEST(EchoCheck, MoreThanWasSentIsTooLong) {
  StreamPattern pattern(6, kPeriod);
  EchoCheck check(pattern, 0, 100);

  EXPECT_EQ(check.Received(absl::Cord(Stream(pattern, 0, 101))).message(),
            "echo longer than what was sent");
}

TEST(EchoCheck, AnEmptyStreamIsJustEof) {
  StreamPattern pattern(7, kPeriod);
  EchoCheck check(pattern, 0, 0);
  EXPECT_TRUE(check.Ended().ok());
  EXPECT_TRUE(check.complete());
}

TEST(EchoCheck, TheFirstProblemSticks) {
  StreamPattern pattern(8, kPeriod);
  std::string echo = Stream(pattern, 0, 10);
  echo[3] ^= 1;
  EchoCheck check(pattern, 0, 10);
  ASSERT_FALSE(check.Received(absl::Cord(echo)).ok());

  EXPECT_EQ(check.Ended().message(), "echo differs from what was sent");
  EXPECT_EQ(check.detail(), "first difference at byte 3 of 10");
}

}  // namespace
}  // namespace hvsock::hvstress
