// DefaultCodecFor: the wire protocol a flow over an address uses unless the
// application chooses one.
//
//   framed   hvsock://: several Windows builds lose in-flight data on
//            shutdown, which the framed close handshake avoids.
//            hybrid-vsock://: Firecracker and vhost-device-vsock turn a
//            host's shutdown(SHUT_WR) into a full shutdown and never show the
//            guest's, so only the framed codec's in-band ShutdownWrite/Close
//            keeps half-close.
//   native   everything else (AF_VSOCK, Unix sockets and hyperkit pass
//            half-close both ways).
//
// The native codec stays selectable per connector or listener.
//
// Platform-independent. Thread-safety: a pure function.
#ifndef HVSOCK_BACKENDS_DEFAULT_CODEC_H_
#define HVSOCK_BACKENDS_DEFAULT_CODEC_H_

#include <variant>

#include "backends/address.h"
#include "core/flow_options.h"

namespace hvsock {

inline Codec DefaultCodecFor(const Address& address) {
  return std::holds_alternative<HvSocketAddress>(address) ||
                 std::holds_alternative<HybridVsockAddress>(address)
             ? Codec::kFramed
             : Codec::kNative;
}

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_DEFAULT_CODEC_H_
