#include "backends/posix/connect_attempt.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <sys/socket.h>

#include <algorithm>
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
    timeval tv = absl::ToTimeval(std::max(deadline - now, absl::Milliseconds(1)));
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
  std::string uri = FormatAddressUri(address);
  if (options.timeout <= absl::ZeroDuration() ||
      options.timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("connect ", uri, ": the timeout must be positive and "
                     "finite (got ",
                     absl::FormatDuration(options.timeout), ")"));
  }
  absl::StatusOr<SocketAddress> socket_address = SocketAddress::From(address);
  if (!socket_address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect ", uri, ": ", socket_address.status().message()));
  }
  return ConnectPolicy(std::move(uri), *socket_address, options,
                       std::holds_alternative<UnixAddress>(address), now);
}

ConnectPolicy::ConnectPolicy(std::string uri, SocketAddress socket_address,
                             const ConnectOptions& options, bool is_unix,
                             absl::Time now)
    : uri_(std::move(uri)),
      socket_address_(socket_address),
      options_(options),
      is_unix_(is_unix),
      deadline_(now + options.timeout),
      backoff_(std::max(options.initial_backoff, absl::Milliseconds(1))) {}

std::variant<absl::Status, absl::Time> ConnectPolicy::AttemptFailed(
    int error, absl::Time now) {
  if (error == ETIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat(
        "connect ", uri_, ": timed out after ",
        absl::FormatDuration(options_.timeout),
        refused_ > 0 ? absl::StrCat(" (", refused_, " attempts refused)")
                     : ""));
  }
  absl::StatusCode code;
  std::string reason;
  bool retry = options_.retry_refused;
  if (error == ECONNREFUSED || error == ECONNRESET) {
    ++refused_;
    code = absl::StatusCode::kUnavailable;
    reason = "connection refused (nothing listens there)";
  } else if (is_unix_ && error == ENOENT) {
    ++refused_;
    code = absl::StatusCode::kNotFound;
    reason = "no socket file at that path";
  } else if (is_unix_ && error == EAGAIN) {
    code = absl::StatusCode::kUnavailable;
    reason = "the listener's backlog is full";
    retry = true;  // a blocking connect would have waited
  } else {
    return PosixError(error, absl::StrCat("connect ", uri_));
  }
  const std::string attempts =
      attempts_ > 1 ? absl::StrCat(" (attempt ", attempts_, ")") : "";
  absl::Status why(code,
                   absl::StrCat("connect ", uri_, ": ", reason, attempts));
  if (!retry) return why;
  if (now >= deadline_) {
    return absl::DeadlineExceededError(absl::StrCat(
        "connect ", uri_, ": timed out after ",
        absl::FormatDuration(options_.timeout), " (", attempts_,
        " attempts; the last: ", reason, ")"));
  }
  if (options_.on_retry) options_.on_retry(attempts_, why);
  absl::Time retry_at = std::min(now + backoff_, deadline_);
  backoff_ = std::min(backoff_ * 2, std::max(options_.max_backoff, backoff_));
  return retry_at;
}

absl::Status ConnectPolicy::Annotate(const absl::Status& status) const {
  return absl::Status(status.code(),
                      absl::StrCat("connect ", uri_, ": ", status.message()));
}

}  // namespace hvsock::internal
