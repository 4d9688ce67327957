// The example echo server on a libuv loop: each EchoConnection gets a
// uv_poll_t on its socket, started with exactly the events of the last
// DriveResult's interest, and one uv_timer_t that serves both its deadline
// and "step again at once" (drive_again, or the wake callback after a
// command), so a Step() never runs inside another.
//
// Closing: uv_poll_stop() before the socket is closed (libuv must not poll
// a closed descriptor), then CloseTransport(), then uv_close() on both
// handles; the connection is freed when the second close callback runs.
//
//   uv_echo_server unix:///absolute/path
//
// Serves until killed.
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "echo_connection.h"
#include "hvsock/backends/posix/socket_driver.h"
#include "unix_listener.h"

namespace echo_example {
namespace {

class UvConnection {
 public:
  // Starts serving the accepted socket `fd` on `loop`; the connection frees
  // itself when its flow has finished.
  static void Start(uv_loop_t* loop, hvsock::UniqueFd fd) {
    auto* c = new UvConnection();
    absl::StatusOr<std::unique_ptr<EchoConnection>> echo =
        EchoConnection::Create(std::move(fd), [c] { c->StepSoon(); });
    if (!echo.ok()) {
      delete c;
      return;
    }
    c->echo_ = *std::move(echo);
    uv_poll_init(loop, &c->poll_, c->echo_->fd());
    uv_timer_init(loop, &c->timer_);
    c->poll_.data = c;
    c->timer_.data = c;
    c->StepSoon();
  }

 private:
  UvConnection() = default;

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    hvsock::Readiness ready = hvsock::Readiness::kNone;
    if (status < 0) ready = hvsock::Readiness::kError;
    if (events & UV_READABLE) ready = ready | hvsock::Readiness::kReadable;
    if (events & UV_WRITABLE) ready = ready | hvsock::Readiness::kWritable;
    static_cast<UvConnection*>(handle->data)->Step(ready);
  }

  static void OnTimer(uv_timer_t* handle) {
    static_cast<UvConnection*>(handle->data)->Step(hvsock::Readiness::kNone);
  }

  static void OnClosed(uv_handle_t* handle) {
    auto* c = static_cast<UvConnection*>(handle->data);
    if (++c->handles_closed_ == 2) delete c;
  }

  void StepSoon() {
    step_soon_ = true;
    uv_timer_start(&timer_, OnTimer, 0, 0);
  }

  void Step(hvsock::Readiness ready) {
    step_soon_ = false;  // the wake callback may set it again during Step
    hvsock::DriveResult r = echo_->Step(absl::Now(), ready);
    if (r.finished) {
      uv_poll_stop(&poll_);  // before the descriptor is closed
      uv_timer_stop(&timer_);
      echo_->CloseTransport();
      uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
      uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnClosed);
      return;
    }
    int events = 0;
    if (hvsock::Any(r.interest & hvsock::Readiness::kReadable))
      events |= UV_READABLE;
    if (hvsock::Any(r.interest & hvsock::Readiness::kWritable))
      events |= UV_WRITABLE;
    if (events != 0) {
      uv_poll_start(&poll_, events, OnPoll);
    } else {
      uv_poll_stop(&poll_);
    }
    if (step_soon_ || r.drive_again) {
      StepSoon();
    } else if (r.deadline) {
      absl::Duration wait =
          absl::Ceil(std::max(*r.deadline - absl::Now(), absl::ZeroDuration()),
                     absl::Milliseconds(1));
      uv_timer_start(&timer_, OnTimer,
                     static_cast<uint64_t>(absl::ToInt64Milliseconds(wait)), 0);
    } else {
      uv_timer_stop(&timer_);
    }
  }

  std::unique_ptr<EchoConnection> echo_;
  uv_poll_t poll_;
  uv_timer_t timer_;
  bool step_soon_ = false;
  int handles_closed_ = 0;
};

void OnListenerReadable(uv_poll_t* handle, int status, int /*events*/) {
  if (status < 0) return;
  int listening_fd = *static_cast<int*>(handle->data);
  while (true) {
    absl::StatusOr<std::optional<hvsock::UniqueFd>> fd =
        AcceptConnection(listening_fd);
    if (!fd.ok()) {
      std::fprintf(stderr, "uv_echo_server: %s\n",
                   fd.status().ToString().c_str());
      return;
    }
    if (!fd->has_value()) return;
    UvConnection::Start(handle->loop, **std::move(fd));
  }
}

}  // namespace
}  // namespace echo_example

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: uv_echo_server unix:///absolute/path\n");
    return 2;
  }
  absl::StatusOr<hvsock::UniqueFd> listening =
      echo_example::ListenOnUnixUri(argv[1]);
  if (!listening.ok()) {
    std::fprintf(stderr, "uv_echo_server: %s\n",
                 listening.status().ToString().c_str());
    return 3;
  }
  int listening_fd = listening->get();
  uv_loop_t* loop = uv_default_loop();
  uv_poll_t listener;
  uv_poll_init(loop, &listener, listening_fd);
  listener.data = &listening_fd;
  uv_poll_start(&listener, UV_READABLE, echo_example::OnListenerReadable);
  return uv_run(loop, UV_RUN_DEFAULT);
}
