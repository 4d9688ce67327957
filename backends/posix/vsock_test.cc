// AF_VSOCK on this machine: create, bind, listen, getsockname and the local
// CID. Never connect: without a loopback transport a connect would reach
// the real hypervisor host. The data-path test runs only where the
// vsock_loopback module is loaded.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <variant>

#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/uri.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

bool HaveVsock() {
  int fd = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool HaveVsockLoopback() {
  return ::access("/sys/module/vsock_loopback", F_OK) == 0;
}

TEST(Vsock, LocalCidFromTheDevice) {
  if (::access("/dev/vsock", F_OK) != 0) GTEST_SKIP() << "no /dev/vsock";
  absl::StatusOr<uint32_t> cid = LocalVsockCid();
  ASSERT_TRUE(cid.ok()) << cid.status();
  std::cout << "local CID: " << *cid << "\n";
}

TEST(Vsock, ListensOnAnyCidAndAKernelChosenPort) {
  if (!HaveVsock()) GTEST_SKIP() << "AF_VSOCK is not available";
  ListenOptions options;
  options.peers.allowed_cids = {VsockAddress::kCidHost};
  options.backlog = 4;
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listener::Listen(
      VsockAddress{VsockAddress::kCidAny, VsockAddress::kPortAny},
      std::move(options));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const auto* local = std::get_if<VsockAddress>(&(*listener)->local_address());
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->cid, VsockAddress::kCidAny);
  EXPECT_NE(local->port, VsockAddress::kPortAny);
  // getsockname agrees, and formats as a listening URI.
  absl::StatusOr<Address> named = LocalAddressOf((*listener)->fd());
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(*named, (*listener)->local_address());
  EXPECT_EQ(FormatAddressUri(*named).rfind("vsock://:", 0), 0u);
  absl::StatusOr<std::optional<AcceptedConnection>> none =
      (*listener)->Accept();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
}

TEST(Vsock, SecondListenerOnTheSamePortIsAlreadyInUse) {
  if (!HaveVsock()) GTEST_SKIP() << "AF_VSOCK is not available";
  absl::StatusOr<std::unique_ptr<Listener>> first = Listener::Listen(
      VsockAddress{VsockAddress::kCidAny, VsockAddress::kPortAny});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<Listener>> second =
      Listener::Listen((*first)->local_address());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists)
      << second.status();
}

TEST(Vsock, DataPathOverTheLoopbackTransport) {
  if (!HaveVsockLoopback()) {
    GTEST_SKIP() << "no vsock loopback transport (/sys/module/vsock_loopback "
                    "is absent); vsock data-path tests need one and never "
                    "connect to a real host";
  }
  // Only reached with vsock_loopback loaded: CID 1 is this machine itself.
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listener::Listen(
      VsockAddress{VsockAddress::kCidLocal, VsockAddress::kPortAny});
  ASSERT_TRUE(listener.ok()) << listener.status();
  VsockAddress target = std::get<VsockAddress>((*listener)->local_address());
  target.cid = VsockAddress::kCidLocal;
  absl::StatusOr<SocketAddress> address = SocketAddress::From(target);
  ASSERT_TRUE(address.ok());
  UniqueFd client(::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), address->get(), address->size()), 0)
      << errno;
  ASSERT_EQ(::send(client.get(), "ping", 4, MSG_NOSIGNAL), 4);
}

}  // namespace
}  // namespace hvsock
