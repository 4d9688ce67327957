// The example echo server on a hand-written poll(2) loop: every connection
// is an EchoConnection, and the loop turns each one's DriveResult into a
// pollfd and a timeout, and poll's answer back into Step() calls.
//
//   poll_echo_server unix:///absolute/path
//
// Serves until killed.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "echo_connection.h"
#include "hvsock/backends/posix/socket_driver.h"
#include "unix_listener.h"

namespace echo_example {
namespace {

// One connection and what its last Step() asked of the loop.
struct Watched {
  std::unique_ptr<EchoConnection> echo;
  hvsock::DriveResult last;
  bool due = true;      // step it without waiting: new, woken or drive_again
  int poll_index = -1;  // its entry in this turn's pollfd array, if any
};

short PollEvents(hvsock::Readiness interest) {
  short events = 0;
  if (hvsock::Any(interest & hvsock::Readiness::kReadable)) events |= POLLIN;
  if (hvsock::Any(interest & hvsock::Readiness::kWritable)) events |= POLLOUT;
  return events;
}

hvsock::Readiness ReadinessOf(short revents) {
  hvsock::Readiness ready = hvsock::Readiness::kNone;
  if (revents & POLLIN) ready = ready | hvsock::Readiness::kReadable;
  if (revents & POLLOUT) ready = ready | hvsock::Readiness::kWritable;
  if (revents & (POLLERR | POLLHUP)) ready = ready | hvsock::Readiness::kError;
  return ready;
}

// Milliseconds poll() may sleep: 0 if a connection is due, until the
// earliest deadline (rounded up, so the deadline has passed on waking), or
// -1 (no limit).
int PollTimeoutMs(const std::vector<std::unique_ptr<Watched>>& watched,
                  absl::Time now) {
  std::optional<absl::Time> earliest;
  for (const auto& w : watched) {
    if (w->due) return 0;
    if (w->last.deadline && (!earliest || *w->last.deadline < *earliest)) {
      earliest = w->last.deadline;
    }
  }
  if (!earliest) return -1;
  absl::Duration wait = std::max(*earliest - now, absl::ZeroDuration());
  int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

void AcceptAll(int listening_fd, std::vector<std::unique_ptr<Watched>>& out) {
  while (true) {
    absl::StatusOr<std::optional<hvsock::UniqueFd>> fd =
        AcceptConnection(listening_fd);
    if (!fd.ok()) {
      std::fprintf(stderr, "poll_echo_server: %s\n",
                   fd.status().ToString().c_str());
      return;
    }
    if (!fd->has_value()) return;
    auto w = std::make_unique<Watched>();
    Watched* raw = w.get();
    absl::StatusOr<std::unique_ptr<EchoConnection>> echo =
        EchoConnection::Create(**std::move(fd), [raw] { raw->due = true; });
    if (!echo.ok()) continue;  // the socket is closed with the failed driver
    w->echo = *std::move(echo);
    out.push_back(std::move(w));
  }
}

int Serve(int listening_fd) {
  std::vector<std::unique_ptr<Watched>> watched;
  std::vector<pollfd> fds;
  while (true) {
    // Connections with no interest stay out of the poll set: poll reports
    // hang-ups even for an fd asking for nothing, and would spin.
    fds.assign(1, pollfd{listening_fd, POLLIN, 0});
    for (const auto& w : watched) {
      short events = PollEvents(w->last.interest);
      w->poll_index = events == 0 ? -1 : static_cast<int>(fds.size());
      if (events != 0) fds.push_back(pollfd{w->echo->fd(), events, 0});
    }
    int n = poll(fds.data(), fds.size(), PollTimeoutMs(watched, absl::Now()));
    if (n < 0 && errno != EINTR) {
      std::perror("poll_echo_server: poll");
      return 1;
    }
    absl::Time now = absl::Now();
    for (const auto& w : watched) {
      hvsock::Readiness ready = hvsock::Readiness::kNone;
      if (n > 0 && w->poll_index >= 0) {
        ready = ReadinessOf(fds[w->poll_index].revents);
      }
      bool deadline_passed = w->last.deadline && *w->last.deadline <= now;
      if (!w->due && !deadline_passed && !hvsock::Any(ready)) continue;
      w->due = false;  // the wake callback may set it again during Step
      w->last = w->echo->Step(now, ready);
      w->due |= w->last.drive_again;
    }
    // Finished connections: stop watching (they are out of the next poll
    // set), then close the socket.
    std::erase_if(watched, [](const std::unique_ptr<Watched>& w) {
      if (!w->last.finished) return false;
      w->echo->CloseTransport();
      return true;
    });
    if (n > 0 && (fds[0].revents & POLLIN)) AcceptAll(listening_fd, watched);
  }
}

}  // namespace
}  // namespace echo_example

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: poll_echo_server unix:///absolute/path\n");
    return 2;
  }
  absl::StatusOr<hvsock::UniqueFd> listening =
      echo_example::ListenOnUnixUri(argv[1]);
  if (!listening.ok()) {
    std::fprintf(stderr, "poll_echo_server: %s\n",
                 listening.status().ToString().c_str());
    return 3;
  }
  return echo_example::Serve(listening->get());
}
