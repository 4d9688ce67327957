#include "backends/winsock/winsock_socket.h"

#include <hvsocket.h>

#include <cstring>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/platform.h"
#include "backends/uri.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {

static_assert(sizeof(SOCKADDR_HV) == kSockaddrHvSize,
              "SOCKADDR_HV must be 36 bytes");
static_assert(sizeof(GUID) == sizeof(HvGuid));
static_assert(HV_PROTOCOL_RAW == kHvProtocolRaw);

void UniqueSocket::reset(SOCKET socket) {
  if (socket_ != INVALID_SOCKET) closesocket(socket_);
  socket_ = socket;
}

absl::StatusOr<SocketAddress> SocketAddress::From(const Address& address) {
  if (const auto* hv = std::get_if<HvSocketAddress>(&address)) {
    return HyperV(*hv);
  }
  return NotOnThisPlatform(address, Platform::kWindows);
}

SocketAddress SocketAddress::HyperV(const HvSocketAddress& address) {
  SocketAddress result;
  std::array<uint8_t, kSockaddrHvSize> bytes = EncodeSockaddrHv(address);
  std::memcpy(&result.storage_, bytes.data(), bytes.size());
  result.length_ = static_cast<int>(bytes.size());
  return result;
}

SocketAddress SocketAddress::Ipv4Loopback(uint16_t port) {
  SocketAddress result;
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::memcpy(&result.storage_, &in, sizeof(in));
  result.length_ = sizeof(in);
  return result;
}

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(
    const sockaddr* address, int length) {
  if (length <= 0 || length > static_cast<int>(sizeof(sockaddr_storage))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("socket address of %d bytes does not fit", length));
  }
  SocketAddress result;
  std::memcpy(&result.storage_, address, length);
  result.length_ = length;
  return result;
}

SocketAddress SocketAddress::Wildcard() const {
  SocketAddress result;
  switch (family()) {
    case AF_HYPERV:
      return HyperV(HvSocketAddress{kHvGuidWildcard, kHvGuidWildcard});
    case AF_INET: {
      sockaddr_in in = {};
      in.sin_family = AF_INET;
      std::memcpy(&result.storage_, &in, sizeof(in));
      result.length_ = sizeof(in);
      return result;
    }
    case AF_INET6: {
      sockaddr_in6 in6 = {};
      in6.sin6_family = AF_INET6;
      std::memcpy(&result.storage_, &in6, sizeof(in6));
      result.length_ = sizeof(in6);
      return result;
    }
    default:
      result.storage_.ss_family = static_cast<ADDRESS_FAMILY>(family());
      result.length_ = length_;
      return result;
  }
}

absl::StatusOr<HvSocketAddress> SocketAddress::hyperv() const {
  return DecodeSockaddrHv(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(&storage_), length_));
}

absl::StatusOr<uint16_t> SocketAddress::ip_port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("address ", ToString(), " has no IP port"));
}

std::string SocketAddress::ToString() const {
  switch (family()) {
    case AF_HYPERV: {
      absl::StatusOr<HvSocketAddress> hv = hyperv();
      return hv.ok() ? FormatAddressUri(*hv) : "hvsock://?";
    }
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&storage_);
      const auto* b = reinterpret_cast<const uint8_t*>(&in->sin_addr);
      return absl::StrFormat("tcp://%d.%d.%d.%d:%d", b[0], b[1], b[2], b[3],
                             ntohs(in->sin_port));
    }
    case AF_INET6: {
      char text[INET6_ADDRSTRLEN] = {};
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      return absl::StrFormat("tcp://[%s]:%d", text, ntohs(in6->sin6_port));
    }
    default:
      return absl::StrFormat("[family %d]", family());
  }
}

int StreamProtocolFor(int family) {
  return family == AF_HYPERV ? HV_PROTOCOL_RAW : IPPROTO_TCP;
}

absl::StatusOr<UniqueSocket> OpenStreamSocket(int family) {
  if (absl::Status started = EnsureWinsockStarted(); !started.ok()) {
    return started;
  }
  SOCKET socket =
      WSASocketW(family, SOCK_STREAM, StreamProtocolFor(family), nullptr, 0,
                 WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (socket == INVALID_SOCKET) {
    return LastWinsockStatus(absl::StrFormat(
        "creating a %s stream socket",
        family == AF_HYPERV ? "Hyper-V (AF_HYPERV)"
                            : absl::StrFormat("family %d", family)));
  }
  return UniqueSocket(socket);
}

absl::StatusOr<WinsockExtensions> LoadWinsockExtensions(SOCKET socket) {
  WinsockExtensions extensions;
  auto load = [socket](GUID id, void* function, size_t size,
                       absl::string_view name) -> absl::Status {
    DWORD bytes = 0;
    if (WSAIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof(id),
                 function, static_cast<DWORD>(size), &bytes, nullptr,
                 nullptr) != 0) {
      return LastWinsockStatus(absl::StrCat("looking up ", name));
    }
    return absl::OkStatus();
  };
  GUID accept_ex = WSAID_ACCEPTEX;
  GUID sockaddrs = WSAID_GETACCEPTEXSOCKADDRS;
  GUID connect_ex = WSAID_CONNECTEX;
  if (absl::Status s = load(accept_ex, &extensions.accept_ex,
                            sizeof(extensions.accept_ex), "AcceptEx");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = load(sockaddrs, &extensions.get_accept_ex_sockaddrs,
                            sizeof(extensions.get_accept_ex_sockaddrs),
                            "GetAcceptExSockaddrs");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = load(connect_ex, &extensions.connect_ex,
                            sizeof(extensions.connect_ex), "ConnectEx");
      !s.ok()) {
    return s;
  }
  return extensions;
}

void CloseWithReset(UniqueSocket& socket) {
  if (!socket.valid()) return;
  linger hard = {};
  hard.l_onoff = 1;
  hard.l_linger = 0;
  setsockopt(socket.get(), SOL_SOCKET, SO_LINGER,
             reinterpret_cast<const char*>(&hard), sizeof(hard));
  socket.reset();
}

}  // namespace hvsock
