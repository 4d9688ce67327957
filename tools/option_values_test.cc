// The option values every tool parses alike, and errors that name the
// option, the text and what was expected.
#include "tools/option_values.h"

#include "gtest/gtest.h"

namespace hvsock::tools {
namespace {

TEST(ParseSeconds, WholeAndFractionalSeconds) {
  EXPECT_EQ(*ParseSeconds("--t", "10", false), absl::Seconds(10));
  EXPECT_EQ(*ParseSeconds("--t", "0.25", false), absl::Milliseconds(250));
  EXPECT_EQ(*ParseSeconds("--t", "1e9", false), absl::Seconds(1e9));
}

TEST(ParseSeconds, ZeroOnlyWhenAllowed) {
  EXPECT_EQ(*ParseSeconds("--t", "0", true), absl::ZeroDuration());
  EXPECT_EQ(ParseSeconds("--connect-timeout", "0", false).status().message(),
            "--connect-timeout: \"0\" is not a positive number of seconds "
            "(e.g. 10 or 0.25)");
}

TEST(ParseSeconds, RejectsWhatIsNotAFiniteNumberInRange) {
  for (const char* text :
       {"", "soon", "10s", "-1", "nan", "inf", "1e10", "1e999"}) {
    EXPECT_FALSE(ParseSeconds("--t", text, true).ok()) << text;
  }
  EXPECT_EQ(ParseSeconds("--close-timeout", "soon", true).status().message(),
            "--close-timeout: \"soon\" is not a non-negative number of "
            "seconds (e.g. 10 or 0.25)");
}

TEST(ParseCodec, NativeOrFramed) {
  EXPECT_EQ(*ParseCodec("--protocol", "native"), Codec::kNative);
  EXPECT_EQ(*ParseCodec("--protocol", "framed"), Codec::kFramed);
  EXPECT_EQ(ParseCodec("--protocol", "tcp").status().message(),
            "--protocol: \"tcp\" is not native or framed");
  EXPECT_FALSE(ParseCodec("--protocol", "Native").ok());
}

}  // namespace
}  // namespace hvsock::tools
