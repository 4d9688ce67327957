// The pattern generator: deterministic, addressable by offset, and a checker
// that points at the first wrong byte.
#include "testing/pattern.h"

#include <string>

#include "gtest/gtest.h"
#include "testing/prng.h"

namespace hvsock::testing {
namespace {

TEST(Pattern, ByteKIsTheLowByteOfThePrngsKthOutput) {
  Prng prng(42);
  const std::string bytes = PatternBytes(1000, 42);
  for (char byte : bytes) {
    EXPECT_EQ(byte, static_cast<char>(prng.Next() & 0xff));
  }
}

TEST(Pattern, AWindowAtAnOffsetIsThatSliceOfTheWholeStream) {
  const std::string whole = PatternBytes(5000, 7);
  EXPECT_EQ(PatternBytes(300, 7, 1234), whole.substr(1234, 300));
  EXPECT_EQ(PatternByte(7, 4999), whole[4999]);
}

TEST(Pattern, DifferentSeedsGiveDifferentBytes) {
  EXPECT_NE(PatternBytes(64, 1), PatternBytes(64, 2));
}

TEST(Pattern, MismatchIsNposWhenEveryByteMatches) {
  EXPECT_EQ(FirstPatternMismatch(PatternBytes(4096, 3, 100), 3, 100),
            absl::string_view::npos);
  EXPECT_EQ(FirstPatternMismatch("", 3), absl::string_view::npos);
}

TEST(Pattern, MismatchNamesTheFirstChangedByte) {
  std::string bytes = PatternBytes(4096, 3);
  bytes[2000] = static_cast<char>(bytes[2000] ^ 0x01);
  bytes[3000] = static_cast<char>(bytes[3000] ^ 0x01);
  EXPECT_EQ(FirstPatternMismatch(bytes, 3), 2000u);
}

TEST(Pattern, ADroppedByteShowsUpWhereItWasDropped) {
  std::string bytes = PatternBytes(4096, 5);
  bytes.erase(1500, 1);
  // A byte equal to its successor by chance would hide the drop for a
  // position or two; with this seed it shows at once.
  EXPECT_EQ(FirstPatternMismatch(bytes, 5), 1500u);
}

TEST(Pattern, CheckingFromTheWrongOffsetFails) {
  EXPECT_NE(FirstPatternMismatch(PatternBytes(256, 9, 10), 9, 11),
            absl::string_view::npos);
}

}  // namespace
}  // namespace hvsock::testing
