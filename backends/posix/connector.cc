#include "backends/posix/connector.h"

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <climits>
#include <utility>
#include <variant>

#include "absl/time/clock.h"
#include "backends/posix/connect_attempt.h"

namespace hvsock {
namespace {

int PollMilliseconds(absl::Duration remaining) {
  if (remaining <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(remaining);
  if (absl::Milliseconds(ms) < remaining) ++ms;
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// Waits in poll() for an attempt in progress to end, or the deadline.
// Returns 0 (connected) or an errno, ETIMEDOUT for the deadline.
absl::StatusOr<int> AwaitAttempt(int fd, absl::Time deadline) {
  while (true) {
    pollfd pfd{fd, POLLOUT, 0};
    int ready = ::poll(&pfd, 1, PollMilliseconds(deadline - absl::Now()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return PosixError(errno, "poll");
    if (ready == 0) return ETIMEDOUT;
    return internal::ConnectAttemptResult(fd);
  }
}

}  // namespace

absl::StatusOr<UniqueFd> Connect(const Address& address,
                                 const ConnectOptions& options) {
  absl::StatusOr<internal::ConnectPolicy> policy =
      internal::ConnectPolicy::Create(address, options, absl::Now());
  if (!policy.ok()) return policy.status();
  while (true) {
    policy->AttemptStarted();
    const absl::Time start = absl::Now();
    const absl::Time attempt_deadline = policy->AttemptDeadline(start);
    absl::StatusOr<internal::ConnectAttempt> attempt =
        internal::StartConnectAttempt(policy->socket_address(), start,
                                      attempt_deadline);
    if (!attempt.ok()) return policy->Annotate(attempt.status());
    int error = attempt->error;
    if (attempt->in_progress) {
      absl::StatusOr<int> ended =
          AwaitAttempt(attempt->fd.get(), attempt_deadline);
      if (!ended.ok()) return policy->Annotate(ended.status());
      error = *ended;
    }
    if (attempt->connected || (attempt->in_progress && error == 0)) {
      return std::move(attempt->fd);
    }
    attempt->fd.reset();
    std::variant<absl::Status, absl::Time> next =
        policy->AttemptFailed(error, absl::Now());
    if (auto* final_status = std::get_if<absl::Status>(&next)) {
      return *final_status;
    }
    absl::SleepFor(std::get<absl::Time>(next) - absl::Now());
  }
}

}  // namespace hvsock
