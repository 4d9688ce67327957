// EchoConnection: one accepted connection of the example echo servers. It
// owns an hvsock::SocketDriver (and through it the flow and the socket) and
// runs the echo on it: everything read is written back, with backpressure
// (at most one read, kMaxHeld bytes, held outside the flow while the flow's
// send queue is full), and when the client ends its writes the echo closes
// once everything has been written back.
//
// The event loops (poll, libuv, Asio) only move readiness in and interest
// out: on every wake-up they call Step() and act on its DriveResult, the
// seam described in hvsock's backends/posix/socket_driver.h. The `wake`
// callback given at construction runs when the echo has issued a command
// that leaves IO to do; the loop must then schedule another Step() (it must
// not call Step() from inside `wake`).
//
// Thread-compatible: one loop thread at a time.
#ifndef HVSOCK_EXAMPLES_DOWNSTREAM_ECHO_CONNECTION_H_
#define HVSOCK_EXAMPLES_DOWNSTREAM_ECHO_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "hvsock/backends/posix/socket_driver.h"
#include "hvsock/backends/posix/unique_fd.h"
#include "hvsock/core/flow.h"

namespace echo_example {

class EchoConnection {
 public:
  // Bytes taken from the flow per read, at most: all the echo holds beyond
  // the flow's own bounded buffers.
  static constexpr size_t kMaxHeld = 64 * 1024;

  // A connection on the accepted socket `fd`, with the default flow options
  // (native codec: what `hvstress --uri unix://...` speaks by default).
  static absl::StatusOr<std::unique_ptr<EchoConnection>> Create(
      hvsock::UniqueFd fd, absl::AnyInvocable<void()> wake);

  // Drives the socket (with what the loop saw: `ready`, or kNone for a
  // timer, a wake or drive_again), answers the flow's events, and returns
  // what the loop must do next. Once `finished`, the loop stops watching
  // fd() and then calls CloseTransport(); Step() is not called again.
  hvsock::DriveResult Step(absl::Time now, hvsock::Readiness ready);

  int fd() const { return driver_.fd(); }
  void CloseTransport() { driver_.CloseTransport(); }

 private:
  // Reads until the flow has no more and writes it back, as far as the
  // flow's send queue takes it.
  void Echo(absl::Time now);

  EchoConnection(hvsock::Flow flow, hvsock::UniqueFd fd,
                 absl::AnyInvocable<void()> wake)
      : driver_(std::move(flow), std::move(fd), std::move(wake)) {}

  hvsock::SocketDriver driver_;
  absl::Cord unsent_;        // read, not yet taken by the flow
  bool peer_ended_ = false;  // read Eof: close once unsent_ is taken
};

}  // namespace echo_example

#endif  // HVSOCK_EXAMPLES_DOWNSTREAM_ECHO_CONNECTION_H_
