#include "backends/posix/socket_address.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/un.h>

#include <cstring>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "backends/posix/posix_address.h"
#include "backends/uri.h"

namespace hvsock {

absl::Status PosixError(int error, absl::string_view what) {
  return absl::ErrnoToStatus(error, what);
}

absl::StatusOr<SocketAddress> SocketAddress::From(const Address& address) {
  SocketAddress out;
  if (const auto* vsock = std::get_if<VsockAddress>(&address)) {
    sockaddr_vm vm{};
    vm.svm_family = AF_VSOCK;
    vm.svm_cid = vsock->cid;
    vm.svm_port = vsock->port;
    std::memcpy(&out.storage_, &vm, sizeof(vm));
    out.size_ = sizeof(vm);
    return out;
  }
  if (!std::holds_alternative<UnixAddress>(address)) {
    if (AsVmmSocketAddress(address).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          FormatAddressUri(address),
          " is a guest port behind a VMM's Unix sockets, not a socket of its "
          "own: connect with ConnectVmm, listen with ListenVmm "
          "(backends/posix/hybrid_connector.h, hybrid_listener.h)"));
    }
    return CheckPosixAddress(address);
  }
  const std::string& path = std::get<UnixAddress>(address).path;
  if (path.empty()) {
    return absl::InvalidArgumentError("a Unix socket address needs a path");
  }
  if (path.size() > kMaxUnixPathBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Unix socket path is ", path.size(), " bytes long; at most ",
        kMaxUnixPathBytes, " fit in sun_path: ", path));
  }
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "Unix socket path contains a NUL byte (abstract socket names are not "
        "supported)");
  }
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  std::memcpy(&out.storage_, &un, sizeof(un));
  out.size_ =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return out;
}

absl::StatusOr<Address> SocketAddress::ToAddress(const sockaddr* addr,
                                                 socklen_t size) {
  if (size < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return absl::InvalidArgumentError("socket address too short");
  }
  if (addr->sa_family == AF_VSOCK) {
    if (size < static_cast<socklen_t>(sizeof(sockaddr_vm))) {
      return absl::InvalidArgumentError("vsock address too short");
    }
    sockaddr_vm vm;
    std::memcpy(&vm, addr, sizeof(vm));
    return VsockAddress{vm.svm_cid, vm.svm_port};
  }
  if (addr->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(addr);
    size_t offset = offsetof(sockaddr_un, sun_path);
    size_t length = size > static_cast<socklen_t>(offset) ? size - offset : 0;
    length = std::min(length, sizeof(un->sun_path));
    // Linux counts the NUL in some cases and not in others.
    length = strnlen(un->sun_path, length);
    return UnixAddress{std::string(un->sun_path, length)};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported socket address family ", addr->sa_family,
                   " (expected AF_VSOCK or AF_UNIX)"));
}

absl::StatusOr<UniqueFd> NewStreamSocket(int family) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    int error = errno;
    return PosixError(error, absl::StrCat("socket(",
                                          family == AF_VSOCK  ? "AF_VSOCK"
                                          : family == AF_UNIX ? "AF_UNIX"
                                                              : "?",
                                          ", SOCK_STREAM)"));
  }
  return fd;
}

namespace {

absl::StatusOr<Address> NameOf(int fd, bool peer) {
  sockaddr_storage storage{};
  socklen_t size = sizeof(storage);
  auto* addr = reinterpret_cast<sockaddr*>(&storage);
  int result =
      peer ? ::getpeername(fd, addr, &size) : ::getsockname(fd, addr, &size);
  if (result != 0) {
    int error = errno;
    return PosixError(error, peer ? "getpeername" : "getsockname");
  }
  return SocketAddress::ToAddress(addr, size);
}

}  // namespace

absl::StatusOr<Address> LocalAddressOf(int fd) { return NameOf(fd, false); }
absl::StatusOr<Address> PeerAddressOf(int fd) { return NameOf(fd, true); }

absl::StatusOr<uint32_t> LocalVsockCid() {
  UniqueFd device(::open("/dev/vsock", O_RDONLY | O_CLOEXEC));
  if (!device.valid()) {
    int error = errno;
    return PosixError(error, "open /dev/vsock (is the vsock module loaded?)");
  }
  unsigned int cid = 0;
  if (::ioctl(device.get(), IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0) {
    int error = errno;
    return PosixError(error, "ioctl IOCTL_VM_SOCKETS_GET_LOCAL_CID");
  }
  return static_cast<uint32_t>(cid);
}

}  // namespace hvsock
