#include "backends/uri.h"

#include "backends/uri_address.h"

#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Address Parsed(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_TRUE(address.ok()) << uri << ": " << address.status();
  return address.ok() ? *address : Address{};
}

std::string ErrorOf(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_FALSE(address.ok()) << uri << " parsed";
  if (address.ok()) return "";
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(address.status().message());
}

TEST(Uri, ParsesVsockCidAndPort) {
  EXPECT_EQ(Parsed("vsock://2:1024"), Address(VsockAddress{2, 1024}));
  EXPECT_EQ(Parsed("vsock://3:0x400"), Address(VsockAddress{3, 1024}));
  EXPECT_EQ(Parsed("VSOCK://4294967295:80/"),
            Address(VsockAddress{VsockAddress::kCidAny, 80}));
}

TEST(Uri, EmptyCidMeansAnyCid) {
  EXPECT_EQ(Parsed("vsock://:5000"),
            Address(VsockAddress{VsockAddress::kCidAny, 5000}));
}

TEST(Uri, ParsesUnixPathsWithPercentEscapes) {
  EXPECT_EQ(Parsed("unix:///run/agent.sock"),
            Address(UnixAddress{"/run/agent.sock"}));
  EXPECT_EQ(Parsed("unix:///tmp/with%20space%3F"),
            Address(UnixAddress{"/tmp/with space?"}));
}

TEST(Uri, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatAddressUri(VsockAddress{2, 1024}), "vsock://2:1024");
  EXPECT_EQ(FormatAddressUri(VsockAddress{VsockAddress::kCidAny, 7}),
            "vsock://:7");
  EXPECT_EQ(FormatAddressUri(UnixAddress{"/tmp/a b%#?"}),
            "unix:///tmp/a%20b%25%23%3F");
  for (const Address& address :
       {Address(VsockAddress{0, 0}), Address(VsockAddress{1, 0xFFFFFFFF}),
        Address(VsockAddress{0xFFFFFFFF, 1}), Address(UnixAddress{"/x"}),
        Address(UnixAddress{"/a/\x01\xff%/b c"})}) {
    EXPECT_EQ(Parsed(FormatAddressUri(address)), address)
        << FormatAddressUri(address);
  }
}

TEST(Uri, UnnamedAndRelativeUnixAddressesFormatReadablyButDoNotParse) {
  EXPECT_EQ(FormatAddressUri(UnixAddress{""}), "unix://");
  EXPECT_EQ(FormatAddressUri(UnixAddress{"rel/x"}), "unix:rel/x");
  ErrorOf("unix://");
  ErrorOf("unix:rel/x");
}

