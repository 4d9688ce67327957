#include "backends/mux_channel_handle.h"

#include <optional>
#include <utility>

namespace hvsock {

MuxChannelHandle::MuxChannelHandle(MuxRunner& mux, MuxChannel* channel,
                                   FlowEventCallback on_event)
    : mux_(mux), channel_(channel), on_event_(std::move(on_event)) {}

MuxChannelHandle::~MuxChannelHandle() {
  channel_->Release();
  mux_.Kick();
}

absl::Status MuxChannelHandle::Write(absl::Cord data) {
  absl::Status status = channel_->Write(std::move(data));
  mux_.Kick();
  return status;
}

absl::Status MuxChannelHandle::Writev(absl::Span<absl::Cord> buffers) {
  absl::Status status = channel_->Writev(buffers);
  mux_.Kick();
  return status;
}

absl::StatusOr<ReadResult> MuxChannelHandle::Read(size_t max_bytes) {
  absl::StatusOr<ReadResult> result = channel_->Read(max_bytes);
  mux_.Kick();  // reading frees credit: a Window may be due
  return result;
}

absl::Status MuxChannelHandle::Close() {
  absl::Status status = channel_->Close(mux_.Now());
  mux_.Kick();
  return status;
}

void MuxChannelHandle::Abort() {
  channel_->Abort();
  mux_.Kick();
}

void MuxChannelHandle::DeliverEvents() {
  while (std::optional<FlowEvent> event = channel_->PollEvent()) {
    on_event_(*this, *event);
  }
}

}  // namespace hvsock
