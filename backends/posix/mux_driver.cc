#include "backends/posix/mux_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends/posix/socket_address.h"

namespace hvsock {

MuxSocketDriver::MuxSocketDriver(MuxConnection& mux, UniqueFd fd,
                                 ReadinessReports reports)
    : mux_(mux), fd_(std::move(fd)), reports_(reports) {
  if (fd_.valid()) {
    int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
      ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
    }
  }
}

Readiness MuxSocketDriver::interest() {
  if (!fd_.valid() || mux_.IsFinished()) return Readiness::kNone;
  Readiness wanted = Readiness::kNone;
  if (!readable_) wanted = wanted | Readiness::kReadable;
  if (!writable_ && mux_.HasTransmit()) wanted = wanted | Readiness::kWritable;
  return wanted;
}

bool MuxSocketDriver::wants_drive() const {
  return fd_.valid() && !mux_.IsFinished() && budget_spent_ && readable_;
}

void MuxSocketDriver::Drive(absl::Time now, Readiness ready) {
  if (!fd_.valid()) return;
  mux_.HandleTimeout(now);
  if (Any(ready & Readiness::kReadable)) readable_ = true;
  if (Any(ready & Readiness::kWritable)) writable_ = true;
  if (Any(ready & Readiness::kError)) {
    readable_ = true;
    writable_ = true;
  }
  if (mux_.IsFinished()) return;
  Receive();
  Send();
}

void MuxSocketDriver::Send() {
  while (writable_ && !mux_.IsFinished()) {
    const size_t count = mux_.PeekTransmit(absl::MakeSpan(spans_));
    if (count == 0) return;
    size_t offered = 0;
    for (size_t i = 0; i < count; ++i) {
      iov_[i].iov_base = const_cast<char*>(spans_[i].data());
      iov_[i].iov_len = spans_[i].size();
      offered += spans_[i].size();
    }
    msghdr message{};
    message.msg_iov = iov_;
    message.msg_iovlen = count;
    const ssize_t sent =
        ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        ++stats_.would_block;
        writable_ = false;
        return;
      }
      // Take what the peer sent before it went away first.
      readable_ = true;
      Receive();
      Fail(error, "send");
      return;
    }
    ++stats_.sends;
    mux_.ConsumeTransmitted(static_cast<size_t>(sent));
    if (static_cast<size_t>(sent) < offered) {
      ++stats_.short_sends;
      writable_ = false;
      return;
    }
  }
}

void MuxSocketDriver::Receive() {
  size_t budget = kReadBudget;
  budget_spent_ = false;
  while (readable_ && !mux_.IsFinished()) {
    if (budget == 0) {
      budget_spent_ = true;
      return;
    }
    absl::Span<char> spaces[3];
    const size_t count = mux_.ReceiveSpaces(absl::MakeSpan(spaces));
    struct iovec iov[3];
    const size_t budget_before = budget;
    size_t room = budget;
    int used = 0;
    for (size_t i = 0; i < count && room > 0; ++i) {
      const size_t take = std::min(spaces[i].size(), room);
      if (take == 0) continue;
      iov[used++] = {spaces[i].data(), take};
      room -= take;
    }
    if (used == 0) return;
    const ssize_t n = ::readv(fd_.get(), iov, used);
    if (n > 0) {
      ++stats_.reads;
      budget -= std::min(budget, static_cast<size_t>(n));
      mux_.CommitReceived(static_cast<size_t>(n));
      if (reports_ == ReadinessReports::kLevel &&
          static_cast<size_t>(n) < budget_before - room) {
        readable_ = false;  // drained for now; the loop reports the rest
        return;
      }
      continue;
    }
    mux_.CommitReceived(0);
    if (n == 0) {
      mux_.HandleTransportEof();
      return;
    }
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      ++stats_.would_block;
      readable_ = false;
      return;
    }
    Fail(error, "read");
    return;
  }
}

void MuxSocketDriver::Fail(int error, const char* what) {
  if (!mux_.IsFinished()) mux_.HandleTransportError(PosixError(error, what));
}

void MuxSocketDriver::CloseTransport() {
  if (!fd_.valid()) return;
  if (!mux_.error().ok()) {
    linger abortive{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }
  fd_.reset();
}

}  // namespace hvsock
