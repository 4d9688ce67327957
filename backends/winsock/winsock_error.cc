#include "backends/winsock/winsock_error.h"

// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <windows.h>

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock {
namespace {

constexpr absl::string_view kPayloadUrl = "hvsock/winsock-error";

absl::StatusCode CodeFor(int code) {
  switch (code) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAENETRESET:
    case WSAENETUNREACH:
    case WSAEHOSTUNREACH:
    case ERROR_NETWORK_UNREACHABLE:
    case ERROR_HOST_UNREACHABLE:
    case ERROR_NETNAME_DELETED:
    case ERROR_CONNECTION_ABORTED:
    case WSAENETDOWN:
    case WSAESHUTDOWN:
      return absl::StatusCode::kUnavailable;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case WSA_OPERATION_ABORTED:
      return absl::StatusCode::kCancelled;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
    case WSAEPROTONOSUPPORT:
    case WSAESOCKTNOSUPPORT:
    case WSAEOPNOTSUPP:
      return absl::StatusCode::kUnimplemented;
    case WSAEADDRINUSE:
    case WSAEISCONN:
      return absl::StatusCode::kAlreadyExists;
    case WSAEADDRNOTAVAIL:
      return absl::StatusCode::kNotFound;
    case WSAEACCES:
    case ERROR_ACCESS_DENIED:
      return absl::StatusCode::kPermissionDenied;
    case WSAEINVAL:
    case WSAEFAULT:
    case WSAENOTSOCK:
      return absl::StatusCode::kInvalidArgument;
    case WSAEMFILE:
    case WSAENOBUFS:
      return absl::StatusCode::kResourceExhausted;
    case WSANOTINITIALISED:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnknown;
  }
}

// Extra advice for errors whose cause is not obvious from the name.
absl::string_view AdviceFor(int code) {
  switch (code) {
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
      return "; this system has no Hyper-V sockets (AF_HYPERV, 34) if that "
             "was the family: they need Windows 10 / Windows Server 2016 or "
             "later with Hyper-V, or a Hyper-V guest";
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
      return "; nothing listens at that address";
    default:
      return "";
  }
}

}  // namespace

absl::Status EnsureWinsockStarted() {
  static const absl::Status* started = [] {
    WSADATA data;
    int code = WSAStartup(MAKEWORD(2, 2), &data);
    return new absl::Status(code == 0 ? absl::OkStatus()
                                      : WinsockStatus(code, "WSAStartup 2.2"));
  }();
  return *started;
}

absl::string_view WinsockErrorName(int code) {
  switch (code) {
#define HVSOCK_NAME(x) \
  case x:              \
    return #x;
    HVSOCK_NAME(WSAECONNREFUSED)
    HVSOCK_NAME(WSAECONNRESET)
    HVSOCK_NAME(WSAECONNABORTED)
    HVSOCK_NAME(WSAENETRESET)
    HVSOCK_NAME(WSAENETUNREACH)
    HVSOCK_NAME(WSAEHOSTUNREACH)
    HVSOCK_NAME(WSAENETDOWN)
    HVSOCK_NAME(WSAESHUTDOWN)
    HVSOCK_NAME(WSAETIMEDOUT)
    HVSOCK_NAME(WSA_OPERATION_ABORTED)
    HVSOCK_NAME(WSAEAFNOSUPPORT)
    HVSOCK_NAME(WSAEPFNOSUPPORT)
    HVSOCK_NAME(WSAEPROTONOSUPPORT)
    HVSOCK_NAME(WSAESOCKTNOSUPPORT)
    HVSOCK_NAME(WSAEOPNOTSUPP)
    HVSOCK_NAME(WSAEADDRINUSE)
    HVSOCK_NAME(WSAEADDRNOTAVAIL)
    HVSOCK_NAME(WSAEISCONN)
    HVSOCK_NAME(WSAENOTCONN)
    HVSOCK_NAME(WSAEACCES)
    HVSOCK_NAME(WSAEINVAL)
    HVSOCK_NAME(WSAEFAULT)
    HVSOCK_NAME(WSAENOTSOCK)
    HVSOCK_NAME(WSAEMFILE)
    HVSOCK_NAME(WSAENOBUFS)
    HVSOCK_NAME(WSAEWOULDBLOCK)
    HVSOCK_NAME(WSANOTINITIALISED)
    HVSOCK_NAME(ERROR_CONNECTION_REFUSED)
    HVSOCK_NAME(ERROR_NETWORK_UNREACHABLE)
    HVSOCK_NAME(ERROR_HOST_UNREACHABLE)
    HVSOCK_NAME(ERROR_NETNAME_DELETED)
    HVSOCK_NAME(ERROR_CONNECTION_ABORTED)
    HVSOCK_NAME(ERROR_SEM_TIMEOUT)
    HVSOCK_NAME(ERROR_ACCESS_DENIED)
#undef HVSOCK_NAME
    default:
      return "error";
  }
}

absl::Status WinsockStatus(int code, absl::string_view what) {
  absl::Status status(
      CodeFor(code),
      absl::StrFormat("%s failed: %s (%d)%s", what, WinsockErrorName(code),
                      code, AdviceFor(code)));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(code)));
  return status;
}

absl::Status LastWinsockStatus(absl::string_view what) {
  return WinsockStatus(WSAGetLastError(), what);
}

std::optional<int> WinsockErrorCode(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return std::nullopt;
  }
  return code;
}

}  // namespace hvsock
