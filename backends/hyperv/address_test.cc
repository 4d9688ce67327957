#include "backends/hyperv/address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HvAddress, ConstantsMatchWindows) {
  EXPECT_EQ(kAfHyperV, 34);
  EXPECT_EQ(kHvProtocolRaw, 1);
  EXPECT_EQ(kSockaddrHvSize, 36u);
}

TEST(HvAddress, EncodesSockaddrHvLittleEndian) {
  HvSocketAddress address{kHvGuidParent, VsockPortGuid(0x01020304)};
  std::array<uint8_t, kSockaddrHvSize> bytes = EncodeSockaddrHv(address);
  // Family 34, Reserved 0.
  EXPECT_THAT(absl::MakeConstSpan(bytes).subspan(0, 4),
              ElementsAre(34, 0, 0, 0));
  // VmId a42e7cda-d03f-480c-9cc2-a4de20abb878 as a Windows GUID in memory.
  EXPECT_THAT(absl::MakeConstSpan(bytes).subspan(4, 16),
              ElementsAre(0xda, 0x7c, 0x2e, 0xa4, 0x3f, 0xd0, 0x0c, 0x48, 0x9c,
                          0xc2, 0xa4, 0xde, 0x20, 0xab, 0xb8, 0x78));
  // ServiceId 01020304-facb-11e6-bd58-64006a7986d3.
  EXPECT_THAT(absl::MakeConstSpan(bytes).subspan(20, 16),
              ElementsAre(0x04, 0x03, 0x02, 0x01, 0xcb, 0xfa, 0xe6, 0x11, 0xbd,
                          0x58, 0x64, 0x00, 0x6a, 0x79, 0x86, 0xd3));
}

TEST(HvAddress, DecodeInvertsEncode) {
  HvSocketAddress address{kHvGuidLoopback, kHvGuidSiloHost};
  std::array<uint8_t, kSockaddrHvSize> bytes = EncodeSockaddrHv(address);
  absl::StatusOr<HvSocketAddress> decoded = DecodeSockaddrHv(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, address);
}

TEST(HvAddress, DecodeRejectsWrongSizeOrFamily) {
  std::array<uint8_t, kSockaddrHvSize> bytes =
      EncodeSockaddrHv(HvSocketAddress{});
  absl::StatusOr<HvSocketAddress> short_address =
      DecodeSockaddrHv(absl::MakeConstSpan(bytes).subspan(0, 16));
  ASSERT_FALSE(short_address.ok());
  EXPECT_THAT(short_address.status().message(), HasSubstr("got 16"));

  bytes[0] = 2;  // AF_INET
  absl::StatusOr<HvSocketAddress> inet = DecodeSockaddrHv(bytes);
  ASSERT_FALSE(inet.ok());
  EXPECT_THAT(inet.status().message(), HasSubstr("AF_HYPERV (34), got 2"));
}

}  // namespace
}  // namespace hvsock
