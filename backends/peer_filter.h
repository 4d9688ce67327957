// PeerFilter: which peers a listener admits, on every backend: an allowlist
// of peer machines plus a report of each peer refused.
//
// The allowlist names machines in their transport's own identity: vsock
// context IDs (Linux AF_VSOCK listeners) or Hyper-V VmIds (Windows AF_HYPERV
// listeners). Each backend narrows the filter to its own identity and
// refuses, when it listens, an allowlist it cannot check (posix: VmIds;
// winsock: CIDs), saying which platform it needs. With an allowlist set, a
// peer without that identity (a Unix or IP peer) is refused. Both lists
// empty admits everyone.
//
// A refused connection is closed with a reset before any of its data is
// read, counted by the listener, and then reported to `on_refused` with the
// peer as a URI and the reason (a PermissionDenied status from the Admit*
// functions below), on the listener's thread.
//
// Thread-safety: a value; the Admit* functions are pure.
#ifndef HVSOCK_BACKENDS_PEER_FILTER_H_
#define HVSOCK_BACKENDS_PEER_FILTER_H_

#include <cstdint>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backends/hyperv/guid.h"

namespace hvsock {

struct PeerFilter {
  // vsock listeners: the peers' context IDs admitted.
  std::vector<uint32_t> allowed_cids;
  // Hyper-V listeners: the peers' VmIds admitted.
  std::vector<HvGuid> allowed_vm_ids;
  // Told about each refused connection, after it has been closed.
  absl::AnyInvocable<void(absl::string_view peer_uri, const absl::Status& why)>
      on_refused;

  bool admits_everyone() const {
    return allowed_cids.empty() && allowed_vm_ids.empty();
  }
};

// OK if `filter` admits a vsock peer with `cid` (`peer_uri` names it in the
// error); PermissionDenied otherwise.
absl::Status AdmitVsockPeer(const PeerFilter& filter, uint32_t cid,
                            absl::string_view peer_uri);
// The same for a Hyper-V peer with `vm_id`.
absl::Status AdmitHyperVPeer(const PeerFilter& filter, const HvGuid& vm_id,
                             absl::string_view peer_uri);
// The same for a peer that has neither identity (Unix, IP): admitted only
// when the filter admits everyone.
absl::Status AdmitAnonymousPeer(const PeerFilter& filter,
                                absl::string_view peer_uri);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_PEER_FILTER_H_
