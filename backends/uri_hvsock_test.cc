#include "backends/uri.h"

#include <string>
#include <variant>

#include "backends/hyperv/guid.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

// hvsock:// URIs through the one parser (backends/uri.h); the VMID and
// SERVICEID text forms alone are backends/hyperv/id_text_test.cc's.

HvSocketAddress Parsed(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_TRUE(address.ok()) << uri << ": " << address.status();
  const auto* hv =
      address.ok() ? std::get_if<HvSocketAddress>(&*address) : nullptr;
  EXPECT_NE(hv, nullptr) << uri << " is not a Hyper-V address";
  return hv != nullptr ? *hv : HvSocketAddress{};
}

std::string FormatHvsockUri(const HvSocketAddress& address) {
  return FormatAddressUri(address);
}

std::string ErrorOf(absl::string_view uri) {
  absl::StatusOr<Address> address = ParseAddressUri(uri);
  EXPECT_FALSE(address.ok()) << uri;
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(address.status().message());
}

TEST(HvsockUri, KeywordVmIdsAndDecimalPort) {
  EXPECT_EQ(Parsed("hvsock://parent/2375"),
            (HvSocketAddress{kHvGuidParent, VsockPortGuid(2375)}));
  EXPECT_EQ(Parsed("hvsock://wildcard/1").vm_id, kHvGuidWildcard);
  EXPECT_EQ(Parsed("hvsock://children/1").vm_id, kHvGuidChildren);
  EXPECT_EQ(Parsed("hvsock://loopback/1").vm_id, kHvGuidLoopback);
  EXPECT_EQ(Parsed("hvsock://silohost/1").vm_id, kHvGuidSiloHost);
  EXPECT_EQ(Parsed("hvsock://broadcast/1").vm_id, kHvGuidBroadcast);
  EXPECT_EQ(Parsed("HVSOCK://Parent/1").vm_id, kHvGuidParent);
}

TEST(HvsockUri, HexPortMapsThroughTheVsockTemplate) {
  EXPECT_EQ(Parsed("hvsock://parent/0x2375").service_id, VsockPortGuid(0x2375));
  EXPECT_EQ(Parsed("hvsock://parent/0XfFfFfFfF").service_id,
            VsockPortGuid(0xffffffff));
  EXPECT_EQ(Parsed("hvsock://parent/4294967295").service_id,
            VsockPortGuid(0xffffffff));
}

TEST(HvsockUri, GuidVmIdAndServiceId) {
  HvSocketAddress address = Parsed(
      "hvsock://{3F0C8D59-1A2B-4C3D-9E8F-0123456789AB}/"
      "0000162e-facb-11e6-bd58-64006a7986d3");
  EXPECT_EQ(FormatHvGuid(address.vm_id),
            "3f0c8d59-1a2b-4c3d-9e8f-0123456789ab");
  EXPECT_EQ(VsockPortOf(address.service_id), 0x162eu);
}

TEST(HvsockUri, FormatRoundTrips) {
  for (const HvSocketAddress& address :
       {HvSocketAddress{kHvGuidParent, VsockPortGuid(80)},
        HvSocketAddress{kHvGuidWildcard, kHvGuidLoopback},
        HvSocketAddress{*ParseHvGuid("3f0c8d59-1a2b-4c3d-9e8f-0123456789ab"),
                        VsockPortGuid(0)}}) {
    std::string uri = FormatHvsockUri(address);
    EXPECT_EQ(Parsed(uri), address) << uri;
  }
  EXPECT_EQ(FormatHvsockUri({kHvGuidParent, VsockPortGuid(80)}),
            "hvsock://parent/80");
  EXPECT_EQ(FormatHvsockUri({kHvGuidChildren, kHvGuidLoopback}),
            "hvsock://children/e0e16197-dd56-4a10-9195-5ee7a155a838");
}

// The error format is every scheme's: the URI, a 1-based column, what was
// expected and what was found.
TEST(HvsockUri, ErrorsSayWhatAndWhere) {
  EXPECT_THAT(ErrorOf("parent/80"),
              HasSubstr("at column 7: expected \"://\" after the scheme"));
  EXPECT_THAT(ErrorOf("hvsock://parent"),
              HasSubstr("at column 16: expected '/' and a SERVICEID after "
                        "the VMID"));
  EXPECT_THAT(ErrorOf("hvsock://host/80"),
              HasSubstr("at column 10: VMID \"host\" is neither a GUID nor "
                        "one of wildcard"));
  EXPECT_THAT(ErrorOf("hvsock:///80"),
              HasSubstr("at column 10: the VMID is empty"));
  EXPECT_THAT(ErrorOf("hvsock://parent/"),
              HasSubstr("at column 17: the SERVICEID is empty"));
  EXPECT_THAT(ErrorOf("hvsock://parent/80x"),
              HasSubstr("at column 17: SERVICEID \"80x\" is neither a GUID "
                        "nor a port number"));
  EXPECT_THAT(ErrorOf("hvsock://parent/0x"), HasSubstr("no digits"));
  EXPECT_THAT(ErrorOf("hvsock://parent/0x100000000"),
              HasSubstr("exceeds the largest port"));
  EXPECT_THAT(ErrorOf("hvsock://parent/4294967296"),
              HasSubstr("exceeds the largest port"));
  EXPECT_THAT(ErrorOf("hvsock://parent/80/extra"),
              HasSubstr("at column 19: unexpected '/' after the SERVICEID"));
  EXPECT_THAT(ErrorOf("hvsock://parent/80?codec=native"),
              HasSubstr("at column 19: queries ('?') are not supported"));
  EXPECT_THAT(ErrorOf("hvsock://me@parent/80"),
              HasSubstr("at column 12: user information"));
  EXPECT_THAT(ErrorOf("hvsock://e0e16197-dd56-4a10-9195-5ee7a155a83/1"),
              HasSubstr("at column 10: VMID: GUID"));
  EXPECT_THAT(ErrorOf("hvsock://parent/{0000162e-facb-11e6-bd58-64006a7986dz}"),
              HasSubstr("at column 17: SERVICEID: GUID"));
}

}  // namespace
}  // namespace hvsock
