// SocketAddress: a vsock or Unix Address (backends/address.h) as a POSIX
// socket address (sockaddr_vm or sockaddr_un), and the reverse; plus the socket
// helpers every posix backend piece shares.
//
// AF_VSOCK addresses use <linux/vm_sockets.h>; Unix paths must fit
// sun_path (at most 107 bytes and no NUL). Linux abstract Unix socket names
// are not supported.
//
// Thread-safety: SocketAddress is a value type (thread-compatible); the free
// functions are safe from any thread.
#ifndef HVSOCK_BACKENDS_POSIX_SOCKET_ADDRESS_H_
#define HVSOCK_BACKENDS_POSIX_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/posix/unique_fd.h"

namespace hvsock {

class SocketAddress {
 public:
  // Fails (InvalidArgument) if a Unix path is empty, too long for sun_path
  // or contains a NUL byte, or for a hybrid-vsock or hyperkit address (those
  // go through ConnectVmm/ListenVmm); fails (Unimplemented, "... needs
  // Windows") for another platform's address (backends/posix/posix_address.h).
  static absl::StatusOr<SocketAddress> From(const Address& address);

  // The Address in a kernel-filled socket address (accept, getsockname).
  // Fails (InvalidArgument) for families other than AF_VSOCK and AF_UNIX.
  static absl::StatusOr<Address> ToAddress(const sockaddr* addr,
                                           socklen_t size);

  int family() const { return storage_.ss_family; }
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  socklen_t size() const { return size_; }

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

// The largest Unix socket path that fits sun_path with its NUL.
inline constexpr size_t kMaxUnixPathBytes = 107;

// A new non-blocking, close-on-exec stream socket of `family`.
absl::StatusOr<UniqueFd> NewStreamSocket(int family);

// getsockname() / getpeername() as an Address.
absl::StatusOr<Address> LocalAddressOf(int fd);
absl::StatusOr<Address> PeerAddressOf(int fd);

// This machine's vsock context ID, from IOCTL_VM_SOCKETS_GET_LOCAL_CID on
// /dev/vsock. Fails (NotFound) when there is no vsock device.
absl::StatusOr<uint32_t> LocalVsockCid();

// An absl::Status for errno value `error`, of the matching code, reading
// "<what>: <strerror text>".
absl::Status PosixError(int error, absl::string_view what);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_SOCKET_ADDRESS_H_
