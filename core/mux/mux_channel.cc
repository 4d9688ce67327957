#include "core/mux/mux_channel.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "core/flow_error.h"
#include "core/mux/mux_connection.h"

namespace hvsock {

MuxChannel::MuxChannel(MuxConnection* mux, uint64_t serial, uint32_t id,
                       MuxDestination destination, bool opened_locally,
                       const FlowOptions& flow_options)
    : mux_(mux),
      serial_(serial),
      id_(id),
      destination_(std::move(destination)),
      opened_locally_(opened_locally),
      wire_state_(opened_locally ? MuxChannelState::kOpening
                                 : MuxChannelState::kAwaitingAccept),
      flow_(Flow::Create(flow_options).value()) {}

MuxChannelStats MuxChannel::stats() const {
  MuxChannelStats stats;
  stats.id = id_;
  stats.wire_state = wire_state_;
  stats.flow = flow_.stats();
  stats.window_granted = granted_;
  stats.peer_window = peer_window_;
  stats.payload_scheduled = scheduled_;
  stats.payload_received = received_;
  stats.frames_in = frames_in_;
  stats.frames_out = frames_out_;
  return stats;
}

void MuxChannel::AfterCommand() {
  // The connection looks at the channel before it next transmits; the
  // application has no news from its own command unless it failed the
  // flow (events from the flow are then pending: let it hear of them).
  mux_->MarkDirty(this);
  if (flow_.IsFinished()) mux_->Notify(this);
}

absl::Status MuxChannel::Write(absl::Cord&& data) {
  absl::Status status = flow_.Write(std::move(data));
  AfterCommand();
  return status;
}

absl::Status MuxChannel::Write(absl::string_view data) {
  absl::Status status = flow_.Write(data);
  AfterCommand();
  return status;
}

absl::Status MuxChannel::Writev(absl::Span<absl::Cord> buffers) {
  absl::Status status = flow_.Writev(buffers);
  AfterCommand();
  return status;
}

absl::Status MuxChannel::Close(absl::Time now) {
  absl::Status status = flow_.Close(now);
  AfterCommand();
  return status;
}

void MuxChannel::Abort() {
  flow_.Abort();
  AfterCommand();
}

absl::StatusOr<ReadResult> MuxChannel::Read(size_t max_bytes) {
  absl::StatusOr<ReadResult> result = flow_.Read(max_bytes);
  if (result.ok() && result->is_data()) {
    mux_->OnApplicationRead(this, result->data().size());
  }
  return result;
}

std::optional<FlowEvent> MuxChannel::PollEvent() { return flow_.PollEvent(); }

void MuxChannel::Release() { mux_->ReleaseChannel(this); }

}  // namespace hvsock
