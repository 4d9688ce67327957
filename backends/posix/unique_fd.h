// UniqueFd: sole ownership of a POSIX file descriptor.
//
// Closes the descriptor on destruction. Move-only. close() errors are
// ignored on purpose: after close() the descriptor is gone whatever it
// returns, and retrying on EINTR could close someone else's descriptor.
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_UNIQUE_FD_H_
#define HVSOCK_BACKENDS_POSIX_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace hvsock {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the owned descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    int old = std::exchange(fd_, fd);
    if (old >= 0) ::close(old);
  }

 private:
  int fd_ = -1;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_UNIQUE_FD_H_
