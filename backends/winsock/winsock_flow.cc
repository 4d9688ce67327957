#include "backends/winsock/winsock_flow.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_overlapped_socket.h"

namespace hvsock {

class WinsockFlow::Driver : public DeadlineWatcher {
 public:
  Driver(IoLoop& loop, UniqueSocket socket, Flow flow,
         FlowEventCallback on_event)
      : loop_(loop), socket_(loop, std::move(socket)), flow_(std::move(flow)) {
    if (on_event) {
      on_event_ = std::make_shared<FlowEventCallback>(std::move(on_event));
    }
    socket_.Bind<&Driver::OnSendDone, &Driver::OnRecvDone>(this);
  }

  absl::Status Start() {
    if (absl::Status attached = socket_.Attach(); !attached.ok()) {
      return attached;
    }
    loop_.WatchDeadline(this);
    Command();
    return absl::OkStatus();
  }

  void set_handle(WinsockFlow* handle) { handle_ = handle; }

  // The handle is gone: abort, cancel, and free once nothing is in flight.
  void Detach() {
    on_event_ = nullptr;
    handle_ = nullptr;
    detached_ = true;
    if (!flow_.IsFinished()) flow_.Abort();
    Pump();
  }

  // ── Commands: the core's, then the IO they call for; events wait for
  // the loop (events_due_), so none is delivered from inside a command.
  absl::Status Writev(absl::Span<absl::Cord> buffers) {
    absl::Status status = flow_.Writev(buffers);
    Command();
    return status;
  }

  absl::StatusOr<ReadResult> Read(size_t max_bytes) {
    absl::StatusOr<ReadResult> result = flow_.Read(max_bytes);
    Command();  // reading may make room for the next receive
    return result;
  }

  absl::Status Close() {
    absl::Status status = flow_.Close(loop_.Now());
    Command();
    return status;
  }

  // The core keeps receive space it lent alive through an abort until it is
  // committed, so the flow aborts at once; the receive in flight is
  // cancelled and its completion commits into the still-valid space.
  void Abort() {
    flow_.Abort();
    Command();
  }

  const Flow& flow() const { return flow_; }
  bool transport_closed() const { return !socket_.valid(); }
  int in_flight() const { return socket_.in_flight(); }

  // DeadlineWatcher: the flow's own deadline, or "now" while events wait
  // for the loop to deliver them.
  std::optional<absl::Time> NextDeadline() const override {
    if (events_due_) return absl::InfinitePast();
    if (flow_.IsFinished()) return std::nullopt;
    return flow_.NextDeadline();
  }
  void OnDeadline(absl::Time now) override {
    events_due_ = false;
    flow_.HandleTimeout(now);
    Pump();  // may delete this (detached)
  }

 private:
  void OnSendDone(DWORD bytes, int error) {
    flow_.HandleTimeout(loop_.Now());  // progress is timed from now
    // A send cancelled for an abort or a timeout reports nothing: the flow
    // has already failed with the right error.
    if (!flow_.IsFinished() && error != WSA_OPERATION_ABORTED) {
      if (error != 0) {
        flow_.HandleTransportError(WinsockStatus(error, "WSASend"));
      } else {
        flow_.ConsumeTransmitted(bytes);
      }
    }
    Pump();
  }

  // Receives alternate between a zero-byte WSARecv, which waits for data
  // without lending any memory (so an idle flow holds no receive block),
  // and a WSARecv into the flow's receive space once data is there.
  void OnRecvDone(DWORD bytes, int error) {
    flow_.HandleTimeout(loop_.Now());  // progress is timed from now
    const bool was_probe = probing_;
    probing_ = false;
    if (was_probe) {
      if (error != 0 && error != WSA_OPERATION_ABORTED && !flow_.IsFinished()) {
        flow_.HandleTransportError(WinsockStatus(error, "WSARecv"));
      }
      // Data (or the EOF) is there: the next receive lends space for it.
      data_ready_ = error == 0;
      Pump();
      return;
    }
    data_ready_ = false;
    if (error == 0 && bytes > 0) {
      flow_.CommitReceived(bytes);  // discarded by the core if it failed
      // A full buffer suggests more is waiting: receive into space again.
      data_ready_ = bytes == last_space_;
    } else {
      flow_.CommitReceived(0);
      if (!flow_.IsFinished() && error != WSA_OPERATION_ABORTED) {
        if (error != 0) {
          flow_.HandleTransportError(WinsockStatus(error, "WSARecv"));
        } else {
          transport_eof_ = true;
          flow_.HandleTransportEof();
        }
      }
    }
    if (!data_ready_) flow_.ReleaseReceiveSpace();
    Pump();
  }

  // An application command: start the IO it needs; events wait for the
  // loop.
  void Command() {
    events_due_ = true;
    in_command_ = true;
    Pump();
    in_command_ = false;
  }

