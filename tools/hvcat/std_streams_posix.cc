#include "tools/hvcat/std_streams_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hvsock::hvcat {
namespace {

// Pieces of a Cord per writev of standard output.
constexpr int kMaxWriteIov = 64;

}  // namespace

// ── StdStream ──────────────────────────────────────────────────────────

StdStream::~StdStream() {
  if (restore_flags_) ::fcntl(fd_, F_SETFL, original_flags_);
}

absl::Status StdStream::Prepare() {
  struct stat info;
  if (::fstat(fd_, &info) != 0) {
    if (output_) {
      return absl::FailedPreconditionError("standard output is closed");
    }
    closed_input_ = true;  // read as empty
    return absl::OkStatus();
  }
  if (S_ISREG(info.st_mode) || S_ISBLK(info.st_mode) || S_ISDIR(info.st_mode)) {
    return absl::OkStatus();  // always ready; plain blocking IO
  }
  if (S_ISSOCK(info.st_mode)) {
    socket_ = true;  // MSG_DONTWAIT per call; the description is shared
    return absl::OkStatus();
  }
  // A pipe, FIFO, terminal or other character device: open a private
  // description of the same object, so O_NONBLOCK affects no one else.
  std::string proc = absl::StrCat("/proc/self/fd/", fd_);
  int reopened = ::open(proc.c_str(), (output_ ? O_WRONLY : O_RDONLY) |
                                          O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (reopened >= 0) {
    owned_.reset(reopened);
    fd_ = reopened;
    return absl::OkStatus();
  }
  // No /proc: make the shared description non-blocking, and put it back on
  // the way out.
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0 &&
      ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) == 0) {
    restore_flags_ = true;
    original_flags_ = flags;
  }
  return absl::OkStatus();
}

ssize_t StdStream::Read(char* buffer, size_t size) {
  if (closed_input_) return 0;
  return socket_ ? ::recv(fd_, buffer, size, MSG_DONTWAIT)
                 : ::read(fd_, buffer, size);
}

ssize_t StdStream::Write(const char* data, size_t size) {
  return socket_ ? ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL)
                 : ::write(fd_, data, size);
}

ssize_t StdStream::Writev(const iovec* iov, int count) {
  if (!socket_) return ::writev(fd_, iov, count);
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = static_cast<size_t>(count);
  return ::sendmsg(fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
}

// ── Standard input ─────────────────────────────────────────────────────

PosixStdInput::PosixStdInput(EventLoop& loop, StdStream& stream)
    : stream_(stream) {
  if (stream_.closed_input()) return;
  // Streams epoll refuses (regular files, /dev/null) stay unwatched: they
  // are always ready.
  absl::StatusOr<FdWatch*> watch = loop.Watch(
      stream_.fd(), Readiness::kNone, [this](Readiness) { ready_ = true; });
  if (watch.ok()) watch_ = *watch;
}

absl::StatusOr<Transfer> PosixStdInput::Read(size_t max_bytes,
                                             absl::Cord& into) {
  while (ready_) {
    ReadBuffers::Buffer buffer = buffers_.Take();
    ssize_t n =
        stream_.Read(buffer.get(), std::min(max_bytes, buffers_.buffer_size()));
    if (n > 0) {
      into = buffers_.Wrap(std::move(buffer), static_cast<size_t>(n));
      return Transfer::kMoved;
    }
    buffers_.Return(std::move(buffer));
    if (n == 0) return Transfer::kEnded;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ready_ = watch_ == nullptr;  // always-ready streams stay so
      break;
    }
    if (errno != EINTR) {
      return absl::ErrnoToStatus(errno, "reading standard input");
    }
  }
  return Transfer::kWouldBlock;
}

absl::Status PosixStdInput::SetWaiting(bool waiting) {
  if (watch_ == nullptr) return absl::OkStatus();
  return watch_->SetInterest(waiting && !ready_ ? Readiness::kReadable
                                                : Readiness::kNone);
}

void PosixStdInput::Stop() {
  if (watch_ != nullptr) {
    watch_->Release();
    watch_ = nullptr;
  }
}

// ── Standard output ────────────────────────────────────────────────────

PosixStdOutput::PosixStdOutput(EventLoop& loop, StdStream& stream)
    : stream_(stream) {
  absl::StatusOr<FdWatch*> watch = loop.Watch(
      stream_.fd(), Readiness::kNone, [this](Readiness) { ready_ = true; });
  if (watch.ok()) watch_ = *watch;
}

PosixStdOutput::~PosixStdOutput() {
  if (watch_ != nullptr) watch_->Release();
}

absl::StatusOr<Transfer> PosixStdOutput::Write(absl::Cord& data) {
  while (ready_ && !data.empty()) {
    iovec iov[kMaxWriteIov];
    int count = 0;
    size_t offered = 0;
    for (absl::string_view chunk : data.Chunks()) {
      iov[count].iov_base = const_cast<char*>(chunk.data());
      iov[count].iov_len = chunk.size();
      offered += chunk.size();
      if (++count == kMaxWriteIov) break;
    }
    ssize_t n = stream_.Writev(iov, count);
    if (n > 0) {
      data.RemovePrefix(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < offered && watch_ != nullptr) {
        ready_ = false;
      }
      return Transfer::kMoved;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ready_ = watch_ == nullptr;
      break;
    }
    if (n < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "writing standard output");
    }
  }
  return Transfer::kWouldBlock;
}

absl::Status PosixStdOutput::SetWaiting(bool waiting) {
  if (watch_ == nullptr) return absl::OkStatus();
  return watch_->SetInterest(waiting && !ready_ ? Readiness::kWritable
                                                : Readiness::kNone);
}

}  // namespace hvsock::hvcat
