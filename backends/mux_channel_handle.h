// MuxChannelHandle: a channel of a multiplexed connection as a FlowHandle
// (flow_handle.h), so that code written against a flow runs unchanged on a
// channel. One handle for every platform: it speaks to its connection's
// driver only through MuxRunner (mux_runner.h), which LoopMux (posix,
// epoll) and IocpMux (Winsock, IOCP) implement.
//
// Commands go to the channel (core/mux/mux_channel.h: the flow contract)
// and then Kick() the runner so the frames they make leave now; Close uses
// the runner's clock (the loop's). Events: the driver reports news through
// its own news callback (LoopMux's and IocpMux's on_news); there, for each
// channel PollChannelEvent() names, call its handle's DeliverEvents(),
// which drains the channel's events into the handle's FlowEventCallback.
// So, as on every backend, events come from the loop and never from inside
// a command.
//
// Lifetime: the handle owns the application's hold on the channel and
// Release()s it when destroyed (aborting it unless finished). Destroy
// handles before their runner.
//
// Thread-compatible: the runner's loop thread only.
#ifndef HVSOCK_BACKENDS_MUX_CHANNEL_HANDLE_H_
#define HVSOCK_BACKENDS_MUX_CHANNEL_HANDLE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/types/span.h"
#include "backends/flow_handle.h"
#include "backends/mux_runner.h"
#include "core/flow.h"
#include "core/mux/mux_channel.h"

namespace hvsock {

class MuxChannelHandle : public FlowHandle {
 public:
  // `channel` was opened on, or accepted from, `mux`'s connection.
  MuxChannelHandle(MuxRunner& mux, MuxChannel* channel,
                   FlowEventCallback on_event);
  ~MuxChannelHandle() override;
  MuxChannelHandle(const MuxChannelHandle&) = delete;
  MuxChannelHandle& operator=(const MuxChannelHandle&) = delete;

  // ── FlowHandle ──────────────────────────────────────────────────────
  absl::Status Write(absl::Cord data) override;
  using FlowHandle::Write;
  absl::Status Writev(absl::Span<absl::Cord> buffers) override;
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX) override;
  absl::Status Close() override;
  void Abort() override;
  const Flow& flow() const override { return channel_->flow(); }

  // Calls the event callback for each event the channel has pending.
  void DeliverEvents();
  MuxChannel& channel() { return *channel_; }

 private:
  MuxRunner& mux_;
  MuxChannel* channel_;
  FlowEventCallback on_event_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_MUX_CHANNEL_HANDLE_H_
