// The option values every tool parses alike, and errors that name the
// option, the text and what was expected.
#include "tools/option_values.h"

#include "gtest/gtest.h"

namespace hvsock::tools {
namespace {

TEST(ParseDuration, WholeAndFractionalSeconds) {
  EXPECT_EQ(*ParseDuration("--t", "10"), absl::Seconds(10));
  EXPECT_EQ(*ParseDuration("--t", "0.25"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("--t", ".5"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("--t", "3."), absl::Seconds(3));
  EXPECT_EQ(*ParseDuration("--t", "0.000000001"), absl::Nanoseconds(1));
  EXPECT_EQ(*ParseDuration("--t", "1000000000"), kMaxOptionDuration);
}

TEST(ParseDuration, AUnitAsDurationsArePrinted) {
  EXPECT_EQ(*ParseDuration("--t", "250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("--t", "1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseDuration("--t", "2m"), absl::Minutes(2));
  EXPECT_EQ(*ParseDuration("--t", "1h30m"), absl::Minutes(90));
  // What absl::FormatDuration prints reads back as the same duration.
  for (absl::Duration d : {absl::Seconds(30), absl::Milliseconds(2500),
                           absl::Microseconds(7), absl::Minutes(61)}) {
    EXPECT_EQ(*ParseDuration("--t", absl::FormatDuration(d)), d);
  }
}

TEST(ParseDuration, ZeroAndNegativeAreUsageErrors) {
  for (const char* text :
       {"0", "0.0", "000", "0s", "0ms", "-1", "-1s", "0.0000000001", "-0.5"}) {
    EXPECT_FALSE(ParseDuration("--close-timeout", text).ok()) << text;
  }
  EXPECT_EQ(ParseDuration("--close-timeout", "0").status().message(),
            "--close-timeout: \"0\" is not a positive duration of at most "
            "1000000000s (seconds, e.g. 10 or 0.25, or with a unit: 250ms, "
            "1.5s, 2m)");
}

TEST(ParseDuration, RejectsWhatIsNotAFiniteDurationInRange) {
  for (const char* text :
       {"", ".", "soon", "10x", "1e3", "nan", "inf", "1000000000.1",
        "10000000000", "99999999999999999999999", "1 s", " 1", "0x10",
        "1.2.3"}) {
    EXPECT_FALSE(ParseDuration("--t", text).ok()) << text;
  }
}

TEST(FormatSeconds, ReadsBackAsTheSameDuration) {
  EXPECT_EQ(FormatSeconds(absl::Seconds(10)), "10");
  EXPECT_EQ(FormatSeconds(absl::Milliseconds(250)), "0.25");
  EXPECT_EQ(FormatSeconds(absl::Nanoseconds(1)), "0.000000001");
  EXPECT_EQ(FormatSeconds(absl::Seconds(90) + absl::Nanoseconds(10)),
            "90.00000001");
  for (absl::Duration d :
       {absl::Nanoseconds(1), absl::Milliseconds(1234), absl::Seconds(7),
        kMaxOptionDuration, absl::Seconds(3) + absl::Nanoseconds(999999999)}) {
    EXPECT_EQ(*ParseDuration("--t", FormatSeconds(d)), d) << d;
    EXPECT_EQ(*ParseDuration("--t", FormatSeconds(d) + "s"), d) << d;
  }
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
