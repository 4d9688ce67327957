#include "backends/posix/socket_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>

#include "backends/posix/socket_address.h"

namespace hvsock {

SocketDriver::SocketDriver(Flow flow, UniqueFd fd,
                           absl::AnyInvocable<void()> wake)
    : flow_(std::move(flow)), wake_(std::move(wake)), fd_(std::move(fd)) {
  if (fd_.valid()) {
    int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
      ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
    }
  }
}

Readiness SocketDriver::Interest() const {
  if (!fd_.valid() || flow_.IsFinished()) return Readiness::kNone;
  Readiness wanted = Readiness::kNone;
  if (!readable_ && !eof_ && flow_.WantsRead()) {
    wanted = wanted | Readiness::kReadable;
  }
  if (!writable_ && flow_.HasTransmit()) {
    wanted = wanted | Readiness::kWritable;
  }
  return wanted;
}

bool SocketDriver::WantsDrive() const {
  return fd_.valid() && !flow_.IsFinished() && budget_spent_ && readable_ &&
         !eof_ && flow_.WantsRead();
}

DriveResult SocketDriver::Drive(absl::Time now, Readiness ready) {
  DriveResult result;
  if (!fd_.valid()) {
    result.finished = true;  // CloseTransport() has run
    return result;
  }
  DoIo(now, ready);
  result.finished = flow_.IsFinished();
  if (!result.finished) {
    result.interest = Interest();
    result.deadline = flow_.NextDeadline();
    result.drive_again = WantsDrive();
  }
  return result;
}

void SocketDriver::DoIo(absl::Time now, Readiness ready) {
  flow_.HandleTimeout(now);
  if (Any(ready & Readiness::kReadable)) readable_ = true;
  if (Any(ready & Readiness::kWritable)) writable_ = true;
  const bool error_reported = Any(ready & Readiness::kError);
  if (error_reported) {
    // Let the IO find the error: bytes queued before it are read first.
    readable_ = true;
    writable_ = true;
  }
  if (flow_.IsFinished()) return;
  // Receive first: bytes (and an EOF) that arrived before a failure are the
  // application's, and the peer's end explains a later EPIPE better than
  // the EPIPE does.
  Receive();
  Send();
  if (!flow_.IsFinished() && flow_.PollShutdownWrite()) {
    if (::shutdown(fd_.get(), SHUT_WR) != 0) SendFailed(errno, "shutdown");
  }
  // An idle flow (not reading, nothing to send) would not notice the error.
  if (error_reported && !flow_.IsFinished()) CheckSocketError();
}

void SocketDriver::SendFailed(int error, const char* what) {
  // The peer may have sent bytes, or ended, before it went away: take them
  // (and let the flow judge the ending) before reporting the send error.
  readable_ = true;
  Receive();
  if (!flow_.IsFinished()) Fail(error, what);
}

void SocketDriver::Send() {
  while (writable_ && flow_.HasTransmit()) {
    absl::string_view spans[kMaxIov];
    size_t count = flow_.PeekTransmit(absl::MakeSpan(spans));
    if (count == 0) return;
    iovec iov[kMaxIov];
    size_t offered = 0;
    for (size_t i = 0; i < count; ++i) {
      iov[i].iov_base = const_cast<char*>(spans[i].data());
      iov[i].iov_len = spans[i].size();
      offered += spans[i].size();
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t sent = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        ++stats_.would_block;
        writable_ = false;
        return;
      }
      SendFailed(error, "send");
      return;
    }
    ++stats_.sends;
    flow_.ConsumeTransmitted(static_cast<size_t>(sent));
    if (static_cast<size_t>(sent) < offered) {
      ++stats_.short_sends;
      writable_ = false;  // full for now; readiness will say when it drains
      return;
    }
  }
}

void SocketDriver::Receive() {
  size_t budget = kReadBudget;
  budget_spent_ = false;
  while (readable_ && !eof_ && flow_.WantsRead()) {
    if (budget == 0) {
      budget_spent_ = true;
      return;
    }
    absl::Span<char> space = flow_.ReceiveSpace();
    if (space.empty()) return;
    size_t wanted = std::min(space.size(), budget);
    ssize_t n = ::read(fd_.get(), space.data(), wanted);
    if (n > 0) {
      ++stats_.reads;
      budget -= static_cast<size_t>(n);
      flow_.CommitReceived(static_cast<size_t>(n));
      // A short read does not prove the socket drained: the peer's EOF may
      // be queued behind the bytes, and an edge-triggered loop reports no
      // new edge for it. Only EAGAIN (or EOF) ends the attempt.
      continue;
    }
    // Every failed read ends the loan of the receive space (CommitReceived
    // of nothing), or the flow would keep the block for a read in flight and
    // an idle flow would hold a whole receive block.
    if (n == 0) {
      eof_ = true;
      flow_.CommitReceived(0);
      flow_.ReleaseReceiveSpace();
      flow_.HandleTransportEof();
      return;
    }
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      ++stats_.would_block;
      readable_ = false;
      flow_.CommitReceived(0);
      flow_.ReleaseReceiveSpace();
      return;
    }
    flow_.CommitReceived(0);
    flow_.ReleaseReceiveSpace();
    Fail(error, "read");
    return;
  }
}

void SocketDriver::CheckSocketError() {
  int error = 0;
  socklen_t size = sizeof(error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
    return;  // not a socket (a pipe in tests): the next IO will tell
  }
  if (error != 0) Fail(error, "socket error");
}

void SocketDriver::Fail(int error, const char* what) {
  flow_.HandleTransportError(PosixError(error, what));
}

// ── Application commands ───────────────────────────────────────────────
// Each wakes the loop only when it changed something, so that an
// application polling a quiet flow does not keep the loop from sleeping.

absl::Status SocketDriver::Write(absl::Cord data) {
  absl::Status status = flow_.Write(std::move(data));
  if (status.ok() || flow_.IsFinished()) Wake();
  return status;
}

absl::Status SocketDriver::Write(absl::string_view data) {
  absl::Status status = flow_.Write(data);
  if (status.ok() || flow_.IsFinished()) Wake();
  return status;
}

absl::Status SocketDriver::Writev(absl::Span<absl::Cord> buffers) {
  absl::Status status = flow_.Writev(buffers);
  if (status.ok() || flow_.IsFinished()) Wake();
  return status;
}

absl::Status SocketDriver::Close(absl::Time now) {
  absl::Status status = flow_.Close(now);
  Wake();
  return status;
}

void SocketDriver::Abort() {
  flow_.Abort();
  Wake();
}

absl::StatusOr<ReadResult> SocketDriver::Read(size_t max_bytes) {
  absl::StatusOr<ReadResult> result = flow_.Read(max_bytes);
  if (result.ok() && result->is_data()) Wake();  // made room to receive
  return result;
}

void SocketDriver::CloseTransport() {
  if (!fd_.valid()) return;
  if (flow_.state() == FlowState::kFailed) {
    linger abortive{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }
  fd_.reset();
  flow_.ReleaseReceiveSpace();
}

}  // namespace hvsock
