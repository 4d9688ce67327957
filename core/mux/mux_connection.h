// MuxConnection: many flows over one byte-stream transport, speaking
// vpnkit's multiplexer wire format (Go go/pkg/libproxy; see mux_frame.h,
// mux_preamble.h), as a sans-IO state machine.
//
// Like Flow it does no IO: no syscalls, no clocks, no threads, no
// randomness. A driver moves bytes between it and one transport (a socket,
// an in-memory pipe); applications use its channels (mux_channel.h), each
// of which keeps the flow contract. Time is an argument.
//
// Correct where vpnkit's implementations are not:
//  * one table of channel states (mux_channel_state.h): nothing is ever
//    sent on an id after its Close; an id is reused only after Close was
//    both sent and received;
//  * tolerant receiving: a frame for an unknown or finished id is dropped
//    with its payload consumed, and counted (stats().frames_dropped);
//  * errors found from a header alone, before any allocation: Data beyond
//    the window granted, or after the peer's Shutdown, fails that channel
//    only (its payload is skipped); a Dedicated or unknown-protocol Open is
//    refused with Close; an unknown command, a hdrlen that does not match,
//    a Data length over max_data_payload, a duplicate Open of a live id, a
//    bad preamble fail the whole connection, with an error naming the
//    frame and the recent frames;
//  * bounded memory whatever the peer sends: per channel at most the window
//    granted is buffered, and the receive credit over all channels stays
//    within receive_budget (half of it reserved in equal shares so that
//    every live channel can always make progress, the other half shared,
//    granted while it lasts); each channel's send queue is bounded as a
//    Flow's; live channels and pending Opens are capped (beyond: refused);
//  * fair scheduling: control frames (Open, Window, Shutdown, Close) leave
//    before data; channels with data and credit take turns, one Data frame
//    of at most `quantum` bytes per turn (a channel alone in the turn
//    order sends its credit, up to 256 KiB, in one frame).
//
// The methods, by role:
//  Getters:   stats(), error(), IsFinished(), recent_frames(), options().
//  Inputs (driver):
//             HandleReceived(bytes)      transport bytes (any chunking);
//                                        always consumes all of them
//             ReceiveSpaces(out) + CommitReceived(n)
//                                        the same, read in place: during a
//                                        Data payload the space is the
//                                        channel's own receive buffer, so
//                                        payload bytes are copied once
//             HandleTransportEof()       the transport's read side ended
//             HandleTransportError(s)    the transport failed
//             HandleTimeout(now)         time passed (early calls harmless)
//  Commands (application):
//             Open(destination, now)     a new channel (sends Open + Window)
//             PollIncoming()             the peer's next Open, if any
//             Accept(channel) / Refuse(channel)
//             MuxChannel methods         per-channel Flow API
//  Outputs (poll after every input or command, in this order):
//             PeekTransmit(spans) + ConsumeTransmitted(n)   bytes to send
//             WantsRead()                read the transport
//             NextDeadline()             call HandleTimeout(now) then
//             PollChannelEvent()         which channel has news for its app
//
// Errors of the connection are sticky and fail every channel that is not
// finished. Thread-compatible: one thread at a time for the connection and
// all its channels.
#ifndef HVSOCK_CORE_MUX_MUX_CONNECTION_H_
#define HVSOCK_CORE_MUX_MUX_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/flow.h"
#include "core/mux/mux_channel.h"
#include "core/mux/mux_channel_state.h"
#include "core/mux/mux_frame.h"
#include "core/mux/mux_options.h"
#include "core/mux/mux_preamble.h"
#include "core/mux/recent_frames.h"

namespace hvsock {

struct MuxConnectionStats {
  uint64_t wire_bytes_in = 0;
  uint64_t wire_bytes_out = 0;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  // Frames for unknown or finished ids, late frames after Close, repeats:
  // dropped (a Data frame's payload consumed and discarded).
  uint64_t frames_dropped = 0;
  uint64_t payload_bytes_dropped = 0;
  uint64_t opens_refused = 0;   // peer Opens refused (limits, unservable,
                                // or by the application)
  uint64_t channel_errors = 0;  // channels failed by a peer's violation
  size_t live_ids = 0;          // ids not yet freed (channels + refusals)
  size_t pending_opens = 0;     // peer Opens waiting for Accept
  size_t receive_credit = 0;    // granted and not yet read, all channels
  size_t receive_buffered = 0;  // bytes buffered for the applications
  size_t send_queued = 0;       // accepted from applications, unsent
  size_t transmit_queued = 0;   // bytes scheduled in frames, unsent
};

class MuxConnection {
 public:
  // Fails if options.Validate() does. Queues this side's preamble.
  static absl::StatusOr<std::unique_ptr<MuxConnection>> Create(
      const MuxOptions& options);
  ~MuxConnection();
  MuxConnection(const MuxConnection&) = delete;
  MuxConnection& operator=(const MuxConnection&) = delete;

