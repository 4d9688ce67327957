#include "backends/posix/hybrid_listener.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock {

ListenOptions VmmListenOptions() {
  ListenOptions options;
  options.backlog = kVmmListenBacklog;
  return options;
}

absl::StatusOr<std::unique_ptr<Listener>> ListenVmm(
    const VmmSocketAddress& address, ListenOptions options) {
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Listen(VmmListenSocket(address), std::move(options));
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        absl::StrCat("listen ", FormatVmmSocketUri(address),
                                     ": ", listener.status().message()));
  }
  return listener;
}

}  // namespace hvsock
