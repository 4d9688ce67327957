// Winsock sockets for flows: an owning socket handle, a socket address that
// holds either a Hyper-V (AF_HYPERV) or an IP address, and the socket and
// extension-function helpers the driver, listener and connector share.
//
// Every socket here is an overlapped stream socket that is not inherited by
// child processes. The address family is a parameter throughout, so the same
// code runs over AF_INET loopback in tests and over AF_HYPERV in production.
//
// Windows only. Thread-safety: UniqueSocket and SocketAddress are
// thread-compatible values; the functions are thread-safe.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_SOCKET_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_SOCKET_H_

// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <mswsock.h>
#include <windows.h>
#include <ws2tcpip.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"
#include "backends/hyperv/address.h"

#ifndef AF_HYPERV
#define AF_HYPERV 34
#endif
static_assert(AF_HYPERV == hvsock::kAfHyperV);

namespace hvsock {

// Owns a SOCKET; closes it on destruction.
class UniqueSocket {
 public:
  UniqueSocket() = default;
  explicit UniqueSocket(SOCKET socket) : socket_(socket) {}
  UniqueSocket(UniqueSocket&& other) noexcept : socket_(other.release()) {}
  UniqueSocket& operator=(UniqueSocket&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~UniqueSocket() { reset(); }

  SOCKET get() const { return socket_; }
  bool valid() const { return socket_ != INVALID_SOCKET; }
  SOCKET release() { return std::exchange(socket_, INVALID_SOCKET); }
  void reset(SOCKET socket = INVALID_SOCKET);

 private:
  SOCKET socket_ = INVALID_SOCKET;
};

// A socket address of any family, by value.
class SocketAddress {
 public:
  SocketAddress() = default;
  // The socket address for `address`: a Hyper-V socket (AF_HYPERV). Every
  // other kind fails with the one "needs Linux" wording of
  // backends/platform.h.
  static absl::StatusOr<SocketAddress> From(const Address& address);
  // A Hyper-V address (AF_HYPERV).
  static SocketAddress HyperV(const HvSocketAddress& address);
  // IPv4 loopback 127.0.0.1:port (port 0: any free port when binding).
  static SocketAddress Ipv4Loopback(uint16_t port);
  // The first `length` bytes at `address`; fails if too long.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* address,
                                                    int length);

  int family() const { return length_ == 0 ? AF_UNSPEC : storage_.ss_family; }
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  int length() const { return length_; }
  // The same family's wildcard address (what a connecting socket binds to).
  SocketAddress Wildcard() const;
  // The Hyper-V address, if family() is AF_HYPERV.
  absl::StatusOr<HvSocketAddress> hyperv() const;
  // The port, if family() is AF_INET or AF_INET6.
  absl::StatusOr<uint16_t> ip_port() const;
  // "hvsock://parent/80", "tcp://127.0.0.1:80", "[family 7]".
  std::string ToString() const;

 private:
  sockaddr_storage storage_ = {};
  int length_ = 0;
};

// The protocol to pass to socket() for `family` (HV_PROTOCOL_RAW for
// AF_HYPERV, TCP for IP).
int StreamProtocolFor(int family);

// A new overlapped, non-inheritable stream socket of `family`. An AF_HYPERV
// socket on a system without Hyper-V sockets fails with kUnimplemented and a
// message that says so.
absl::StatusOr<UniqueSocket> OpenStreamSocket(int family);

// Winsock's extension functions, looked up once per process (they are the
// same for every provider used here).
struct WinsockExtensions {
  LPFN_ACCEPTEX accept_ex = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS get_accept_ex_sockaddrs = nullptr;
  LPFN_CONNECTEX connect_ex = nullptr;
};
// Looks the extensions up through `socket` (any stream socket).
absl::StatusOr<WinsockExtensions> LoadWinsockExtensions(SOCKET socket);

// Closes `socket` with a reset instead of a graceful FIN (SO_LINGER 0), so
// the peer cannot mistake a lost stream for a clean end.
void CloseWithReset(UniqueSocket& socket);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_SOCKET_H_
