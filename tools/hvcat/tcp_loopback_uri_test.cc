#include "tools/hvcat/tcp_loopback_uri.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ErrorOf(absl::string_view uri) {
  absl::StatusOr<uint16_t> port = ParseTcpLoopbackUri(uri);
  EXPECT_FALSE(port.ok()) << uri << " parsed as port " << *port;
  EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(port.status().message());
}

TEST(TcpLoopbackUri, OnlyTheTcpSchemeIsItsInAnyCase) {
  EXPECT_TRUE(HasTcpScheme("tcp://127.0.0.1:80"));
  EXPECT_TRUE(HasTcpScheme("TCP://127.0.0.1:80"));
  EXPECT_FALSE(HasTcpScheme("hvsock://parent/80"));
  EXPECT_FALSE(HasTcpScheme("tcpx://127.0.0.1:80"));
}

TEST(TcpLoopbackUri, ParsesTheLoopbackPort) {
  EXPECT_EQ(ParseTcpLoopbackUri("TCP://127.0.0.1:8080").value(), 8080);
  EXPECT_EQ(ParseTcpLoopbackUri("tcp://127.0.0.1:0/").value(), 0);
  EXPECT_EQ(ParseTcpLoopbackUri("tcp://127.0.0.1:65535").value(), 65535);
}

TEST(TcpLoopbackUri, IsLoopbackOnlyWithAPortInTheUriErrorFormat) {
  EXPECT_THAT(ErrorOf("tcp://10.0.0.1:80"),
              StartsWith("bad URI \"tcp://10.0.0.1:80\" at column 7: expected "
                         "the loopback address 127.0.0.1, found \"10.0.0.1\""));
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
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:80?x"),
              HasSubstr("at column 19: queries"));
}

TEST(TcpLoopbackUri, AnotherSchemeIsNotItsToParse) {
  EXPECT_THAT(ErrorOf("vsock://3:80"),
              StartsWith("bad URI \"vsock://3:80\" at column 1: expected the "
                         "scheme \"tcp\", found \"vsock\""));
}

}  // namespace
}  // namespace hvsock
