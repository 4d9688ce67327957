#include "backends/uri_address.h"

#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

UriAddress Parsed(absl::string_view uri) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  EXPECT_TRUE(address.ok()) << uri << ": " << address.status();
  return address.ok() ? *address : UriAddress{};
}

std::string ErrorOf(absl::string_view uri) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  EXPECT_FALSE(address.ok()) << uri << " parsed";
  if (address.ok()) return "";
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(address.status().message());
}

TEST(ParseUri, KnowsEveryScheme) {
  EXPECT_EQ(Parsed("vsock://3:5000"), UriAddress(VsockAddress{3, 5000}));
  EXPECT_EQ(Parsed("unix:///run/agent.sock"),
            UriAddress(UnixAddress{"/run/agent.sock"}));
  EXPECT_EQ(Parsed("hvsock://parent/80"),
            UriAddress(HvSocketAddress{kHvGuidParent, VsockPortGuid(80)}));
  EXPECT_EQ(Parsed("TCP://127.0.0.1:8080"),
            UriAddress(TcpLoopbackAddress{8080}));
  EXPECT_EQ(Parsed("tcp://127.0.0.1:0/"), UriAddress(TcpLoopbackAddress{0}));
}

TEST(ParseUri, FormatRoundTrips) {
  for (absl::string_view uri :
       {"vsock://3:5000", "vsock://:80", "unix:///tmp/a%20b",
        "hvsock://children/e0e16197-dd56-4a10-9195-5ee7a155a838",
        "hvsock://parent/80", "tcp://127.0.0.1:65535"}) {
    UriAddress address = Parsed(uri);
    EXPECT_EQ(FormatUri(address), uri);
    EXPECT_EQ(Parsed(FormatUri(address)), address);
  }
  EXPECT_EQ(UriScheme(Parsed("vsock://3:1")), "vsock");
  EXPECT_EQ(UriScheme(Parsed("unix:///a")), "unix");
  EXPECT_EQ(UriScheme(Parsed("hvsock://parent/1")), "hvsock");
  EXPECT_EQ(UriScheme(Parsed("tcp://127.0.0.1:1")), "tcp");
}

// Every scheme reports errors in one format: the URI, a 1-based column,
// what was expected and what was found.
TEST(ParseUri, OneErrorFormatForEveryScheme) {
  EXPECT_THAT(ErrorOf("vsock://2:x"),
              StartsWith("bad URI \"vsock://2:x\" at column 11: port \"x\""));
  EXPECT_THAT(ErrorOf("unix://host/a"),
              StartsWith("bad URI \"unix://host/a\" at column 8: unix URIs "
                         "have no host"));
  EXPECT_THAT(ErrorOf("hvsock://nowhere/80"),
              StartsWith("bad URI \"hvsock://nowhere/80\" at column 10: VMID "
                         "\"nowhere\" is neither a GUID nor one of"));
  EXPECT_THAT(ErrorOf("tcp://10.0.0.1:80"),
              StartsWith("bad URI \"tcp://10.0.0.1:80\" at column 7: expected "
                         "the loopback address 127.0.0.1, found \"10.0.0.1\""));
  EXPECT_THAT(ErrorOf("ftp://x"),
              StartsWith("bad URI \"ftp://x\" at column 1: unknown scheme "
                         "\"ftp\" (expected vsock, unix, hvsock, tcp, "
                         "hybrid-vsock or hyperkit)"));
}

TEST(ParseUri, TcpIsLoopbackOnlyWithAPort) {
  EXPECT_THAT(ErrorOf("tcp://localhost:80"),
              HasSubstr("at column 7: expected the loopback address"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1"),
              HasSubstr("at column 16: missing port after 127.0.0.1"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:"),
              HasSubstr("at column 17: missing port after 127.0.0.1"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:65536"),
              HasSubstr("at column 17: TCP port \"65536\" is out of range"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:8x"),
              HasSubstr("at column 18: port \"8x\" is not a decimal number"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:80/x"),
              HasSubstr("at column 19: unexpected path after the port"));
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:80?x"), HasSubstr("at column 19: queries"));
}

}  // namespace
}  // namespace hvsock
