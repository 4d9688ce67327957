#include "backends/posix/hybrid_connector.h"

#include <errno.h>
#include <poll.h>

#include "absl/time/clock.h"
#include "backends/posix/hybrid_connect_session.h"

namespace hvsock {
namespace {

// Waits for `wait` (readiness of its fd, or only its time) and says what
// was observed.
absl::StatusOr<Readiness> Await(const internal::VmmConnectSession::Wait& wait) {
  absl::Duration remaining =
      std::max(wait.until - absl::Now(), absl::ZeroDuration());
  if (wait.fd < 0) {
    absl::SleepFor(remaining);
    return Readiness::kNone;
  }
  pollfd pfd{wait.fd,
             static_cast<short>(
                 (Any(wait.interest & Readiness::kReadable) ? POLLIN : 0) |
                 (Any(wait.interest & Readiness::kWritable) ? POLLOUT : 0)),
             0};
  timespec timeout = absl::ToTimespec(remaining);
  int ready = ::ppoll(&pfd, 1,
                      wait.until == absl::InfiniteFuture() ? nullptr : &timeout,
                      nullptr);
  if (ready < 0 && errno == EINTR) return Readiness::kNone;
  if (ready < 0) return PosixError(errno, "ppoll");
  Readiness observed = Readiness::kNone;
  if (pfd.revents & POLLIN) observed = observed | Readiness::kReadable;
  if (pfd.revents & POLLOUT) observed = observed | Readiness::kWritable;
  if (pfd.revents & (POLLERR | POLLHUP))
    observed = observed | Readiness::kError;
  return observed;
}

}  // namespace

absl::StatusOr<VmmConnection> ConnectVmm(const VmmSocketAddress& address,
                                         const ConnectOptions& options) {
  absl::StatusOr<internal::VmmConnectSession> session =
      internal::VmmConnectSession::Create(address, options, absl::Now());
  if (!session.ok()) return session.status();
  Readiness ready = Readiness::kNone;
  while (true) {
    session->Step(absl::Now(), ready);
    if (session->finished()) return session->TakeResult();
    absl::StatusOr<Readiness> observed = Await(session->wait());
    if (!observed.ok()) return observed.status();
    ready = *observed;
  }
}

}  // namespace hvsock
