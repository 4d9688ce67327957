// The option scanner: how hvcat and hvstress read their argv.
#include "tools/option_scanner.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hvsock::tools {
namespace {

// Scans `args` (argv[0] is added) and describes every argument: "+NAME" for
// a flag, "NAME=VALUE" for a valued option whose value the scanner supplies
// (VALUED names), "@TEXT" for a positional one; an error ends the list.
std::vector<std::string> Scan(std::vector<const char*> args,
                              std::vector<std::string> valued = {},
                              bool dash_dash_stops = false) {
  args.insert(args.begin(), "tool");
  OptionScanner scan(static_cast<int>(args.size()), args.data());
  std::vector<std::string> seen;
  while (std::optional<ScannedArg> arg = scan.Next()) {
    if (arg->positional) {
      seen.push_back("@" + arg->text);
    } else if (dash_dash_stops && arg->IsFlag({"--"})) {
      scan.StopOptions();
      seen.push_back("stop");
    } else if (std::find(valued.begin(), valued.end(), arg->name) !=
               valued.end()) {
      absl::StatusOr<std::string> value = scan.Value(*arg);
      if (!value.ok()) {
        seen.push_back(std::string(value.status().message()));
        break;
      }
      seen.push_back(arg->name + "=" + *value);
    } else {
      seen.push_back(
          "+" + arg->name +
          (arg->inline_value ? " inline " + *arg->inline_value : ""));
    }
  }
  return seen;
}

using Seen = std::vector<std::string>;

TEST(OptionScanner, ReadsFlagsValuesInlineOrNextAndPositionals) {
  EXPECT_EQ(Scan({"-l", "--protocol=framed", "--close-timeout", "5s", "uri"},
                 {"--protocol", "--close-timeout"}),
            (Seen{"+-l", "--protocol=framed", "--close-timeout=5s", "@uri"}));
}

TEST(OptionScanner, AValueMayBeEmptyOrLookLikeAnOption) {
  EXPECT_EQ(Scan({"--seed=", "--uri", "--json"}, {"--seed", "--uri"}),
            (Seen{"--seed=", "--uri=--json"}));
}

TEST(OptionScanner, AMissingValueNamesTheOption) {
  EXPECT_EQ(Scan({"--server"}, {"--server"}), (Seen{"--server needs a value"}));
}

TEST(OptionScanner, OnlyLongOptionsCarryAnInlineValue) {
  EXPECT_EQ(Scan({"--retry=yes", "-n=5"}),
            (Seen{"+--retry inline yes", "+-n=5"}));
}

TEST(OptionScanner, AFlagWithAnInlineValueIsNoFlag) {
  std::vector<const char*> args = {"tool", "--retry=yes", "--retry"};
  OptionScanner scan(3, args.data());
  std::optional<ScannedArg> with_value = scan.Next();
  std::optional<ScannedArg> bare = scan.Next();
  ASSERT_TRUE(with_value && bare);
  EXPECT_FALSE(with_value->IsFlag({"--retry"}));
  EXPECT_TRUE(with_value->Is({"--retry"}));
  EXPECT_TRUE(bare->IsFlag({"-r", "--retry"}));
  EXPECT_FALSE(scan.Next().has_value());
}

TEST(OptionScanner, ALoneDashIsPositional) {
  EXPECT_EQ(Scan({"-", ""}), (Seen{"@-", "@"}));
}

TEST(OptionScanner, DashDashMakesTheRestPositionalWhenTheToolSaysSo) {
  EXPECT_EQ(Scan({"--", "-l", "--x=1"}, {}, /*dash_dash_stops=*/true),
            (Seen{"stop", "@-l", "@--x=1"}));
  EXPECT_EQ(Scan({"--", "-l"}), (Seen{"+--", "+-l"}));
}

TEST(OptionScanner, UnknownSaysOptionOrArgumentAsTheToolsAlwaysHave) {
  std::vector<const char*> args = {"tool", "--frob=1", "vsock://3:5000"};
  OptionScanner scan(3, args.data());
  std::optional<ScannedArg> option = scan.Next();
  std::optional<ScannedArg> positional = scan.Next();
  ASSERT_TRUE(option && positional);
  EXPECT_EQ(OptionScanner::Unknown(*option).message(),
            "unknown option \"--frob\"");
  EXPECT_EQ(OptionScanner::Unknown(*positional).message(),
            "unexpected argument \"vsock://3:5000\"");
  EXPECT_EQ(OptionScanner::Unknown(*positional, " (one URI only)").message(),
            "unexpected argument \"vsock://3:5000\" (one URI only)");
  EXPECT_EQ(OptionScanner::Unknown(*positional).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvsock::tools
