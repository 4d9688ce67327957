// Winsock errors as absl::Status values, and Winsock's one-time start-up.
//
// WinsockStatus(code, what) turns a Winsock or Win32 error code into a
// status whose code fits the failure (refused or reset: kUnavailable; timed
// out: kDeadlineExceeded; cancelled: kCancelled; address family not
// supported: kUnimplemented) and whose message says what was being done,
// the error's symbolic name and number, and for AF_HYPERV what is missing.
// The Winsock error code travels as a payload, so callers can branch on it
// (WinsockErrorCode) without parsing messages.
//
// Windows only. Thread-safety: the functions are thread-safe.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_ERROR_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock {

// Starts Winsock (WSAStartup 2.2) once per process; later calls return the
// first call's result.
absl::Status EnsureWinsockStarted();

// A status for Winsock/Win32 error `code` that occurred while doing `what`
// ("connect to tcp://127.0.0.1:80"). `code` 0 is reported as an unknown
// failure, never as OK.
absl::Status WinsockStatus(int code, absl::string_view what);

// WinsockStatus(WSAGetLastError(), what).
absl::Status LastWinsockStatus(absl::string_view what);

// The Winsock/Win32 error code carried by a status from WinsockStatus.
std::optional<int> WinsockErrorCode(const absl::Status& status);

// The symbolic name of a Winsock/Win32 error code ("WSAECONNREFUSED"), or
// "error" when it has none here.
absl::string_view WinsockErrorName(int code);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_ERROR_H_
