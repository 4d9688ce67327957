#include "backends/hyperv/id_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const absl::StatusOr<HvGuid>& parsed) {
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(HvVmIdText, KeywordsNameTheWellKnownVmIds) {
  EXPECT_EQ(ParseHvVmId("parent").value(), kHvGuidParent);
  EXPECT_EQ(ParseHvVmId("Loopback").value(), kHvGuidLoopback);
  EXPECT_EQ(ParseHvVmId("wildcard").value(), kHvGuidWildcard);
  EXPECT_EQ(FormatHvVmId(kHvGuidChildren), "children");
  EXPECT_EQ(FormatHvVmId(kHvGuidSiloHost), "silohost");
}

TEST(HvVmIdText, OtherVmIdsAreGuids) {
  HvGuid vm = ParseHvGuid("3f0c8d59-1a2b-4c3d-9e8f-0123456789ab").value();
  EXPECT_EQ(ParseHvVmId("{3F0C8D59-1A2B-4C3D-9E8F-0123456789AB}").value(), vm);
  EXPECT_EQ(FormatHvVmId(vm), "3f0c8d59-1a2b-4c3d-9e8f-0123456789ab");
}

TEST(HvServiceIdText, PortsMapThroughTheVsockTemplateBothWays) {
  EXPECT_EQ(ParseHvServiceId("2375").value(), VsockPortGuid(2375));
  EXPECT_EQ(ParseHvServiceId("0x2375").value(), VsockPortGuid(0x2375));
  EXPECT_EQ(FormatHvServiceId(VsockPortGuid(80)), "80");
  EXPECT_EQ(FormatHvServiceId(kHvGuidLoopback),
            "e0e16197-dd56-4a10-9195-5ee7a155a838");
  EXPECT_EQ(ParseHvServiceId(FormatHvServiceId(kHvGuidLoopback)).value(),
            kHvGuidLoopback);
}

TEST(HvIdText, ErrorsSayWhatWasExpectedAndWhatArrived) {
  EXPECT_THAT(ErrorOf(ParseHvVmId("")),
              HasSubstr("the VMID is empty; expected a GUID or one of"));
  EXPECT_THAT(ErrorOf(ParseHvVmId("host")),
              HasSubstr("VMID \"host\" is neither a GUID nor one of wildcard"));
  EXPECT_THAT(ErrorOf(ParseHvVmId("e0e16197-dd56")), HasSubstr("VMID: GUID"));
  EXPECT_THAT(ErrorOf(ParseHvServiceId("")),
              HasSubstr("the SERVICEID is empty"));
  EXPECT_THAT(ErrorOf(ParseHvServiceId("80x")),
              HasSubstr("SERVICEID \"80x\" is neither a GUID nor a port "
                        "number (decimal or 0x hex): 'x' at offset 2"));
  EXPECT_THAT(ErrorOf(ParseHvServiceId("0x")), HasSubstr("no digits"));
  EXPECT_THAT(ErrorOf(ParseHvServiceId("4294967296")),
              HasSubstr("exceeds the largest port"));
}

}  // namespace
}  // namespace hvsock
