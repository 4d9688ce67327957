// VmmConnection: a Unix socket to a VMM whose connect handshake is done, so
// that the socket now carries a guest port's byte stream from its first
// byte. Run a flow over `fd` like any connected socket
// (EventLoop::AddFlow, SocketDriver).
//
// The VMM may send stream bytes in the same segment as its OK line (the
// guest wrote at once). The connector peeks at the reply and takes from the
// socket only the reply line itself, so those bytes are still in the
// socket: the flow reads them first, exactly once, with nothing to feed by
// hand.
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_

#include <string>

#include "backends/posix/unique_fd.h"

namespace hvsock {

struct VmmConnection {
  UniqueFd fd;  // connected, non-blocking, close-on-exec
  // "OK <number>" from a hybrid vsock VMM (empty for hyperkit). For logs:
  // the number means different things to different VMMs.
  std::string reply;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_
