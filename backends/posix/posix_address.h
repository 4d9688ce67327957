// The addresses the posix backend reaches, narrowed from Address
// (backends/address.h):
//
//   vsock://, unix://          a socket of its own (SocketAddress, Listen,
//                              Connect)
//   hybrid-vsock://, hyperkit://  a guest port behind a VMM's Unix sockets
//                              (VmmSocketAddress: ConnectVmm, ListenVmm)
//
// Every other kind belongs to another platform and fails with the one
// wording of backends/platform.h ("hvsock://parent/80 needs Windows ...").
//
// Thread-safety: pure functions.
#ifndef HVSOCK_BACKENDS_POSIX_POSIX_ADDRESS_H_
#define HVSOCK_BACKENDS_POSIX_POSIX_ADDRESS_H_

#include <optional>

#include "absl/status/status.h"
#include "backends/address.h"
#include "backends/posix/hybrid_paths.h"

namespace hvsock {

// OK for the four kinds above; NotOnThisPlatform(address, Linux) otherwise.
absl::Status CheckPosixAddress(const Address& address);

// `address` as a VmmSocketAddress if it is a hybrid-vsock or hyperkit one.
std::optional<VmmSocketAddress> AsVmmSocketAddress(const Address& address);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_POSIX_ADDRESS_H_