  // ── Getters ──────────────────────────────────────────────────────────
  const MuxOptions& options() const { return options_; }
  MuxConnectionStats stats() const;
  // OK until the connection fails.
  const absl::Status& error() const { return error_; }
  bool IsFinished() const { return !error_.ok(); }
  bool preamble_received() const { return preamble_.done(); }
  const RecentFrames& recent_frames() const { return recent_; }
  // The channel using `id` on the wire now, if any.
  MuxChannel* FindChannel(uint32_t id);

  // ── Inputs (driver) ──────────────────────────────────────────────────
  void HandleReceived(absl::string_view bytes);
  // Where the driver should read next, as up to out.size() spans (at most
  // 3 are used; fills out[0..k), returns k, 0 once failed) for one
  // vectored read; lent until CommitReceived(n), where n counts the bytes
  // read across the spans in order. Inside a Data payload for a live
  // channel: that channel's receive space (at most the payload left: the
  // rest of its receive block and, when the payload goes on past it, the
  // start of its next block) and, while a bulk stream is running and that
  // space takes the payload's whole rest, the next frame's header;
  // otherwise one span, the connection's own buffer, limited while a bulk
  // stream is running to the rest of the next header so that the
  // following payload lands in place.
  size_t ReceiveSpaces(absl::Span<absl::Span<char>> out);
  void CommitReceived(size_t n);
  void HandleTransportEof();
  void HandleTransportError(const absl::Status& status);
  void HandleTimeout(absl::Time now);

  // ── Commands (application) ───────────────────────────────────────────
  // Opens a channel to `destination`. Fails if the connection has failed,
  // the destination cannot be encoded, or max_live_channels are in use.
  absl::StatusOr<MuxChannel*> Open(const MuxDestination& destination,
                                   absl::Time now);
  // The peer's next Open waiting for Accept() or Refuse().
  MuxChannel* PollIncoming();
  // Accepting grants the peer its first window. Fails if the peer has
  // withdrawn the Open (Closed it) meanwhile: then Release() the channel.
  absl::Status Accept(MuxChannel* channel);
  // Refuses with Close and releases the channel (the pointer is invalid).
  void Refuse(MuxChannel* channel);

  // ── Outputs ──────────────────────────────────────────────────────────
  size_t PeekTransmit(absl::Span<absl::string_view> out);
  void ConsumeTransmitted(size_t n);
  bool HasTransmit();
  bool WantsRead() const { return error_.ok(); }
  std::optional<absl::Time> NextDeadline();
  // The next channel with news for its application (drain its PollEvent()),
  // once per occurrence; nullptr when none.
  MuxChannel* PollChannelEvent();
  // Whether PollChannelEvent() may have something (a driver's hint to call
  // the application again after IO that raised events).
  bool HasChannelNews() const { return !notify_.empty(); }

 private:
  friend class MuxChannel;
  struct WireEntry {
    MuxChannelState state;
    uint64_t serial;  // 0 for an Open refused at the door
  };
  // One frame scheduled for transmission; its order is fixed.
  struct OutFrame {
    char fixed[kMuxWindowHeaderLength];
    uint8_t fixed_length = 0;
    std::string long_header;  // an Open's
    uint64_t serial = 0;      // Data: the channel whose flow owns the payload
    size_t payload_spans = 0;
    // A lone channel's batch (256 KiB) of a Cord's 4 KiB chunks.
    static constexpr size_t kMaxPayloadSpans = 64;
    absl::string_view payload[kMaxPayloadSpans];
    size_t payload_length = 0;
    absl::string_view header() const {
      return long_header.empty() ? absl::string_view(fixed, fixed_length)
                                 : absl::string_view(long_header);
    }
    size_t size() const { return header().size() + payload_length; }
  };
  struct Control {
    MuxCommand command;
    uint32_t id;
    uint64_t serial;  // 0: a refusal at the door
  };

