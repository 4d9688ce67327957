#include "backends/posix/connector.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/posix/socket_address.h"
#include "backends/uri.h"

namespace hvsock {
namespace {

// How one attempt ended.
struct Attempt {
  UniqueFd fd;     // valid on success
  int error = 0;   // errno otherwise; ETIMEDOUT for our own timeout
};

int PollMilliseconds(absl::Duration remaining) {
  if (remaining <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(remaining);
  if (absl::Milliseconds(ms) < remaining) ++ms;
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

absl::StatusOr<Attempt> TryConnect(const SocketAddress& address,
                                   absl::Time deadline) {
  absl::StatusOr<UniqueFd> fd = NewStreamSocket(address.family());
  if (!fd.ok()) return fd.status();
  if (address.family() == AF_VSOCK) {
    // The kernel's own vsock connect timeout (2 s by default) would cut an
    // attempt short of ours.
    absl::Duration remaining = deadline - absl::Now();
    timeval tv = absl::ToTimeval(std::max(remaining, absl::Milliseconds(1)));
    ::setsockopt(fd->get(), AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv,
                 sizeof(tv));
  }
  Attempt attempt;
  if (::connect(fd->get(), address.get(), address.size()) == 0) {
    attempt.fd = *std::move(fd);
    return attempt;
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    attempt.error = errno;
    return attempt;
  }
  while (true) {
    pollfd pfd{fd->get(), POLLOUT, 0};
    int ready = ::poll(&pfd, 1, PollMilliseconds(deadline - absl::Now()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return PosixError(errno, "poll");
    if (ready == 0) {
      attempt.error = ETIMEDOUT;
      return attempt;
    }
    break;
  }
  int error = 0;
  socklen_t size = sizeof(error);
  if (::getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
    error = errno;
  }
  if (error == 0) {
    attempt.fd = *std::move(fd);
  } else {
    attempt.error = error;
  }
  return attempt;
}

}  // namespace

absl::StatusOr<UniqueFd> Connect(const Address& address,
                                 const ConnectOptions& options) {
  const std::string uri = FormatAddressUri(address);
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
  const bool is_unix = std::holds_alternative<UnixAddress>(address);
  const absl::Time deadline = absl::Now() + options.timeout;
  absl::Duration backoff =
      std::max(options.initial_backoff, absl::Milliseconds(1));
  int refused = 0;
  for (int attempt_number = 1;; ++attempt_number) {
    absl::StatusOr<Attempt> attempt = TryConnect(*socket_address, deadline);
    if (!attempt.ok()) {
      return absl::Status(attempt.status().code(),
                          absl::StrCat("connect ", uri, ": ",
                                       attempt.status().message()));
    }
    if (attempt->fd.valid()) return std::move(attempt->fd);
    const int error = attempt->error;
    if (error == ETIMEDOUT) {
      return absl::DeadlineExceededError(absl::StrCat(
          "connect ", uri, ": timed out after ",
          absl::FormatDuration(options.timeout),
          refused > 0 ? absl::StrCat(" (", refused, " attempts refused)")
                      : ""));
    }
    absl::StatusCode code;
    std::string reason;
    bool retry = options.retry_refused;
    if (error == ECONNREFUSED || error == ECONNRESET) {
      ++refused;
      code = absl::StatusCode::kUnavailable;
      reason = "connection refused (nothing listens there)";
    } else if (is_unix && error == ENOENT) {
      ++refused;
      code = absl::StatusCode::kNotFound;
      reason = "no socket file at that path";
    } else if (is_unix && error == EAGAIN) {
      code = absl::StatusCode::kUnavailable;
      reason = "the listener's backlog is full";
      retry = true;  // a blocking connect would have waited
    } else {
      return PosixError(error, absl::StrCat("connect ", uri));
    }
    const std::string attempts =
        attempt_number > 1 ? absl::StrCat(" (attempt ", attempt_number, ")")
                           : "";
    absl::Status why(code, absl::StrCat("connect ", uri, ": ", reason,
                                        attempts));
    if (!retry) return why;
    absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "connect ", uri, ": timed out after ",
          absl::FormatDuration(options.timeout), " (", attempt_number,
          " attempts; the last: ", reason, ")"));
    }
    if (options.on_retry) options.on_retry(attempt_number, why);
    absl::SleepFor(std::min(backoff, deadline - now));
    backoff = std::min(backoff * 2, std::max(options.max_backoff, backoff));
  }
}

}  // namespace hvsock
