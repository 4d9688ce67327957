// The command line: defaults, sizes with units, ranges, and errors that
// name the option and the problem.
#include "tools/hvstress/options.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock::hvstress {
namespace {

absl::StatusOr<Options> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hvstress");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(Options, NoArgumentsIsTheDefaultRunOnAnInProcessServer) {
  absl::StatusOr<Options> options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->mode, Options::Mode::kStress);
  EXPECT_EQ(options->uri, "");
  EXPECT_EQ(options->connections, 2000u);
  EXPECT_EQ(options->codec, Codec::kNative);
  EXPECT_FALSE(options->seed.has_value());
}

TEST(Options, EveryOptionInBothSpellings) {
  absl::StatusOr<Options> options =
      Parse({"-n", "10", "--parallel=3", "--bytes", "1K-2M", "--write-size=512",
             "--protocol=framed", "--seed=42", "--close-timeout=0.5",
             "--uri=vsock://3:5000", "--json", "-q"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->connections, 10u);
  EXPECT_EQ(options->parallel, 3u);
  EXPECT_EQ(options->bytes, (SizeRange{1024, 2 * 1024 * 1024}));
  EXPECT_EQ(options->write_size, (SizeRange{512, 512}));
  EXPECT_EQ(options->codec, Codec::kFramed);
  EXPECT_EQ(options->seed, 42u);
  EXPECT_EQ(options->close_timeout, absl::Milliseconds(500));
  EXPECT_EQ(options->uri, "vsock://3:5000");
  EXPECT_TRUE(options->json);
  EXPECT_FALSE(options->progress);
}

TEST(Options, ADurationAloneMeansAsManyConnectionsAsFit) {
  absl::StatusOr<Options> options = Parse({"--duration=5"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->connections, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(options->duration, absl::Seconds(5));

  options = Parse({"--duration=5", "-n", "7"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->connections, 7u);
}

TEST(Options, ServerModeNeedsItsUri) {
  absl::StatusOr<Options> options = Parse({"--server", "vsock://:5000"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->mode, Options::Mode::kServer);
  EXPECT_EQ(options->uri, "vsock://:5000");
  EXPECT_EQ(Parse({"--server"}).status().message(), "--server needs a value");
  EXPECT_EQ(Parse({"--server=unix:///a", "--uri=unix:///b"}).status().message(),
            "give one of --uri and --server, once");
}

TEST(Options, SizesTakeBinaryUnits) {
  EXPECT_EQ(*ParseSize("17"), 17u);
  EXPECT_EQ(*ParseSize("64K"), 65536u);
  EXPECT_EQ(*ParseSize("64kib"), 65536u);
  EXPECT_EQ(*ParseSize("3M"), 3u << 20);
  EXPECT_EQ(*ParseSize("1G"), 1u << 30);
  EXPECT_EQ(ParseSize("1T").status().message(),
            "\"1T\": unknown unit \"T\" (K, M or G)");
  EXPECT_EQ(ParseSize("K").status().message(),
            "\"K\" is not a size (e.g. 4096, 64K, 1M)");
  EXPECT_FALSE(ParseSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseSize("17179869184G").ok());  // overflows
}

TEST(Options, MistakesNameTheOptionAndTheProblem) {
  EXPECT_EQ(Parse({"--bytes=2M-1M"}).status().message(),
            "--bytes: \"2M-1M\": the minimum is larger than the maximum");
  EXPECT_EQ(Parse({"--write-size=0-4K"}).status().message(),
            "--write-size: writes must be at least 1 byte");
  EXPECT_EQ(Parse({"--parallel=0"}).status().message(),
            "--parallel: \"0\" is not a whole number of at least 1");
  EXPECT_EQ(Parse({"--protocol=tcp"}).status().message(),
            "--protocol: \"tcp\" is not native or framed");
  EXPECT_EQ(Parse({"--duration=soon"}).status().message(),
            "--duration: \"soon\" is not a positive duration of at most "
            "1000000000s (seconds, e.g. 10 or 0.25, or with a unit: 250ms, "
            "1.5s, 2m)");
  EXPECT_EQ(Parse({"--frobnicate"}).status().message(),
            "unknown option \"--frobnicate\"");
  EXPECT_EQ(Parse({"vsock://3:5000"}).status().message(),
            "unexpected argument \"vsock://3:5000\"");
}

TEST(Options, EveryDurationIsPositiveOrAUsageError) {
  for (const char* option : {"--duration", "--connect-timeout",
                             "--close-timeout", "--idle-timeout"}) {
    for (const char* value : {"0", "0s", "-1", "-0.5s"}) {
      std::string arg = absl::StrCat(option, "=", value);
      absl::StatusOr<Options> options = Parse({arg.c_str()});
      EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument)
          << arg;
      EXPECT_THAT(std::string(options.status().message()),
                  ::testing::StartsWith(absl::StrCat(
                      option, ": \"", value, "\" is not a positive duration")));
    }
    std::string arg = absl::StrCat(option, "=250ms");
    EXPECT_TRUE(Parse({arg.c_str()}).ok()) << arg;
  }
}

TEST(Options, TheServersIdleTimeoutDefaultsToAMinuteAndCanBeChanged) {
  absl::StatusOr<Options> server = Parse({"--server=unix:///s"});
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->idle_timeout, kServerIdleTimeout);
  EXPECT_EQ(kServerIdleTimeout, absl::Seconds(60));

  server = Parse({"--idle-timeout=2.5", "--server=unix:///s"});
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->idle_timeout, absl::Milliseconds(2500));

  absl::StatusOr<Options> client = Parse({});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->idle_timeout, kClientIdleTimeout);
}

TEST(Options, ThreadsDefaultsToOneAndTakesACountUpTo256) {
  EXPECT_EQ(Parse({})->threads, 1u);
  EXPECT_EQ(Parse({"--threads=2"})->threads, 2u);
  EXPECT_EQ(Parse({"--server", "unix:///s", "--threads", "4"})->threads, 4u);
  EXPECT_EQ(Parse({"--threads=0"}).status().message(),
            "--threads: \"0\" is not a whole number of at least 1");
  EXPECT_EQ(Parse({"--threads=257"}).status().message(),
            "--threads: at most 256 threads");
}

}  // namespace
}  // namespace hvsock::hvstress