  explicit MuxConnection(const MuxOptions& options);
  uint64_t NextId();
  MuxChannel* NewChannel(uint32_t id, MuxDestination destination, bool local);
  // Runs the table for a local input; returns the action, or nullopt after
  // failing the connection (a bug: the table has no such transition).
  std::optional<MuxChannelAction> StepLocal(WireEntry& entry, uint32_t id,
                                            MuxChannelInput input);
  void Fail(absl::Status error, FlowErrorKind channel_kind);
  void FailChannel(MuxChannel* channel, absl::string_view why);
  void Touch(MuxChannel* channel);  // MarkDirty + Notify
  void MarkDirty(MuxChannel* channel);
  void Notify(MuxChannel* channel);
  void ServiceDirty();
  void Service(MuxChannel* channel);
  void ResyncSendTotal(MuxChannel* channel, size_t queued);
  void MaybeGrant(MuxChannel* channel);
  void ReleaseCredit(MuxChannel* channel);
  void Schedule();
  bool ScheduleControl();
  bool ScheduleData();
  void Emit(OutFrame frame, const MuxFrame& header_for_trace);
  void OnFrame(const MuxFrame& frame);
  void OnOpen(const MuxFrame& frame);
  void RefuseAtDoor(uint32_t id);
  void FreeId(uint32_t id, WireEntry& entry);
  void MaybeDestroy(MuxChannel* channel);
  // A Data payload for `channel` has been received whole.
  void PayloadEnded(MuxChannel* channel);
  void LimitSparseBlocks();
  void OnApplicationRead(MuxChannel* channel, size_t n);
  void ReleaseChannel(MuxChannel* channel);
  MuxChannel* Get(uint64_t serial);
  void TrimCredit(MuxChannel* channel);
  // Sets channel->credit_held_, keeping the connection's totals.
  void SetCreditHeld(MuxChannel* channel, size_t held);
  absl::Status ErrorWithTrace(absl::string_view what) const;

  MuxOptions options_;
  FlowOptions flow_options_;
  absl::Status error_;
  MuxPreambleReader preamble_;
  MuxFrameDecoder decoder_;
  RecentFrames recent_;
  MuxConnectionStats counters_;
  absl::Time now_ = absl::InfinitePast();

  // Payload of the Data frame being received.
  uint64_t receiving_ = 0;  // serial; 0: the payload is dropped
  uint64_t payload_left_ = 0;
  // Read-in-place state: whose space was lent last (0: ours), and whether
  // recent Data payloads were large enough to read headers exactly.
  static constexpr size_t kOwnReceiveBuffer = 64 * 1024;
  std::unique_ptr<char[]> own_buffer_;
  uint64_t lent_to_ = 0;
  bool bulk_ = false;
  size_t lent_to_channel_ =
      0;  // bytes of the lent spans that are the channel's

  uint64_t next_serial_ = 1;
  uint32_t next_id_;
  std::unordered_map<uint64_t, std::unique_ptr<MuxChannel>> channels_;
  uint64_t last_got_serial_ = 0;  // Get()'s last answer (0: none)
  MuxChannel* last_got_ = nullptr;
  std::unordered_map<uint32_t, WireEntry> by_id_;
  // Lists of channels by serial (a destroyed channel's serial is skipped).
  std::deque<uint64_t> incoming_;
  std::vector<uint64_t> dirty_;
  std::vector<uint64_t> servicing_;  // ServiceDirty's pass over dirty_
  // Channels whose last payload left a little unread data in a receive
  // block of their own, oldest first (see LimitSparseBlocks).
  std::deque<uint64_t> sparse_;
  std::deque<uint64_t> ready_;
  std::deque<uint64_t> notify_;
  std::deque<uint64_t> starved_;
  std::unordered_set<uint64_t> timed_;
  std::deque<Control> control_;

  size_t receive_credit_ = 0;  // Σ credit_held_ over channels
  size_t shared_credit_ = 0;   // Σ max(0, credit_held_ - fair share)
  size_t fair_share_;          // credit every channel may always hold
  size_t send_total_ = 0;      // Σ queued in channel flows
  std::string preamble_out_;
  size_t preamble_sent_ = 0;
  std::deque<OutFrame> out_;
  size_t out_offset_ = 0;  // bytes of out_.front() already consumed
  size_t out_bytes_ = 0;   // unsent bytes in out_
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_CONNECTION_H_
