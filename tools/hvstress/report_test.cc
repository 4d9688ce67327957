// The summary: JSON that a script can read (escaped error texts, the
// required members) and text that names every error with its count.
#include "tools/hvstress/report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock::hvstress {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Report, JsonStringsEscapeQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a \"b\" \\ c\n\x01"),
            "\"a \\\"b\\\" \\\\ c\\n\\u0001\"");
}

TEST(Report, AFailedRunNamesEachErrorWithItsCount) {
  Options options;
  RunFacts facts{.seed = 9, .target = "unix:///tmp/echo.sock"};
  StressResult result;
  result.ok = 3;
  result.failed = 2;
  result.bytes_verified = 4096;
  result.elapsed = absl::Seconds(2);
  result.errors.Add("echo differs from what was sent", "connection 4: at 7");
  result.errors.Add("echo differs from what was sent", "connection 5: at 9");

  std::string json = SummaryJson(options, facts, result);
  EXPECT_THAT(json, StartsWith("{\"ok\":false,\"connections_ok\":3,"
                               "\"connections_failed\":2,"));
  EXPECT_THAT(json, HasSubstr("\"bytes_verified\":4096,"));
  EXPECT_THAT(json, HasSubstr("\"seconds\":2.000,"));
  EXPECT_THAT(json,
              HasSubstr("\"errors\":{\"echo differs from what was sent\":2}"));
  EXPECT_THAT(json, HasSubstr("\"connection 4: at 7\""));

  std::string text = SummaryText(options, facts, result);
  EXPECT_THAT(text, StartsWith("hvstress: FAIL: 3 connections verified, 2 "
                               "failed, in 2.00s\n"));
  EXPECT_THAT(text, HasSubstr("    2 × echo differs from what was sent  "
                              "(first: connection 4: at 7)\n"));
  EXPECT_THAT(text, HasSubstr("  replay      hvstress --connections=2000 "
                              "--parallel=32 --bytes=0-2M --write-size=1-64K "
                              "--protocol=native --seed=9\n"));
}

TEST(Report, BytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(17), "17 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(1024.0 * 1024 * 1024), "1.00 GiB");
  EXPECT_EQ(FormatBytes(300.0 * 1024 * 1024), "300.0 MiB");
}

}  // namespace
}  // namespace hvsock::hvstress
