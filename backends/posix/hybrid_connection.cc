#include "backends/posix/hybrid_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock {

absl::StatusOr<LoopFlow*> AddVmmFlow(EventLoop& loop, VmmConnection connection,
                                     const FlowOptions& options,
                                     FlowCallback on_event) {
  absl::StatusOr<LoopFlow*> flow =
      loop.AddFlow(std::move(connection.fd), options, std::move(on_event));
  if (!flow.ok() || connection.leftover.empty()) return flow;
  size_t taken = (*flow)->flow().HandleReceived(connection.leftover);
  if (taken < connection.leftover.size()) {
    (*flow)->Release();
    return absl::InvalidArgumentError(absl::StrCat(
        "the flow's receive_limit (", options.receive_limit,
        " bytes) is smaller than the ", connection.leftover.size(),
        " stream bytes that came with the VMM's reply"));
  }
  (*flow)->Kick();  // deliver them from the loop
  return flow;
}

}  // namespace hvsock
