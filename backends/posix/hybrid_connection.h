// VmmConnection: a Unix socket to a VMM whose connect handshake is done, so
// that the socket now carries a guest port's byte stream; and AddVmmFlow(),
// which runs a flow over it on an EventLoop.
//
// The VMM may send stream bytes in the same segment as its OK line (the
// guest wrote at once). The connector read them: they are `leftover`, and
// they must reach the flow before any byte read from the socket, exactly
// once. AddVmmFlow() does that; a caller driving a Flow by other means
// hands `leftover` to Flow::HandleReceived() before its first read.
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"

namespace hvsock {

struct VmmConnection {
  UniqueFd fd;           // connected, non-blocking, close-on-exec
  std::string leftover;  // the stream's first bytes, read with the reply
  // "OK <number>" from a hybrid vsock VMM (empty for hyperkit). For logs:
  // the number means different things to different VMMs.
  std::string reply;
};

// EventLoop::AddFlow over `connection.fd`, with `connection.leftover`
// received first. Fails as AddFlow does, or if the flow cannot take the
// leftover bytes (a receive_limit smaller than them).
absl::StatusOr<LoopFlow*> AddVmmFlow(EventLoop& loop, VmmConnection connection,
                                     const FlowOptions& options,
                                     FlowCallback on_event);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_CONNECTION_H_