TEST(Uri, ErrorsSayWhatIsWrongAndWhere) {
  EXPECT_EQ(ErrorOf(""),
            "bad URI \"\": empty (expected e.g. vsock://2:1024 or "
            "unix:///run/agent.sock)");
  EXPECT_THAT(ErrorOf("vsock://2:x1"),
              HasSubstr("at column 11: port \"x1\" is not a decimal number"));
  EXPECT_THAT(ErrorOf("vsock://2:0x1g"),
              HasSubstr("at column 14: port \"0x1g\" is not a hexadecimal"));
  EXPECT_THAT(ErrorOf("vsock://4294967296:1"),
              HasSubstr("at column 9: CID \"4294967296\" is out of range"));
  EXPECT_THAT(ErrorOf("vsock://2"),
              HasSubstr("at column 10: expected ':' and a port"));
  EXPECT_THAT(ErrorOf("vsock://"), HasSubstr("at column 9: expected CID:PORT"));
  EXPECT_THAT(ErrorOf("vsock://2:"), HasSubstr("at column 11: missing port"));
  EXPECT_THAT(ErrorOf("vsock://2:1/x"),
              HasSubstr("at column 12: unexpected path \"/x\""));
  EXPECT_THAT(ErrorOf("unix://tmp/x.sock"),
              HasSubstr("at column 8: unix URIs have no host (found \"tmp\")"));
  EXPECT_THAT(ErrorOf("unix:///"), HasSubstr("at column 8: missing socket"));
  EXPECT_THAT(ErrorOf("unix:///a%2"),
              HasSubstr("at column 10: '%' must be followed by two"));
  EXPECT_THAT(ErrorOf("unix:///a%00"), HasSubstr("at column 10: %00"));
  // Found by fuzz/uri_fuzz: a raw NUL parsed, then its %00 form did not.
  EXPECT_THAT(ErrorOf(absl::string_view("unix:///a\0b", 11)),
              HasSubstr("at column 10: a NUL byte"));
  EXPECT_THAT(ErrorOf("unix:///a?b"), HasSubstr("at column 10: queries"));
  EXPECT_THAT(ErrorOf("unix:///a#b"), HasSubstr("at column 10: fragments"));
  EXPECT_THAT(ErrorOf("vsock://u@2:1"),
              HasSubstr("at column 10: user information"));
  EXPECT_THAT(ErrorOf("tcp://1.2.3.4:5"),
              HasSubstr("at column 1: unknown scheme \"tcp\" (expected vsock "
                        "or unix)"));
  EXPECT_THAT(ErrorOf("/tmp/x.sock"),
              HasSubstr("at column 1: expected a scheme"));
  EXPECT_THAT(ErrorOf("vsock:2:1"),
              HasSubstr("at column 6: expected \"://\" after the scheme"));
}

TEST(Uri, ErrorMessagesEscapeUnprintableBytes) {
  EXPECT_THAT(ErrorOf("vsock://\x01:1"), HasSubstr("\"vsock://\\x01:1\""));
}

TEST(Uri, WellKnownCidsHaveNames) {
  EXPECT_EQ(WellKnownCidName(VsockAddress::kCidAny), "any");
  EXPECT_EQ(WellKnownCidName(0), "hypervisor");
  EXPECT_EQ(WellKnownCidName(1), "local");
  EXPECT_EQ(WellKnownCidName(2), "host");
  EXPECT_EQ(WellKnownCidName(3), "");
}

// ── hybrid-vsock:// and hyperkit://, through the one entry point ParseUri ──

UriAddress ParsedAny(absl::string_view uri) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  EXPECT_TRUE(address.ok()) << uri << ": " << address.status();
  return address.ok() ? *address : UriAddress{};
}

std::string AnyErrorOf(absl::string_view uri) {
  absl::StatusOr<UriAddress> address = ParseUri(uri);
  EXPECT_FALSE(address.ok()) << uri << " parsed";
  if (address.ok()) return "";
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(address.status().message());
}

TEST(VmmSocketUri, HybridVsockNamesTheVmmSocketAndTheGuestPort) {
  EXPECT_EQ(ParsedAny("hybrid-vsock:///run/fc/v.sock:52"),
            UriAddress(HybridVsockAddress{"/run/fc/v.sock", 52}));
  EXPECT_EQ(ParsedAny("HYBRID-VSOCK:///tmp/ch.vsock:0x400"),
            UriAddress(HybridVsockAddress{"/tmp/ch.vsock", 1024}));
  EXPECT_EQ(UriScheme(ParsedAny("hybrid-vsock:///v:1")), "hybrid-vsock");
}

TEST(VmmSocketUri, HybridVsockPortIsTheNumberAfterTheLastColon) {
  EXPECT_EQ(ParsedAny("hybrid-vsock:///vm:7/v.sock:52"),
            UriAddress(HybridVsockAddress{"/vm:7/v.sock", 52}));
  EXPECT_EQ(ParsedAny("hybrid-vsock:///a%20b%3F/v.sock:4294967295"),
            UriAddress(HybridVsockAddress{"/a b?/v.sock", 4294967295u}));
}

