#include "examples/driver_poll_loop.h"

#include <poll.h>

#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "examples/poll_timeout.h"

namespace hvsock::examples {

absl::Status RunDriverWithPoll(Flow flow, UniqueFd fd,
                               DriverApplication application) {
  bool woken = true;
  SocketDriver driver(std::move(flow), std::move(fd), [&] { woken = true; });
  Readiness ready = Readiness::kNone;
  while (true) {
    woken = false;  // this Drive does what the commands so far asked for
    DriveResult r = driver.Drive(absl::Now(), ready);
    while (std::optional<FlowEvent> event = driver.PollEvent()) {
      application(driver, *event);  // commands may set `woken`
    }
    if (r.finished) break;
    ready = Readiness::kNone;
    if (woken || r.drive_again) continue;  // drive again without waiting
    // Watch exactly r.interest. An fd asking for nothing stays out of
    // poll(): poll reports hang-ups regardless and would spin.
    pollfd pfd{driver.fd(), 0, 0};
    if (Any(r.interest & Readiness::kReadable)) pfd.events |= POLLIN;
    if (Any(r.interest & Readiness::kWritable)) pfd.events |= POLLOUT;
    int timeout_ms = PollTimeoutMs(r.deadline, absl::Now());
    if (pfd.events == 0 && timeout_ms < 0) {
      driver.CloseTransport();
      return absl::FailedPreconditionError(
          "the flow waits for its application (it has stopped reading) and "
          "has no deadline: nothing else can happen");
    }
    if (poll(&pfd, pfd.events != 0 ? 1 : 0, timeout_ms) > 0) {
      if (pfd.revents & POLLIN) ready = ready | Readiness::kReadable;
      if (pfd.revents & POLLOUT) ready = ready | Readiness::kWritable;
      if (pfd.revents & (POLLERR | POLLHUP)) ready = ready | Readiness::kError;
    }
  }
  driver.CloseTransport();  // after a failure, with a reset
  return driver.flow().error();
}

}  // namespace hvsock::examples
