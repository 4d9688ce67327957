// The example echo server on an Asio io_context (standalone Asio): each
// EchoConnection's socket is wrapped in an asio::posix::stream_descriptor
// and waited on with async_wait(wait_read / wait_write), as the last
// DriveResult's interest asks; a steady_timer serves its deadline, and
// asio::post() runs "step again at once" (drive_again, or the wake callback
// after a command), so a Step() never runs inside another.
//
// Ownership: Asio has no non-owning descriptor, and the SocketDriver owns
// the socket. So the stream_descriptor must give the descriptor back with
// release() (which also cancels its pending waits) before the driver's
// CloseTransport() closes it; the descriptor is never closed twice, and
// never closed under a pending wait.
//
//   asio_echo_server unix:///absolute/path
//
// Serves until killed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "asio/error.hpp"
#include "asio/io_context.hpp"
#include "asio/posix/stream_descriptor.hpp"
#include "asio/post.hpp"
#include "asio/steady_timer.hpp"
#include "echo_connection.h"
#include "hvsock/backends/posix/socket_driver.h"
#include "unix_listener.h"

namespace echo_example {
namespace {

using Descriptor = asio::posix::stream_descriptor;

// Kept alive by the handlers it has pending (shared_from_this).
class AsioConnection : public std::enable_shared_from_this<AsioConnection> {
 public:
  static void Start(asio::io_context& io, hvsock::UniqueFd fd) {
    auto c = std::shared_ptr<AsioConnection>(new AsioConnection(io));
    std::weak_ptr<AsioConnection> weak = c;
    absl::StatusOr<std::unique_ptr<EchoConnection>> echo =
        EchoConnection::Create(std::move(fd), [weak] {
          if (auto c = weak.lock()) c->StepSoon();
        });
    if (!echo.ok()) return;
    c->echo_ = *std::move(echo);
    c->socket_.assign(c->echo_->fd());  // borrowed: released before closing
    c->StepSoon();
  }

 private:
  explicit AsioConnection(asio::io_context& io)
      : io_(io), socket_(io), timer_(io) {}

  void StepSoon() {
    if (step_posted_ || finished_) return;
    step_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
      self->step_posted_ = false;
      self->Step(hvsock::Readiness::kNone);
    });
  }

  void Wait(Descriptor::wait_type type, bool& waiting,
            hvsock::Readiness readiness) {
    if (waiting) return;
    waiting = true;
    socket_.async_wait(type, [self = shared_from_this(), &waiting,
                              readiness](const std::error_code& error) {
      waiting = false;
      if (error == asio::error::operation_aborted) return;
      self->Step(error ? hvsock::Readiness::kError : readiness);
    });
  }

  void Step(hvsock::Readiness ready) {
    if (finished_) return;
    hvsock::DriveResult r = echo_->Step(absl::Now(), ready);
    if (r.finished) {
      finished_ = true;
      timer_.cancel();
      socket_.release();  // cancels the waits; Asio must not close the fd
      echo_->CloseTransport();
      return;
    }
    // A wait already pending for a direction no longer wanted is left
    // alone: its wake-up only costs a Step that finds nothing to do.
    if (hvsock::Any(r.interest & hvsock::Readiness::kReadable)) {
      Wait(Descriptor::wait_read, read_waiting_, hvsock::Readiness::kReadable);
    }
    if (hvsock::Any(r.interest & hvsock::Readiness::kWritable)) {
      Wait(Descriptor::wait_write, write_waiting_,
           hvsock::Readiness::kWritable);
    }
    if (r.drive_again) StepSoon();
    if (r.deadline) {
      absl::Duration wait =
          std::max(*r.deadline - absl::Now(), absl::ZeroDuration());
      timer_.expires_after(absl::ToChronoNanoseconds(wait));  // cancels
      timer_.async_wait(
          [self = shared_from_this()](const std::error_code& error) {
            if (error == asio::error::operation_aborted) return;
            self->Step(hvsock::Readiness::kNone);
          });
    } else {
      timer_.cancel();
    }
  }

  asio::io_context& io_;
  std::unique_ptr<EchoConnection> echo_;
  Descriptor socket_;
  asio::steady_timer timer_;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
  bool step_posted_ = false;
  bool finished_ = false;
};

// Accepts every pending connection whenever the listening socket is
// readable.
class AsioAcceptor {
 public:
  AsioAcceptor(asio::io_context& io, hvsock::UniqueFd listening)
      : io_(io), listening_(io, listening.release()) {}

  void Run() {
    listening_.async_wait(Descriptor::wait_read,
                          [this](const std::error_code& error) {
                            if (error) return;
                            AcceptAll();
                            Run();
                          });
  }

 private:
  void AcceptAll() {
    while (true) {
      absl::StatusOr<std::optional<hvsock::UniqueFd>> fd =
          AcceptConnection(listening_.native_handle());
      if (!fd.ok()) {
        std::fprintf(stderr, "asio_echo_server: %s\n",
                     fd.status().ToString().c_str());
        return;
      }
      if (!fd->has_value()) return;
      AsioConnection::Start(io_, **std::move(fd));
    }
  }

  asio::io_context& io_;
  Descriptor listening_;  // owns the listening socket
};

}  // namespace
}  // namespace echo_example

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: asio_echo_server unix:///absolute/path\n");
    return 2;
  }
  absl::StatusOr<hvsock::UniqueFd> listening =
      echo_example::ListenOnUnixUri(argv[1]);
  if (!listening.ok()) {
    std::fprintf(stderr, "asio_echo_server: %s\n",
                 listening.status().ToString().c_str());
    return 3;
  }
  asio::io_context io;
  echo_example::AsioAcceptor acceptor(io, *std::move(listening));
  acceptor.Run();
  io.run();
  return 0;
}