TEST(VmmSocketUri, HyperkitNamesTheDirectoryThePortAndGuestCidThreeByDefault) {
  EXPECT_EQ(ParsedAny("hyperkit:///Users/me/vms/0:20480"),
            UriAddress(HyperkitAddress{"/Users/me/vms/0", 20480, 3}));
  EXPECT_EQ(ParsedAny("hyperkit:///vms/0:0x5000?cid=7"),
            UriAddress(HyperkitAddress{"/vms/0", 0x5000, 7}));
  EXPECT_EQ(ParsedAny("Hyperkit:///vms/0:1?cid=0x10"),
            UriAddress(HyperkitAddress{"/vms/0", 1, 16}));
  EXPECT_EQ(UriScheme(ParsedAny("hyperkit:///d:1")), "hyperkit");
}

TEST(VmmSocketUri, FormatRoundTrips) {
  for (const UriAddress& address :
       {UriAddress(HybridVsockAddress{"/run/v.sock", 52}),
        UriAddress(HybridVsockAddress{"/a:b/c d%?#", 0}),
        UriAddress(HyperkitAddress{"/vms/0", 0x5000, 3}),
        UriAddress(HyperkitAddress{"/v?ms/0:", 1, 4294967294u})}) {
    EXPECT_EQ(ParsedAny(FormatUri(address)), address) << FormatUri(address);
  }
  EXPECT_EQ(FormatUri(HybridVsockAddress{"/run/v.sock", 52}),
            "hybrid-vsock:///run/v.sock:52");
  EXPECT_EQ(FormatUri(HyperkitAddress{"/vms/0", 80, 3}), "hyperkit:///vms/0:80");
  EXPECT_EQ(FormatUri(HyperkitAddress{"/vms/0", 80, 9}),
            "hyperkit:///vms/0:80?cid=9");
}

TEST(VmmSocketUri, ErrorsSayWhatIsWrongAndWhere) {
  EXPECT_EQ(AnyErrorOf("hybrid-vsock:///run/v.sock"),
            "bad URI \"hybrid-vsock:///run/v.sock\" at column 27: expected "
            "':' and a port after the socket path "
            "(hybrid-vsock:///path/to/v.sock:PORT)");
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///run/v.sock:"),
              HasSubstr("at column 28: missing port after ':'"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///run/v.sock:5x"),
              HasSubstr("at column 29: port \"5x\" is not a decimal number"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///v:4294967296"),
              HasSubstr("at column 19: port \"4294967296\" is out of range"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///:52"),
              HasSubstr("at column 16: missing socket path before the port"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock://host/v.sock:52"),
              HasSubstr("at column 16: hybrid-vsock URIs have no host (found "
                        "\"host\")"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///v%2:52"),
              HasSubstr("at column 18: '%' must be followed by two"));
  EXPECT_THAT(AnyErrorOf("hybrid-vsock:///v:52?cid=3"),
              HasSubstr("at column 21: queries"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///vms/0"),
              HasSubstr("at column 18: expected ':' and a port after the "
                        "directory (hyperkit:///path/to/dir:PORT)"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///vms/0:80?port=3"),
              HasSubstr("at column 22: unknown query \"port=3\" (the only one "
                        "is ?cid=N"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///vms/0:80?cid=x"),
              HasSubstr("at column 26: CID \"x\" is not a decimal number"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///vms/0:80?cid=2"),
              HasSubstr("at column 26: CID 2 is not a guest's"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///vms/0:80?cid=3#x"),
              HasSubstr("at column 27: fragments"));
  EXPECT_THAT(AnyErrorOf("hyperkit://h/vms/0:80?cid=3"),
              StartsWith("bad URI \"hyperkit://h/vms/0:80?cid=3\" at column "
                         "12: hyperkit URIs have no host"));
  EXPECT_THAT(AnyErrorOf("hyperkit:///v:1@?cid=3"),
              HasSubstr("at column 16: port \"1@\" is not a decimal number"));
}

}  // namespace
}  // namespace hvsock
