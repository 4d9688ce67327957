#include "backends/uri.h"

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

// ── Every scheme through the one parser ────────────────────────────────

TEST(Uri, KnowsEveryScheme) {
  EXPECT_EQ(Parsed("vsock://3:5000"), Address(VsockAddress{3, 5000}));
  EXPECT_EQ(Parsed("unix:///run/agent.sock"),
            Address(UnixAddress{"/run/agent.sock"}));
  EXPECT_EQ(Parsed("hybrid-vsock:///run/v.sock:52"),
            Address(HybridVsockAddress{"/run/v.sock", 52}));
  EXPECT_EQ(Parsed("hyperkit:///vms/0:80"),
            Address(HyperkitAddress{"/vms/0", 80, 3}));
  EXPECT_EQ(Parsed("hvsock://parent/80"),
            Address(HvSocketAddress{kHvGuidParent, VsockPortGuid(80)}));
}

TEST(Uri, EverySchemeFormatsAsWrittenAndRoundTrips) {
  for (absl::string_view uri :
       {"vsock://3:5000", "vsock://:80", "unix:///tmp/a%20b",
        "hybrid-vsock:///run/v.sock:52", "hyperkit:///vms/0:80?cid=9",
        "hvsock://children/e0e16197-dd56-4a10-9195-5ee7a155a838",
        "hvsock://parent/80"}) {
    Address address = Parsed(uri);
    EXPECT_EQ(FormatAddressUri(address), uri);
    EXPECT_EQ(Parsed(FormatAddressUri(address)), address);
  }
}

TEST(Uri, EveryKindNamesItsScheme) {
  EXPECT_EQ(AddressScheme(Parsed("vsock://3:1")), "vsock");
  EXPECT_EQ(AddressScheme(Parsed("unix:///a")), "unix");
  EXPECT_EQ(AddressScheme(Parsed("hybrid-vsock:///v:1")), "hybrid-vsock");
  EXPECT_EQ(AddressScheme(Parsed("hyperkit:///d:1")), "hyperkit");
  EXPECT_EQ(AddressScheme(Parsed("hvsock://parent/1")), "hvsock");
}

// Every scheme reports errors in one format: the URI, a 1-based column,
// what was expected and what was found.
TEST(Uri, OneErrorFormatForEveryScheme) {
  EXPECT_THAT(ErrorOf("vsock://2:x"),
              StartsWith("bad URI \"vsock://2:x\" at column 11: port \"x\""));
  EXPECT_THAT(ErrorOf("unix://host/a"),
              StartsWith("bad URI \"unix://host/a\" at column 8: unix URIs "
                         "have no host"));
  EXPECT_THAT(ErrorOf("hybrid-vsock:///v.sock"),
              StartsWith("bad URI \"hybrid-vsock:///v.sock\" at column 23: "
                         "expected ':' and a port"));
  EXPECT_THAT(ErrorOf("hyperkit:///d:1?cid=2"),
              StartsWith("bad URI \"hyperkit:///d:1?cid=2\" at column 21: "
                         "CID 2 is not a guest's"));
  EXPECT_THAT(ErrorOf("hvsock://nowhere/80"),
              StartsWith("bad URI \"hvsock://nowhere/80\" at column 10: VMID "
                         "\"nowhere\" is neither a GUID nor one of"));
  EXPECT_THAT(ErrorOf("ftp://x"),
              StartsWith("bad URI \"ftp://x\" at column 1: unknown scheme "
                         "\"ftp\" (expected vsock, unix, hybrid-vsock, "
                         "hyperkit or hvsock)"));
}

// TCP loopback is no Address: tcp:// belongs to hvcat.exe's test-only
// parser (tools/hvcat/tcp_loopback_uri.h).
TEST(Uri, TcpIsAnUnknownScheme) {
  EXPECT_THAT(ErrorOf("tcp://127.0.0.1:80"),
              StartsWith("bad URI \"tcp://127.0.0.1:80\" at column 1: "
                         "unknown scheme \"tcp\""));
}

}  // namespace
}  // namespace hvsock