  // Polls the flow's outputs and starts the I/O they call for. Re-entrant
  // calls (from event callbacks) are folded into the running one.
  void Pump() {
    if (pumping_) {
      pump_again_ = true;
      return;
    }
    pumping_ = true;
    do {
      pump_again_ = false;
      PumpOnce();
    } while (pump_again_);
    pumping_ = false;
    if (transport_closed() && !events_due_) loop_.UnwatchDeadline(this);
    if (detached_ && transport_closed() && in_flight() == 0) {
      loop_.UnwatchDeadline(this);
      delete this;
    }
  }

  void PumpOnce() {
    if (!flow_.IsFinished()) {
      StartSend();
      StartReceive();
    }
    if (flow_.IsFinished()) socket_.CancelInFlight();
    while (on_event_ && handle_ != nullptr && !in_command_) {
      std::optional<FlowEvent> event = flow_.PollEvent();
      if (!event.has_value()) break;
      // The callback may destroy the handle (and so Detach this driver):
      // hold the callable while it runs.
      std::shared_ptr<FlowEventCallback> callback = on_event_;
      (*callback)(*handle_, *event);
    }
    if (flow_.IsFinished() && in_flight() == 0 && socket_.valid()) {
      CloseTransport();
    }
  }

  void StartSend() {
    if (socket_.send_pending()) return;
    absl::string_view spans[OverlappedSocket::kMaxSendSpans];
    size_t count = flow_.PeekTransmit(absl::MakeSpan(spans));
    if (count == 0) {
      if (flow_.PollShutdownWrite() && shutdown(socket_.get(), SD_SEND) != 0) {
        flow_.HandleTransportError(LastWinsockStatus("shutdown(SD_SEND)"));
      }
      return;
    }
    if (absl::Status started = socket_.Send(absl::MakeSpan(spans, count));
        !started.ok()) {
      flow_.HandleTransportError(started);
    }
  }

  void StartReceive() {
    if (socket_.receive_pending() || transport_eof_ || !flow_.WantsRead()) {
      return;
    }
    absl::Span<char> space;
    if (data_ready_) {
      space = flow_.ReceiveSpace();
      if (space.empty()) return;
    } else {
      probing_ = true;  // zero bytes: wait for data without lending memory
    }
    absl::Status started =
        socket_.Receive(absl::MakeSpan(&space, probing_ ? 0 : 1));
    last_space_ = socket_.last_receive_lent();
    if (!started.ok()) {
      probing_ = false;
      if (data_ready_) flow_.CommitReceived(0);
      flow_.HandleTransportError(started);
    }
  }

  void CloseTransport() {
    socket_.Close(/*reset=*/flow_.state() != FlowState::kClosed);
    flow_.ReleaseReceiveSpace();
    // The deadline watch ends in Pump(), once no event waits for the loop.
  }

  IoLoop& loop_;
  OverlappedSocket socket_;
  Flow flow_;
  std::shared_ptr<FlowEventCallback> on_event_;  // empty: no callback
  WinsockFlow* handle_ = nullptr;                // what the callback is given
  size_t last_space_ = 0;  // size of the last data receive
  bool detached_ = false;
  bool transport_eof_ = false;
  bool probing_ = false;     // the receive in flight is zero-byte
  bool data_ready_ = false;  // the next receive lends space
  bool in_command_ = false;  // events wait: never delivered in a command
  bool events_due_ = false;  // a command ran: the loop delivers its events
  bool pumping_ = false;
  bool pump_again_ = false;
};

absl::StatusOr<std::unique_ptr<WinsockFlow>> WinsockFlow::Create(
    IoLoop& loop, UniqueSocket socket, const FlowOptions& options,
    FlowEventCallback on_event) {
  absl::StatusOr<Flow> flow = Flow::Create(options);
  if (!flow.ok()) return flow.status();
  if (!socket.valid()) {
    return absl::InvalidArgumentError("WinsockFlow needs a connected socket");
  }
  auto* driver = new Driver(loop, std::move(socket), *std::move(flow),
                            std::move(on_event));
  if (absl::Status started = driver->Start(); !started.ok()) {
    delete driver;
    return started;
  }
  auto handle = std::unique_ptr<WinsockFlow>(new WinsockFlow(driver));
  driver->set_handle(handle.get());
  return handle;
}

WinsockFlow::~WinsockFlow() { driver_->Detach(); }

absl::Status WinsockFlow::Write(absl::Cord data) {
  return driver_->Writev(absl::MakeSpan(&data, 1));
}
absl::Status WinsockFlow::Writev(absl::Span<absl::Cord> buffers) {
  return driver_->Writev(buffers);
}
absl::StatusOr<ReadResult> WinsockFlow::Read(size_t max_bytes) {
  return driver_->Read(max_bytes);
}
absl::Status WinsockFlow::Close() { return driver_->Close(); }
void WinsockFlow::Abort() { driver_->Abort(); }
const Flow& WinsockFlow::flow() const { return driver_->flow(); }
bool WinsockFlow::transport_closed() const {
  return driver_->transport_closed();
}
int WinsockFlow::operations_in_flight() const { return driver_->in_flight(); }

}  // namespace hvsock
