// Platform: the operating systems hvsock's backends run on, which kinds of
// Address each one reaches, and the one error every backend and tool gives
// for an address that another platform serves.
//
//   Linux    (backends/posix)    vsock://, unix://, hybrid-vsock://,
//                                hyperkit://
//   Windows  (backends/winsock)  hvsock://
//
// The error reads, for example on Linux:
//   hvsock://parent/80 needs Windows (hvsock:// names a Hyper-V socket);
//   on Linux the schemes are vsock://, unix://, hybrid-vsock:// and
//   hyperkit://
// and is absl::UnimplementedError: the address is well formed, this
// platform has no transport for it.
//
// Platform-independent. Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_PLATFORM_H_
#define HVSOCK_BACKENDS_PLATFORM_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backends/address.h"

namespace hvsock {

enum class Platform { kLinux, kWindows };

// "Linux", "Windows".
absl::string_view PlatformName(Platform platform);

// The platform whose backend reaches `address`.
Platform PlatformFor(const Address& address);

// The schemes `platform` reaches, for messages: "vsock://, unix://,
// hybrid-vsock:// and hyperkit://" on Linux.
absl::string_view SchemesOn(Platform platform);

// The error for `address` on `here`, a platform that does not reach it (see
// above). Must only be called when PlatformFor(address) != here.
absl::Status NotOnThisPlatform(const Address& address, Platform here);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_PLATFORM_H_
