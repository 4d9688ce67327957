#include "backends/hyperv/guid.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

TEST(HvGuid, ParsesAndFormatsFieldsMostSignificantFirst) {
  absl::StatusOr<HvGuid> guid =
      ParseHvGuid("01234567-89ab-cdef-0123-456789abcdef");
  ASSERT_TRUE(guid.ok()) << guid.status();
  EXPECT_EQ(guid->data1, 0x01234567u);
  EXPECT_EQ(guid->data2, 0x89abu);
  EXPECT_EQ(guid->data3, 0xcdefu);
  EXPECT_EQ(guid->data4[0], 0x01);
  EXPECT_EQ(guid->data4[7], 0xef);
  EXPECT_EQ(FormatHvGuid(*guid), "01234567-89ab-cdef-0123-456789abcdef");
}

TEST(HvGuid, ParseIsCaseInsensitiveWithOrWithoutBraces) {
  HvGuid expected = kHvGuidLoopback;
  for (absl::string_view text : {"e0e16197-dd56-4a10-9195-5ee7a155a838",
                                 "E0E16197-DD56-4A10-9195-5EE7A155A838",
                                 "{e0e16197-Dd56-4a10-9195-5eE7a155a838}",
                                 "{E0E16197-DD56-4A10-9195-5EE7A155A838}"}) {
    absl::StatusOr<HvGuid> guid = ParseHvGuid(text);
    ASSERT_TRUE(guid.ok()) << text << ": " << guid.status();
    EXPECT_EQ(*guid, expected) << text;
  }
}

TEST(HvGuid, FormatsLowerCaseWithoutBraces) {
  EXPECT_EQ(FormatHvGuid(kHvGuidBroadcast),
            "ffffffff-ffff-ffff-ffff-ffffffffffff");
  EXPECT_EQ(FormatHvGuid(kHvGuidWildcard),
            "00000000-0000-0000-0000-000000000000");
}

TEST(HvGuid, WellKnownVmIdsHaveTheHyperVValues) {
  EXPECT_EQ(FormatHvGuid(kHvGuidLoopback),
            "e0e16197-dd56-4a10-9195-5ee7a155a838");
  EXPECT_EQ(FormatHvGuid(kHvGuidChildren),
            "90db8b89-0d35-4f79-8ce9-49ea0ac8b7cd");
  EXPECT_EQ(FormatHvGuid(kHvGuidParent),
            "a42e7cda-d03f-480c-9cc2-a4de20abb878");
  EXPECT_EQ(FormatHvGuid(kHvGuidSiloHost),
            "36bd0c5c-7276-4223-88ba-7d03b654c568");
}

TEST(HvGuid, WellKnownKeywordsRoundTrip) {
  for (absl::string_view name : {"wildcard", "broadcast", "loopback",
                                 "children", "parent", "silohost"}) {
    std::optional<HvGuid> guid = HvWellKnownVmId(name);
    ASSERT_TRUE(guid.has_value()) << name;
    EXPECT_EQ(HvWellKnownVmIdName(*guid), name);
  }
  EXPECT_EQ(HvWellKnownVmId("PARENT"), kHvGuidParent);
  EXPECT_EQ(HvWellKnownVmId("host"), std::nullopt);
  EXPECT_EQ(HvWellKnownVmIdName(VsockPortGuid(1)), std::nullopt);
}

TEST(HvGuid, VsockPortTemplateBothWays) {
  HvGuid guid = VsockPortGuid(0x2375);
  EXPECT_EQ(FormatHvGuid(guid), "00002375-facb-11e6-bd58-64006a7986d3");
  EXPECT_EQ(VsockPortOf(guid), 0x2375u);
  EXPECT_EQ(VsockPortOf(VsockPortGuid(0xffffffff)), 0xffffffffu);
  EXPECT_EQ(VsockPortOf(*ParseHvGuid("{00000050-FACB-11E6-BD58-64006A7986D3}")),
            80u);
}

TEST(HvGuid, VsockPortOfRejectsGuidsOutsideTheTemplate) {
  EXPECT_EQ(VsockPortOf(kHvGuidLoopback), std::nullopt);
  HvGuid almost = VsockPortGuid(5);
  almost.data4[7] ^= 1;
  EXPECT_EQ(VsockPortOf(almost), std::nullopt);
}

TEST(HvGuid, ErrorsNameTheOffendingCharacterAndPosition) {
  absl::StatusOr<HvGuid> bad_digit =
      ParseHvGuid("0123456g-89ab-cdef-0123-456789abcdef");
  ASSERT_FALSE(bad_digit.ok());
  EXPECT_EQ(bad_digit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_digit.status().message(),
              HasSubstr("expected a hex digit at position 7, found 'g'"));

  absl::StatusOr<HvGuid> bad_dash =
      ParseHvGuid("{01234567x89ab-cdef-0123-456789abcdef}");
  ASSERT_FALSE(bad_dash.ok());
  EXPECT_THAT(bad_dash.status().message(),
              HasSubstr("expected '-' at position 9, found 'x'"));

  absl::StatusOr<HvGuid> short_text = ParseHvGuid("0123");
  ASSERT_FALSE(short_text.ok());
  EXPECT_THAT(short_text.status().message(), HasSubstr("has 4 characters"));

  absl::StatusOr<HvGuid> unclosed =
      ParseHvGuid("{01234567-89ab-cdef-0123-456789abcdef");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_THAT(unclosed.status().message(), HasSubstr("does not end with '}'"));

  EXPECT_FALSE(ParseHvGuid("").ok());
  EXPECT_FALSE(ParseHvGuid("{}").ok());
}

}  // namespace
}  // namespace hvsock
