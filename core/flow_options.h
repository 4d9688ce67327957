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
  // Framed: largest Data message sent / accepted. Both stay below the
  // smallest control value (0xbeefdead), so no Data length is ever read as
  // an end marker.
  uint32_t max_send_frame = kDefaultMaxSendFrame;
  uint32_t max_receive_frame = kDefaultMaxReceiveFrame;
  // Once closing (after close(), or the peer's ShutdownRead), how long the
  // flow may go without progress (no byte received or sent) before it is
  // aborted with kCloseTimeout. It bounds a peer that has stopped, not one
  // that is slow: every byte that moves restarts it, as TCP's linger and
  // FIN-wait timers do for live sockets. Must be positive.
  absl::Duration close_timeout = absl::Seconds(30);
  // Fails the flow with kIdleTimeout after this long without progress (no
  // byte received or sent), in any state. Off (infinite) by default; must be
  // positive.
  absl::Duration idle_timeout = absl::InfiniteDuration();

  // OK if the options are usable; otherwise says which field is wrong and
  // what it holds. Flow::Create() checks this: no flow runs on invalid
  // options.
  absl::Status Validate() const;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_OPTIONS_H_
