#include "backends/posix/posix_address.h"

#include <string>

#include "backends/posix/socket_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

const Address kHvsock = HvSocketAddress{kHvGuidParent, VsockPortGuid(80)};

TEST(PosixAddress, TakesTheFourLinuxKinds) {
  for (const Address& address :
       {Address(VsockAddress{3, 80}), Address(UnixAddress{"/run/a.sock"}),
        Address(HybridVsockAddress{"/v.sock", 52}),
        Address(HyperkitAddress{"/vms/0", 80})}) {
    EXPECT_TRUE(CheckPosixAddress(address).ok());
  }
}

TEST(PosixAddress, HvsockSaysItNeedsWindows) {
  absl::Status status = CheckPosixAddress(kHvsock);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("hvsock://parent/80 needs Windows"));
}

TEST(PosixAddress, OnlyHybridAndHyperkitAreVmmSocketAddresses) {
  EXPECT_EQ(AsVmmSocketAddress(HybridVsockAddress{"/v.sock", 52}),
            VmmSocketAddress(HybridVsockAddress{"/v.sock", 52}));
  EXPECT_EQ(AsVmmSocketAddress(HyperkitAddress{"/vms/0", 80}),
            VmmSocketAddress(HyperkitAddress{"/vms/0", 80}));
  EXPECT_FALSE(AsVmmSocketAddress(VsockAddress{3, 80}).has_value());
  EXPECT_FALSE(AsVmmSocketAddress(kHvsock).has_value());
}

TEST(PosixAddress, ASocketAddressIsOnlyForVsockAndUnix) {
  EXPECT_TRUE(SocketAddress::From(VsockAddress{3, 80}).ok());
  EXPECT_TRUE(SocketAddress::From(UnixAddress{"/run/a.sock"}).ok());
  absl::StatusOr<SocketAddress> vmm =
      SocketAddress::From(HybridVsockAddress{"/v.sock", 52});
  EXPECT_EQ(vmm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(vmm.status().message()),
              HasSubstr("hybrid-vsock:///v.sock:52 is a guest port behind a "
                        "VMM's Unix sockets"));
  absl::StatusOr<SocketAddress> hv = SocketAddress::From(kHvsock);
  EXPECT_EQ(hv.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(hv.status().message()), HasSubstr("needs Windows"));
}

}  // namespace
}  // namespace hvsock
