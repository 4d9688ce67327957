#include "backends/default_codec.h"

#include "gtest/gtest.h"

namespace hvsock {
namespace {

TEST(DefaultCodec, FramedWhereTheTransportLosesHalfCloseOrData) {
  EXPECT_EQ(DefaultCodecFor(HvSocketAddress{kHvGuidParent, VsockPortGuid(80)}),
            Codec::kFramed);
  EXPECT_EQ(DefaultCodecFor(HybridVsockAddress{"/v.sock", 52}), Codec::kFramed);
}

TEST(DefaultCodec, NativeWhereTheTransportKeepsHalfClose) {
  EXPECT_EQ(DefaultCodecFor(VsockAddress{3, 80}), Codec::kNative);
  EXPECT_EQ(DefaultCodecFor(UnixAddress{"/a"}), Codec::kNative);
  EXPECT_EQ(DefaultCodecFor(HyperkitAddress{"/vms/0", 80}), Codec::kNative);
}

}  // namespace
}  // namespace hvsock
