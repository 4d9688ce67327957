// tcp://127.0.0.1:PORT: TCP on the IPv4 loopback address, for hvcat.exe's
// Wine tests only (tools/hvcat/wine_test.sh; Wine has no Hyper-V sockets).
// It is no Address (backends/address.h) and ParseAddressUri does not know
// it: only hvcat.exe built with the CMake option HVSOCK_HVCAT_TCP compiles
// this file, and its platform hooks try it before ParseAddressUri. PORT is
// 0 to 65535 (0 with -l: any free port); a trailing "/" is accepted.
//
// Errors are ParseAddressUri's format (backends/uri_syntax.h):
//   bad URI "tcp://10.0.0.1:80" at column 7: expected the loopback address
//   127.0.0.1, found "10.0.0.1" (tcp:// URIs are for tests and name only
//   tcp://127.0.0.1:PORT)
//
// Thread-safety: pure functions.
#ifndef HVSOCK_TOOLS_HVCAT_TCP_LOOPBACK_URI_H_
#define HVSOCK_TOOLS_HVCAT_TCP_LOOPBACK_URI_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hvsock {

// Whether `uri` has the tcp scheme (any case): then it is this parser's.
bool HasTcpScheme(absl::string_view uri);

// The port of a tcp://127.0.0.1:PORT URI.
absl::StatusOr<uint16_t> ParseTcpLoopbackUri(absl::string_view uri);

}  // namespace hvsock

#endif  // HVSOCK_TOOLS_HVCAT_TCP_LOOPBACK_URI_H_
