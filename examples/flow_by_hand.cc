#include "examples/flow_by_hand.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "examples/poll_timeout.h"

namespace hvsock::examples {

namespace {

// Sends what the flow has to transmit until the socket is full (returns
// false) or nothing is left. MSG_NOSIGNAL: a closed peer is EPIPE, not a
// SIGPIPE.
bool Transmit(Flow& flow, int fd) {
  absl::string_view spans[64];
  while (size_t count = flow.PeekTransmit(absl::MakeSpan(spans))) {
    iovec iov[64];
    for (size_t i = 0; i < count; ++i) {
      iov[i] = {const_cast<char*>(spans[i].data()), spans[i].size()};
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (sent < 0) {
      flow.HandleTransportError(absl::ErrnoToStatus(errno, "sendmsg"));
      return true;
    }
    flow.ConsumeTransmitted(sent);  // any byte boundary
  }
  return true;
}

}  // namespace

absl::Status RunFlowByHand(Flow& flow, UniqueFd fd,
                           FlowApplication application) {
  bool readable = true;  // not known to be drained
  bool writable = true;  // not known to be full
  while (true) {
    absl::Time now = absl::Now();
    flow.HandleTimeout(now);  // first, at every turn (early is harmless)
    // Input: read only while the flow wants to (backpressure); the receive
    // space is empty otherwise.
    if (readable && flow.WantsRead()) {
      absl::Span<char> space = flow.ReceiveSpace();  // read straight into it
      ssize_t n = read(fd.get(), space.data(), space.size());
      flow.CommitReceived(n > 0 ? n : 0);  // ends the loan either way
      if (n == 0) {
        readable = false;
        flow.HandleTransportEof();
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        readable = false;
      } else if (n < 0 && errno != EINTR) {
        flow.HandleTransportError(absl::ErrnoToStatus(errno, "read"));
      }
    }
    // Outputs, in this order.
    if (writable) writable = Transmit(flow, fd.get());
    if (flow.PollShutdownWrite()) shutdown(fd.get(), SHUT_WR);
    while (std::optional<FlowEvent> event = flow.PollEvent()) {
      application(flow, *event, now);  // may give commands
    }
    if (flow.IsFinished()) break;
    // More to do at once: bytes to read, or (after a command) to send.
    if ((readable && flow.WantsRead()) || (writable && flow.HasTransmit()) ||
        flow.WantsShutdownWrite()) {
      continue;
    }
    // Wait for exactly what the flow needs. An fd asking for nothing stays
    // out of poll(): poll reports hang-ups regardless and would spin.
    pollfd pfd{fd.get(), 0, 0};
    if (flow.WantsRead()) pfd.events |= POLLIN;
    if (flow.HasTransmit()) pfd.events |= POLLOUT;
    int timeout_ms = PollTimeoutMs(flow.NextDeadline(), absl::Now());
    if (pfd.events == 0 && timeout_ms < 0) {
      return absl::FailedPreconditionError(
          "the flow waits for its application (it has stopped reading) and "
          "has no deadline: nothing else can happen");
    }
    int ready = poll(&pfd, pfd.events != 0 ? 1 : 0, timeout_ms);
    if (ready > 0) {
      readable |= (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
      writable |= (pfd.revents & (POLLOUT | POLLHUP | POLLERR)) != 0;
    }
  }
  if (flow.state() == FlowState::kFailed) {
    linger reset{1, 0};  // a TCP peer sees a reset, not a clean end
    setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  }
  fd.reset();
  return flow.error();
}

}  // namespace hvsock::examples
