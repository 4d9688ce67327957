#include "backends/uri.h"

#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// hybrid-vsock:// and hyperkit:// URIs: a guest port behind a VMM's Unix
// sockets.

Address ParsedAny(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_TRUE(address.ok()) << uri << ": " << address.status();
  return address.ok() ? *address : Address{};
}

std::string AnyErrorOf(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_FALSE(address.ok()) << uri << " parsed";
  if (address.ok()) return "";
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(address.status().message());
}

TEST(VmmSocketUri, HybridVsockNamesTheVmmSocketAndTheGuestPort) {
  EXPECT_EQ(ParsedAny("hybrid-vsock:///run/fc/v.sock:52"),
            Address(HybridVsockAddress{"/run/fc/v.sock", 52}));
  EXPECT_EQ(ParsedAny("HYBRID-VSOCK:///tmp/ch.vsock:0x400"),
            Address(HybridVsockAddress{"/tmp/ch.vsock", 1024}));
  EXPECT_EQ(AddressScheme(ParsedAny("hybrid-vsock:///v:1")), "hybrid-vsock");
}

TEST(VmmSocketUri, HybridVsockPortIsTheNumberAfterTheLastColon) {
  EXPECT_EQ(ParsedAny("hybrid-vsock:///vm:7/v.sock:52"),
            Address(HybridVsockAddress{"/vm:7/v.sock", 52}));
  EXPECT_EQ(ParsedAny("hybrid-vsock:///a%20b%3F/v.sock:4294967295"),
            Address(HybridVsockAddress{"/a b?/v.sock", 4294967295u}));
}

TEST(VmmSocketUri, HyperkitNamesTheDirectoryThePortAndGuestCidThreeByDefault) {
  EXPECT_EQ(ParsedAny("hyperkit:///Users/me/vms/0:20480"),
            Address(HyperkitAddress{"/Users/me/vms/0", 20480, 3}));
  EXPECT_EQ(ParsedAny("hyperkit:///vms/0:0x5000?cid=7"),
            Address(HyperkitAddress{"/vms/0", 0x5000, 7}));
  EXPECT_EQ(ParsedAny("Hyperkit:///vms/0:1?cid=0x10"),
            Address(HyperkitAddress{"/vms/0", 1, 16}));
  EXPECT_EQ(AddressScheme(ParsedAny("hyperkit:///d:1")), "hyperkit");
}

TEST(VmmSocketUri, FormatRoundTrips) {
  for (const Address& address :
       {Address(HybridVsockAddress{"/run/v.sock", 52}),
        Address(HybridVsockAddress{"/a:b/c d%?#", 0}),
        Address(HyperkitAddress{"/vms/0", 0x5000, 3}),
        Address(HyperkitAddress{"/v?ms/0:", 1, 4294967294u})}) {
    EXPECT_EQ(ParsedAny(FormatAddressUri(address)), address)
        << FormatAddressUri(address);
  }
  EXPECT_EQ(FormatAddressUri(HybridVsockAddress{"/run/v.sock", 52}),
            "hybrid-vsock:///run/v.sock:52");
  EXPECT_EQ(FormatAddressUri(HyperkitAddress{"/vms/0", 80, 3}),
            "hyperkit:///vms/0:80");
  EXPECT_EQ(FormatAddressUri(HyperkitAddress{"/vms/0", 80, 9}),
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
