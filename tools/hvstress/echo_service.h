// EchoService: the echo of hvstress's server on one loop, as
// EchoServerGroup deals with it: it is handed connected stream sockets
// (Adopt) and echoes what arrives on them, and says what it served. Two
// kinds: EchoServer echoes each connection as one flow; MuxEchoServer
// runs each as a multiplexed connection (vpnkit format) and echoes every
// channel the peer opens on it.
//
// Thread-compatible: use one on its loop's thread only.
#ifndef HVSOCK_TOOLS_HVSTRESS_ECHO_SERVICE_H_
#define HVSOCK_TOOLS_HVSTRESS_ECHO_SERVICE_H_

#include <cstdint>

#include "backends/posix/unique_fd.h"
#include "tools/hvstress/error_tally.h"

namespace hvsock::hvstress {

// What an echo served. A flow is a connection (EchoServer) or a channel of
// one (MuxEchoServer).
struct EchoServerStats {
  uint64_t accepted = 0;
  uint64_t closed = 0;  // echoed everything; the close completed
  uint64_t failed = 0;
  uint64_t bytes_echoed = 0;
  ErrorTally errors;  // why flows failed, by kind (and accept errors)
};

class EchoService {
 public:
  virtual ~EchoService() = default;

  // Echoes `fd`, a connected stream socket, as if accepted here.
  virtual void Adopt(UniqueFd fd) = 0;

  virtual const EchoServerStats& stats() const = 0;
  // Transport connections adopted or accepted so far: one per flow
  // without multiplexing, one per multiplexed connection with it.
  virtual uint64_t connections() const = 0;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_ECHO_SERVICE_H_
