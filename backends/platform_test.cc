#include "backends/platform.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Platform, EachKindOfAddressHasOnePlatform) {
  EXPECT_EQ(PlatformFor(VsockAddress{3, 80}), Platform::kLinux);
  EXPECT_EQ(PlatformFor(UnixAddress{"/a"}), Platform::kLinux);
  EXPECT_EQ(PlatformFor(HybridVsockAddress{"/v.sock", 52}), Platform::kLinux);
  EXPECT_EQ(PlatformFor(HyperkitAddress{"/vms/0", 80}), Platform::kLinux);
  EXPECT_EQ(PlatformFor(HvSocketAddress{kHvGuidParent, VsockPortGuid(80)}),
            Platform::kWindows);
}

TEST(Platform, HvsockOnLinuxSaysItNeedsWindowsAndWhatLinuxTakes) {
  absl::Status status = NotOnThisPlatform(
      HvSocketAddress{kHvGuidParent, VsockPortGuid(80)}, Platform::kLinux);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(status.message(),
            "hvsock://parent/80 needs Windows (hvsock:// names a Hyper-V "
            "socket); on Linux the schemes are vsock://, unix://, "
            "hybrid-vsock:// and hyperkit://");
}

TEST(Platform, LinuxSchemesOnWindowsSayTheyNeedLinux) {
  for (const Address& address :
       {Address(VsockAddress{3, 80}), Address(UnixAddress{"/run/a.sock"}),
        Address(HybridVsockAddress{"/v.sock", 52}),
        Address(HyperkitAddress{"/vms/0", 80})}) {
    absl::Status status = NotOnThisPlatform(address, Platform::kWindows);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
    std::string message(status.message());
    EXPECT_THAT(message, HasSubstr(" needs Linux ("));
    EXPECT_THAT(message, HasSubstr("; on Windows the schemes are hvsock://"));
  }
  EXPECT_THAT(
      std::string(
          NotOnThisPlatform(VsockAddress{3, 80}, Platform::kWindows).message()),
      StartsWith("vsock://3:80 needs Linux (vsock:// names an "
                 "AF_VSOCK socket)"));
}

}  // namespace
}  // namespace hvsock
