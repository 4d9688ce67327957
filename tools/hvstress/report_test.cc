// The summary: JSON that a script can read (escaped error texts, the
// required members) and text that names every error with its count.
#include "tools/hvstress/report.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock::hvstress {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
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
  EXPECT_THAT(json, HasSubstr("\"error_examples\":{\"echo differs from what "
                              "was sent\":[\"connection 4: at 7\","
                              "\"connection 5: at 9\"]}"));
  EXPECT_THAT(json, HasSubstr("\"error_folded\":{\"echo differs from what "
                              "was sent\":0}"));

  std::string text = SummaryText(options, facts, result);
  EXPECT_THAT(text, StartsWith("hvstress: FAIL: 3 connections verified, 2 "
                               "failed, in 2.00s\n"));
  EXPECT_THAT(text, HasSubstr("    2 × echo differs from what was sent  "
                              "(e.g. connection 4: at 7; connection 5: at 9)"
                              "\n"));
  EXPECT_THAT(text, HasSubstr("  replay      hvstress --connections=2000 "
                              "--parallel=32 --bytes=0-2M --write-size=1-64K "
                              "--protocol=native --connect-timeout=10s "
                              "--close-timeout=10s --idle-timeout=30s "
                              "--seed=9\n"));
}

TEST(Report, FoldedErrorsAreCountedNotListed) {
  StressResult result;
  for (int i = 0; i < 1000; ++i) {
    result.errors.Add("server: protocol", absl::StrCat("length ", i));
  }
  std::string text = SummaryText(Options(), RunFacts(), result);
  EXPECT_THAT(text, HasSubstr("    1000 × server: protocol  (e.g. length 0; "
                              "length 1; length 2; and 997 more)\n"));
  EXPECT_THAT(text, Not(HasSubstr("length 3")));
  std::string json = SummaryJson(Options(), RunFacts(), result);
  EXPECT_THAT(json, HasSubstr("\"error_folded\":{\"server: protocol\":997}"));
  EXPECT_THAT(json, Not(HasSubstr("length 3")));
}

// The replay line of `options`' summary, parsed back as a command line.
absl::StatusOr<Options> ParseReplayLine(const Options& options, uint64_t seed) {
  RunFacts facts;
  facts.seed = seed;
  std::string text = SummaryText(options, facts, StressResult());
  const std::string kPrefix = "  replay      ";
  size_t start = text.find(kPrefix);
  EXPECT_NE(start, std::string::npos) << text;
  start += kPrefix.size();
  std::string line = text.substr(start, text.find('\n', start) - start);
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  EXPECT_EQ(words.front(), "hvstress");
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(Report, TheReplayLineParsesBackToTheSameOptions) {
  Options defaults;
  defaults.seed = 1;

  Options everything;
  everything.uri = "unix:///run/echo.sock";
  everything.connections = 12345;
  everything.duration = absl::Milliseconds(1500);
  everything.parallel = 7;
  everything.bytes = {3, 5 * 1024 * 1024};
  everything.write_size = {1000, 1000};
  everything.codec = Codec::kFramed;
  everything.seed = 77;
  everything.connect_timeout = absl::Nanoseconds(1);
  everything.close_timeout = absl::Seconds(90) + absl::Nanoseconds(10);
  everything.idle_timeout = absl::Milliseconds(300);
  everything.threads = 2;
  everything.mux = 5;

  Options duration_alone;  // no count: as many as fit in the duration
  duration_alone.duration = absl::Seconds(20);
  duration_alone.connections = std::numeric_limits<uint64_t>::max();
  duration_alone.seed = 5;

  for (const Options& options : {defaults, everything, duration_alone}) {
    absl::StatusOr<Options> replayed = ParseReplayLine(options, *options.seed);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_TRUE(*replayed == options)
        << absl::StrJoin(ReplayArguments(options, *options.seed), " ");
  }
}

TEST(Report, JsonCountsMultiplexedConnectionsOnlyWithMux) {
  StressResult result;
  result.multiplexed_connections = 3;
  Options plain;
  EXPECT_THAT(SummaryJson(plain, RunFacts(), result),
              AllOf(HasSubstr(",\"threads\":1,"),
                    Not(HasSubstr("multiplexed_connections"))));
  Options mux;
  mux.mux = 3;
  mux.threads = 2;
  EXPECT_THAT(SummaryJson(mux, RunFacts(), result),
              AllOf(HasSubstr(",\"threads\":2,"),
                    HasSubstr(",\"multiplexed_connections\":3,")));
}

TEST(Report, TheReplayLineSaysHowTheStreamsWereCarried) {
  Options options;
  EXPECT_THAT(absl::StrJoin(ReplayArguments(options, 1), " "),
              Not(AnyOf(HasSubstr("--threads"), HasSubstr("--mux"))));
  options.threads = 2;
  options.mux = 3;
  EXPECT_THAT(absl::StrJoin(ReplayArguments(options, 1), " "),
              HasSubstr("--parallel=32 --threads=2 --mux=3 "));
}

TEST(Report, TheReplayLineChangesWithEveryTimeout) {
  // A timeout failure must reproduce: each timeout is on the line.
  Options options;
  options.close_timeout = absl::Milliseconds(250);
  options.idle_timeout = absl::Seconds(2);
  options.connect_timeout = absl::Seconds(3);
  std::string line = absl::StrJoin(ReplayArguments(options, 1), " ");
  EXPECT_THAT(line, HasSubstr("--close-timeout=0.25s"));
  EXPECT_THAT(line, HasSubstr("--idle-timeout=2s"));
  EXPECT_THAT(line, HasSubstr("--connect-timeout=3s"));
}

TEST(Report, ShellWordsQuoteOnlyWhatAShellWouldSplitOrExpand) {
  EXPECT_EQ(ShellWord("--uri=unix:///run/echo.sock"),
            "--uri=unix:///run/echo.sock");
  EXPECT_EQ(ShellWord("--uri=unix:///my dir/it's.sock"),
            "'--uri=unix:///my dir/it'\\''s.sock'");
  EXPECT_EQ(ShellWord("--uri=unix:///a$b"), "'--uri=unix:///a$b'");
}

TEST(Report, BytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(17), "17 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(1024.0 * 1024 * 1024), "1.00 GiB");
  EXPECT_EQ(FormatBytes(300.0 * 1024 * 1024), "300.0 MiB");
}

}  // namespace
}  // namespace hvsock::hvstress
