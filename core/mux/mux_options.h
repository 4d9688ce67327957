// MuxOptions: the settings of one multiplexer connection: which side it is,
// the per-channel window and send quantum, and the limits that bound its
// memory and its channel table whatever the peer does. Plain value type.
#ifndef HVSOCK_CORE_MUX_MUX_OPTIONS_H_
#define HVSOCK_CORE_MUX_MUX_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hvsock {

struct MuxOptions {
  // The side that connected the transport allocates channel ids downwards
  // from 0xFFFFFFFF, the side that accepted it upwards from 0 (vpnkit's
  // rule, so that both ends can open channels at once without clashing).
  bool connector = true;
  // Where id allocation starts; unset: 0xFFFFFFFF for the connector, 0 for
  // the acceptor. Either way it wraps and skips ids in use.
  std::optional<uint32_t> first_id;
  // Receive window per channel: the most payload the peer may have in
  // flight or unread on one channel; also the channel's receive buffer
  // limit. vpnkit advertises 64 KiB; any value interoperates (a sender
  // obeys the absolute seq it is given). 256 KiB, a Flow's receive_limit,
  // keeps one bulk channel from stalling on window round trips.
  uint32_t window = 256 * 1024;
  // Largest Data payload sent in one scheduling turn while other channels
  // wait for theirs (fair sharing among busy channels); the peer's
  // remaining credit caps it further. A channel alone with data to send
  // has nobody to share with: it sends its credit, up to 256 KiB, in one
  // frame.
  uint32_t quantum = 64 * 1024;
  // A received Data header announcing more than this is a connection error
  // (no honest peer sends more than the window it was granted).
  uint32_t max_data_payload = 1024 * 1024;
  // Total receive credit outstanding (granted but not yet read by the
  // applications) over all channels: the most received payload the
  // connection can ever hold. Half is reserved in equal shares for
  // max_live_channels (so each channel can always make progress, however
  // many idle channels hold credit); the other half is shared and granted
  // while it lasts. Must be at least 2 * max_live_channels.
  // Memory: received data takes at most twice the bytes this counts (each
  // channel fills 64 KiB receive blocks of its own; a block can be partly
  // used), plus an eighth of it for channels left holding a little unread
  // data (beyond that allowance, such channels' bytes are copied out of
  // their blocks), plus 128 KiB for the payload being read in place. With
  // the defaults: at most 136 MiB 128 KiB, plus about 1 KiB per channel.
  // testing/mux_memory_test measures it.
  size_t receive_budget = 64 * 1024 * 1024;
  // Bytes the application may queue on one channel (the channel flow's
  // send_limit): beyond it writes fail with kWouldBlock until kWritable.
  size_t channel_send_limit = 256 * 1024;
  // Ids in use (channels not yet freed by the Close exchange). A local Open
  // beyond it fails; a peer's Open beyond it is refused with Close.
  size_t max_live_channels = 4096;
  // Peer Opens not yet accepted by the application; more are refused.
  size_t max_pending_opens = 128;
  // Per-channel close timeout (see FlowOptions::close_timeout).
  absl::Duration close_timeout = absl::Seconds(30);
  // Frames kept in the recent-frames ring.
  size_t recent_frames = 32;

  absl::Status Validate() const;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_OPTIONS_H_
