// MuxChannel: one flow carried as a channel of a multiplexer connection
// (core/mux/mux_connection.h). To the application it is a Flow: the same
// Write/Writev/Read/Close/Abort/PollEvent calls and the same contract
// (core/flow.h): reads drain every in-flight byte before Eof, Close flushes
// then half-closes (a Shutdown frame) and completes once the peer has ended
// too, bounded by the close timeout; an abrupt end is an error, never Eof.
//
// Inside, the channel owns a native-codec Flow for which the connection is
// the transport: the flow's transmit bytes leave as Data frames bounded by
// the peer's window, its transport shutdown is a Shutdown frame, the peer's
// Data is its received bytes and the peer's Shutdown its transport EOF.
// When the flow is finished (closed or failed) the connection sends Close.
//
// Lifetime: the connection owns every channel. A MuxChannel* stays valid
// until the application calls Release() (after which the connection aborts
// the flow if it is not finished and frees the channel once the Close
// exchange allows). Thread-compatible with its connection: one thread at a
// time for the connection and all its channels.
#ifndef HVSOCK_CORE_MUX_MUX_CHANNEL_H_
#define HVSOCK_CORE_MUX_MUX_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/flow.h"
#include "core/mux/mux_channel_state.h"
#include "core/mux/mux_frame.h"

namespace hvsock {

class MuxConnection;

struct MuxChannelStats {
  uint32_t id = 0;
  MuxChannelState wire_state = MuxChannelState::kOpening;
  FlowStats flow;                  // the channel's byte stream
  uint64_t window_granted = 0;     // absolute seq we advertised
  uint64_t peer_window = 0;        // absolute seq the peer advertised
  uint64_t payload_scheduled = 0;  // payload bytes put into Data frames
  uint64_t payload_received = 0;   // payload bytes of the peer's Data
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
};

class MuxChannel {
 public:
  MuxChannel(const MuxChannel&) = delete;
  MuxChannel& operator=(const MuxChannel&) = delete;

  // ── Getters ──────────────────────────────────────────────────────────
  uint32_t id() const { return id_; }
  const MuxDestination& destination() const { return destination_; }
  bool opened_locally() const { return opened_locally_; }
  MuxChannelState wire_state() const { return wire_state_; }
  FlowState state() const { return flow_.state(); }
  const absl::Status& error() const { return flow_.error(); }
  bool IsFinished() const { return flow_.IsFinished(); }
  bool Readable() const { return flow_.Readable(); }
  MuxChannelStats stats() const;
  // The channel's byte stream, for getters (a FlowHandle's flow()):
  // commands go through the channel, which schedules the frames.
  const Flow& flow() const { return flow_; }

  // ── Commands (application), as on a Flow ─────────────────────────────
  // The channel's send queue is bounded by MuxOptions::channel_send_limit
  // exactly as a Flow's by send_limit (kWouldBlock, then kWritable).
  absl::Status Write(absl::Cord&& data);
  absl::Status Write(std::string&& data) {
    return Write(absl::Cord(std::move(data)));
  }
  absl::Status Write(absl::string_view data);
  absl::Status Write(const char* data) {
    return Write(absl::string_view(data));
  }
  absl::Status Writev(absl::Span<absl::Cord> buffers);
  absl::Status Close(absl::Time now);
  void Abort();
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX);
  std::optional<FlowEvent> PollEvent();
  // The application is done with the channel; the pointer is invalid after.
  void Release();

 private:
  friend class MuxConnection;
  MuxChannel(MuxConnection* mux, uint64_t serial, uint32_t id,
             MuxDestination destination, bool opened_locally,
             const FlowOptions& flow_options);
  void AfterCommand();

  MuxConnection* mux_;
  const uint64_t serial_;
  const uint32_t id_;
  MuxDestination destination_;
  const bool opened_locally_;
  MuxChannelState wire_state_;
  Flow flow_;

  // Flow control. All absolute payload byte counts since Open.
  uint64_t granted_ = 0;       // what we advertised (Window seq)
  uint64_t bytes_read_ = 0;    // what the application has read
  uint64_t received_ = 0;      // payload the peer sent
  uint64_t peer_window_ = 0;   // what the peer advertised
  uint64_t scheduled_ = 0;     // payload put into Data frames
  uint64_t transmitted_ = 0;   // payload handed back to the flow as sent
  size_t send_accounted_ = 0;  // our share of the connection's send total
  size_t credit_held_ = 0;     // receive credit granted and not yet read
  uint64_t frames_in_ = 0;
  uint64_t frames_out_ = 0;
  size_t frames_in_flight_ = 0;  // in the connection's transmit queue

  // Bookkeeping flags for the connection's lists.
  bool dirty_ = false;
  bool sparse_ = false;  // in the connection's sparse_ list
  bool ready_ = false;
  bool notify_ = false;
  bool starved_ = false;  // wants credit the budget cannot give now
  bool window_queued_ = false;
  bool shutdown_done_ = false;
  bool close_queued_ = false;
  bool released_ = false;
  bool handed_out_ = false;  // the application has a pointer to it
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_CHANNEL_H_
