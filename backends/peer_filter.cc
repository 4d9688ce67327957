#include "backends/peer_filter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hvsock {

absl::Status AdmitVsockPeer(const PeerFilter& filter, uint32_t cid,
                            absl::string_view peer_uri) {
  if (filter.admits_everyone()) return absl::OkStatus();
  const std::vector<uint32_t>& cids = filter.allowed_cids;
  if (std::find(cids.begin(), cids.end(), cid) != cids.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "peer CID ", cid, " (", peer_uri, ") is not in the allowlist"));
}

absl::Status AdmitHyperVPeer(const PeerFilter& filter, const HvGuid& vm_id,
                             absl::string_view peer_uri) {
  if (filter.admits_everyone()) return absl::OkStatus();
  const std::vector<HvGuid>& ids = filter.allowed_vm_ids;
  if (std::find(ids.begin(), ids.end(), vm_id) != ids.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("peer VmId ", FormatHvGuid(vm_id), " (", peer_uri,
                   ") is not in the allowlist"));
}

absl::Status AdmitAnonymousPeer(const PeerFilter& filter,
                                absl::string_view peer_uri) {
  if (filter.admits_everyone()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "peer ", peer_uri, " has no CID or VmId and a peer allowlist is set"));
}

}  // namespace hvsock
