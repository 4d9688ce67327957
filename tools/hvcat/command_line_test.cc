// hvcat's command line: what each option sets and what each mistake says.
#include "tools/hvcat/command_line.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace hvsock::hvcat {
namespace {

absl::StatusOr<std::optional<CommandLine>> Parse(
    std::vector<std::string> args) {
  args.insert(args.begin(), "hvcat");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

std::string Error(std::vector<std::string> args) {
  absl::StatusOr<std::optional<CommandLine>> parsed = Parse(std::move(args));
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(HvcatCommandLine, AUriAloneConnectsWithTheDefaults) {
  absl::StatusOr<std::optional<CommandLine>> parsed = Parse({"vsock://3:5000"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->has_value());
  const CommandLine& line = **parsed;
  EXPECT_EQ(line.uri, "vsock://3:5000");
  EXPECT_FALSE(line.listen);
  EXPECT_FALSE(line.retry);
  EXPECT_FALSE(line.codec.has_value());
  EXPECT_EQ(line.connect_timeout, absl::Seconds(10));
  EXPECT_EQ(line.close_timeout, absl::Seconds(30));
}

TEST(HvcatCommandLine, EveryOptionInEitherSpelling) {
  absl::StatusOr<std::optional<CommandLine>> parsed =
      Parse({"-l", "--retry", "--protocol", "framed", "--connect-timeout=250ms",
             "--close-timeout", "2", "unix:///x"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const CommandLine& line = **parsed;
  EXPECT_TRUE(line.listen);
  EXPECT_TRUE(line.retry);
  EXPECT_EQ(line.codec, Codec::kFramed);
  EXPECT_EQ(line.connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(line.close_timeout, absl::Seconds(2));
  EXPECT_EQ(line.uri, "unix:///x");
  EXPECT_TRUE(Parse({"--listen", "u"})->value().listen);
}

TEST(HvcatCommandLine, HelpWinsOverWhatFollows) {
  absl::StatusOr<std::optional<CommandLine>> parsed =
      Parse({"-h", "--frobnicate"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->has_value());
  EXPECT_FALSE(Parse({"--help"})->has_value());
}

TEST(HvcatCommandLine, AfterDashDashAnArgumentThatLooksLikeAnOptionIsTheUri) {
  absl::StatusOr<std::optional<CommandLine>> parsed = Parse({"--", "-l"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)->uri, "-l");
  EXPECT_FALSE((*parsed)->listen);
}

TEST(HvcatCommandLine, MistakesSayWhatWasExpected) {
  EXPECT_EQ(Error({}), "missing URI");
  EXPECT_EQ(Error({"-l"}), "missing URI");
  EXPECT_EQ(Error({"a", "b"}), "unexpected argument \"b\" (one URI only)");
  EXPECT_EQ(Error({"--frobnicate", "u"}), "unknown option \"--frobnicate\"");
  EXPECT_EQ(Error({"--retry=yes", "u"}), "unknown option \"--retry\"");
  EXPECT_EQ(Error({"u", "--close-timeout"}), "--close-timeout needs a value");
  EXPECT_NE(Error({"--protocol=tcp", "u"}).find("--protocol"),
            std::string::npos);
  EXPECT_NE(Error({"--connect-timeout=0", "u"}).find("--connect-timeout"),
            std::string::npos);
}

}  // namespace
}  // namespace hvsock::hvcat
