// FlowOptions: the per-flow settings of the core: wire protocol, memory
// limits and the close timeout. Plain value type.
#ifndef HVSOCK_CORE_FLOW_OPTIONS_H_
#define HVSOCK_CORE_FLOW_OPTIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/frame.h"

namespace hvsock {

enum class Codec {
  // No framing. Half-close is the transport's shutdown of its write side;
  // remote close is transport EOF.
  kNative,
  // ocaml-hvsock Flow_shutdown framing (see core/frame.h), for transports
  // whose shutdown loses in-flight data.
  kFramed,
};

absl::string_view CodecName(Codec codec);

struct FlowOptions {
  Codec codec = Codec::kNative;
  // Received bytes buffered for the application. At the limit the flow stops
  // asking the backend to read, so the transport pushes back on the peer.
  size_t receive_limit = 256 * 1024;
  // Bytes accepted from the application but not yet transmitted. A write is
  // accepted while fewer than this many bytes are queued (so the queue can
  // exceed it by at most one write); beyond it writes fail with kWouldBlock
  // until FlowEvent::kWritable.
  size_t send_limit = 256 * 1024;
  // Framed: largest Data message sent / accepted.
  uint32_t max_send_frame = kDefaultMaxSendFrame;
  uint32_t max_receive_frame = kDefaultMaxReceiveFrame;
  // How long close() may wait for the flush and the peer's end before the
  // flow is aborted with kCloseTimeout.
  absl::Duration close_timeout = absl::Seconds(30);
  // Fails the flow with kIdleTimeout after this long without progress (no byte received or sent). Off by default.
  absl::Duration idle_timeout = absl::InfiniteDuration();

  // OK if the options are usable; otherwise says which field is wrong.
  absl::Status Validate() const;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_OPTIONS_H_
