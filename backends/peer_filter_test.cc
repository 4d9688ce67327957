#include "backends/peer_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::testing::HasSubstr;

TEST(PeerFilter, AnEmptyFilterAdmitsEveryone) {
  PeerFilter filter;
  EXPECT_TRUE(filter.admits_everyone());
  EXPECT_TRUE(AdmitVsockPeer(filter, 8, "vsock://8:1025").ok());
  EXPECT_TRUE(AdmitHyperVPeer(filter, kHvGuidChildren, "hvsock://x").ok());
  EXPECT_TRUE(AdmitAnonymousPeer(filter, "unix://").ok());
}

TEST(PeerFilter, AdmitsListedCidsOnlyAndSaysWhichWasRefused) {
  PeerFilter filter;
  filter.allowed_cids = {3, 7};
  EXPECT_TRUE(AdmitVsockPeer(filter, 7, "vsock://7:1").ok());
  absl::Status refused = AdmitVsockPeer(filter, 8, "vsock://8:1025");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "peer CID 8 (vsock://8:1025) is not in the allowlist");
}

TEST(PeerFilter, AdmitsListedVmIdsOnlyAndSaysWhichWasRefused) {
  PeerFilter filter;
  filter.allowed_vm_ids = {kHvGuidLoopback, kHvGuidParent};
  EXPECT_TRUE(AdmitHyperVPeer(filter, kHvGuidParent, "hvsock://parent/1").ok());
  absl::Status refused =
      AdmitHyperVPeer(filter, kHvGuidChildren, "hvsock://children/1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(),
              HasSubstr(FormatHvGuid(kHvGuidChildren) +
                        " (hvsock://children/1) is not in the allowlist"));
}

TEST(PeerFilter, ACidAllowlistRefusesEveryVmIdAndTheOtherWayRound) {
  PeerFilter cids;
  cids.allowed_cids = {3};
  EXPECT_FALSE(AdmitHyperVPeer(cids, kHvGuidParent, "hvsock://parent/1").ok());
  PeerFilter vm_ids;
  vm_ids.allowed_vm_ids = {kHvGuidParent};
  EXPECT_FALSE(AdmitVsockPeer(vm_ids, 3, "vsock://3:1").ok());
}

TEST(PeerFilter, WithAnAllowlistAPeerWithoutIdentityIsRefused) {
  PeerFilter filter;
  filter.allowed_cids = {3};
  absl::Status refused = AdmitAnonymousPeer(filter, "tcp://127.0.0.1:9");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("tcp://127.0.0.1:9 has no CID"));
}

}  // namespace
}  // namespace hvsock
