#include "backends/posix/connect_attempt.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>

#include <algorithm>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/uri.h"

namespace hvsock::internal {

absl::StatusOr<ConnectAttempt> StartConnectAttempt(const SocketAddress& address,
                                                   absl::Time now,
                                                   absl::Time deadline) {
  absl::StatusOr<UniqueFd> fd = NewStreamSocket(address.family());
  if (!fd.ok()) return fd.status();
  if (address.family() == AF_VSOCK) {
    // The kernel's own vsock connect timeout (2 s by default) would cut an
    // attempt short of ours.
    timeval tv =
        absl::ToTimeval(std::max(deadline - now, absl::Milliseconds(1)));
    ::setsockopt(fd->get(), AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv,
                 sizeof(tv));
  }
  ConnectAttempt attempt;
  if (::connect(fd->get(), address.get(), address.size()) == 0) {
    attempt.connected = true;
  } else if (errno == EINPROGRESS || errno == EINTR) {
    // EINTR: the connect goes on asynchronously, as for EINPROGRESS.
    attempt.in_progress = true;
  } else {
    attempt.error = errno;
  }
  attempt.fd = *std::move(fd);
  return attempt;
}

int ConnectAttemptResult(int fd) {
  int error = 0;
  socklen_t size = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
    return errno;
  }
  return error;
}

absl::StatusOr<ConnectPolicy> ConnectPolicy::Create(
    const Address& address, const ConnectOptions& options, absl::Time now) {
  absl::StatusOr<ConnectRetryPolicy> policy =
      ConnectRetryPolicy::Create(FormatAddressUri(address), options, now);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<SocketAddress> socket_address = SocketAddress::From(address);
  if (!socket_address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect ", policy->uri(), ": ", socket_address.status().message()));
  }
  return ConnectPolicy(*std::move(policy), *socket_address,
                       std::holds_alternative<UnixAddress>(address));
}

std::variant<absl::Status, absl::Time> ConnectPolicy::AttemptFailed(
    int error, absl::Time now) {
  ConnectFailure failure = ConnectFailure::kOther;
  if (error == ETIMEDOUT) {
    failure = ConnectFailure::kTimedOut;
  } else if (error == ECONNREFUSED || error == ECONNRESET) {
    failure = ConnectFailure::kRefused;
  } else if (is_unix_ && error == ENOENT) {
    failure = ConnectFailure::kNoSocketFile;
  } else if (is_unix_ && error == EAGAIN) {
    failure = ConnectFailure::kBacklogFull;
  }
  return policy_.AttemptFailed(
      failure, now,
      absl::Status(absl::ErrnoToStatusCode(error),
                   std::error_code(error, std::generic_category()).message()));
}

}  // namespace hvsock::internal
