// A gtest fixture for tests that listen on and connect to Unix sockets: a
// private directory under /tmp (Bazel's TEST_TMPDIR can be too long for
// sun_path), removed with the sockets in it after each test, and helpers to
// listen and to leave a stale socket file behind.
#ifndef HVSOCK_BACKENDS_POSIX_UNIX_SOCKET_TEST_BASE_H_
#define HVSOCK_BACKENDS_POSIX_UNIX_SOCKET_TEST_BASE_H_

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/unique_fd.h"
#include "gtest/gtest.h"

namespace hvsock::testing {

class UnixSocketTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/hvsock-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (DIR* dir = ::opendir(dir_.c_str())) {
      while (dirent* entry = ::readdir(dir)) {
        absl::string_view name = entry->d_name;
        if (name != "." && name != "..") ::unlink(Path(name).c_str());
      }
      ::closedir(dir);
    }
    ::rmdir(dir_.c_str());
  }

  std::string Path(absl::string_view name) const {
    return absl::StrCat(dir_, "/", name);
  }
  UnixAddress Unix(absl::string_view name) const { return {Path(name)}; }

  std::unique_ptr<Listener> MustListen(const Address& address,
                                       ListenOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        Listener::Listen(address, std::move(options));
    EXPECT_TRUE(listener.ok()) << listener.status();
    return listener.ok() ? *std::move(listener) : nullptr;
  }

  // A socket file with nothing listening on it, as a crashed server leaves.
  void MakeStaleSocket(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    SocketAddress address = *SocketAddress::From(UnixAddress{path});
    ASSERT_EQ(::bind(fd.get(), address.get(), address.size()), 0);
  }

  // Connects to the listener at `path` until its backlog is full (nobody
  // accepts); keep the returned sockets to keep it full.
  std::vector<UniqueFd> FillBacklog(const std::string& path) {
    std::vector<UniqueFd> queued;
    SocketAddress address = *SocketAddress::From(UnixAddress{path});
    for (int i = 0; i < 64; ++i) {
      UniqueFd fd = *NewStreamSocket(AF_UNIX);
      if (::connect(fd.get(), address.get(), address.size()) != 0) {
        EXPECT_EQ(errno, EAGAIN);
        break;
      }
      queued.push_back(std::move(fd));
    }
    return queued;
  }

  std::string dir_;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_BACKENDS_POSIX_UNIX_SOCKET_TEST_BASE_H_
