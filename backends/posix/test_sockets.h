// Test helpers for real-socket tests: connected AF_UNIX socket pairs.
#ifndef HVSOCK_BACKENDS_POSIX_TEST_SOCKETS_H_
#define HVSOCK_BACKENDS_POSIX_TEST_SOCKETS_H_

#include <sys/socket.h>

#include <array>

#include "backends/posix/unique_fd.h"
#include "gtest/gtest.h"

namespace hvsock::testing {

// A connected, non-blocking, close-on-exec AF_UNIX stream socket pair.
inline std::array<UniqueFd, 2> SocketPair() {
  int fds[2] = {-1, -1};
  EXPECT_EQ(
      ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds),
      0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BACKENDS_POSIX_TEST_SOCKETS_H_
