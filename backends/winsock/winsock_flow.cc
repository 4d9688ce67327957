#include "backends/winsock/winsock_flow.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {
namespace {

// WSABUFs per send. More spans simply wait for the next send.
constexpr size_t kMaxSendBuffers = 16;

}  // namespace

class WinsockFlow::Driver : public DeadlineWatcher {
 public:
  Driver(IoLoop& loop, UniqueSocket socket, Flow flow, EventCallback on_event)
      : loop_(loop),
        socket_(std::move(socket)),
        flow_(std::move(flow)),
        on_event_(std::move(on_event)) {
    for (IoOperation* op : {&send_, &recv_}) {
      op->socket = socket_.get();
      op->owner = this;
    }
    send_.on_complete = &Driver::SendDone;
    recv_.on_complete = &Driver::RecvDone;
  }

  absl::Status Start() {
    if (absl::Status attached = loop_.Attach(socket_.get()); !attached.ok()) {
      return attached;
    }
    attached_ = true;
    loop_.WatchDeadline(this);
    Pump();
    return absl::OkStatus();
  }

  // The handle is gone: abort, cancel, and free once nothing is in flight.
  void Detach() {
    on_event_ = nullptr;
    detached_ = true;
    if (!flow_.IsFinished()) abort_requested_ = true;
    Pump();
  }

  absl::Status Writev(absl::Span<absl::Cord> buffers) {
    if (abort_requested_) return AbortedError();
    absl::Status status = flow_.Writev(buffers);
    Pump();
    return status;
  }

  absl::StatusOr<ReadResult> Read(size_t max_bytes) {
    if (abort_requested_ && !flow_.IsFinished()) return AbortedError();
    absl::StatusOr<ReadResult> result = flow_.Read(max_bytes);
    Pump();  // reading may make room for the next receive
    return result;
  }

  absl::Status Close() {
    if (abort_requested_ && !flow_.IsFinished()) return AbortedError();
    absl::Status status = flow_.Close(loop_.Now());
    Pump();
    return status;
  }

  void Abort() {
    if (flow_.IsFinished()) return;
    abort_requested_ = true;
    Pump();
  }

  const Flow& flow() const { return flow_; }
  bool transport_closed() const { return !socket_.valid(); }
  int in_flight() const { return int{send_.pending} + int{recv_.pending}; }

  // DeadlineWatcher
  std::optional<absl::Time> NextDeadline() const override {
    if (flow_.IsFinished() || abort_requested_) return std::nullopt;
    return flow_.NextDeadline();
  }
  void OnDeadline(absl::Time now) override {
    std::optional<absl::Time> deadline = NextDeadline();
    if (!deadline.has_value() || now < *deadline) return;
    // The timeout drops the receive memory; the receive in flight must end
    // first.
    timeout_due_ = true;
    Pump();
  }

 private:
  static absl::Status AbortedError() {
    return FlowError(FlowErrorKind::kAborted, "the flow was aborted");
  }

  static void SendDone(IoOperation* op, DWORD bytes, int error) {
    static_cast<Driver*>(op->owner)->OnSendDone(bytes, error);
  }
  static void RecvDone(IoOperation* op, DWORD bytes, int error) {
    static_cast<Driver*>(op->owner)->OnRecvDone(bytes, error);
  }

  bool Accepting() const { return !flow_.IsFinished() && !abort_requested_; }

  void OnSendDone(DWORD bytes, int error) {
    cancelled_ = false;
    // A send cancelled for an abort or a timeout reports nothing: the flow
    // is about to fail with the right error.
    if (Accepting() && !timeout_due_ && error != WSA_OPERATION_ABORTED) {
      if (error != 0) {
        flow_.HandleTransportError(WinsockStatus(error, "WSASend"));
      } else {
        flow_.ConsumeTransmitted(bytes);
      }
    }
    Pump();
  }

  void OnRecvDone(DWORD bytes, int error) {
    cancelled_ = false;
    if (Accepting() && !timeout_due_) {
      if (error == WSA_OPERATION_ABORTED) {
        // Cancelled by us; nothing to report.
      } else if (error != 0) {
        flow_.HandleTransportError(WinsockStatus(error, "WSARecv"));
      } else if (bytes == 0) {
        transport_eof_ = true;
        flow_.HandleTransportEof();
      } else {
        flow_.CommitReceived(bytes);
      }
    } else if (timeout_due_ && error == 0 && bytes > 0 && Accepting()) {
      flow_.CommitReceived(bytes);
    }
    Pump();
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
    if (detached_ && transport_closed() && in_flight() == 0) delete this;
  }

  void PumpOnce() {
    // Drops the core may make only once no receive is in flight.
    if (!recv_.pending) {
      if (abort_requested_ && !flow_.IsFinished()) flow_.Abort();
      if (timeout_due_) {
        timeout_due_ = false;
        flow_.HandleTimeout(loop_.Now());
      }
    }
    if (Accepting() && !timeout_due_) {
      StartSend();
      StartReceive();
    }
    if ((abort_requested_ || timeout_due_ || flow_.IsFinished()) &&
        in_flight() > 0 && !cancelled_) {
      CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), nullptr);
      cancelled_ = true;
    }
    while (on_event_) {
      std::optional<FlowEvent> event = flow_.PollEvent();
      if (!event.has_value()) break;
      EventCallback callback = on_event_;  // it may destroy the handle
      callback(*event);
    }
    if (flow_.IsFinished() && in_flight() == 0 && socket_.valid()) {
      CloseTransport();
    }
  }

  void StartSend() {
    if (send_.pending) return;
    absl::string_view spans[kMaxSendBuffers];
    size_t count = flow_.PeekTransmit(absl::MakeSpan(spans));
    if (count == 0) {
      if (flow_.PollShutdownWrite() &&
          shutdown(socket_.get(), SD_SEND) != 0) {
        flow_.HandleTransportError(LastWinsockStatus("shutdown(SD_SEND)"));
      }
      return;
    }
    for (size_t i = 0; i < count; ++i) {
      buffers_[i].buf = const_cast<char*>(spans[i].data());
      buffers_[i].len = static_cast<ULONG>(spans[i].size());
    }
    send_.Start();
    if (WSASend(socket_.get(), buffers_, static_cast<DWORD>(count), nullptr, 0,
                &send_.overlapped, nullptr) != 0) {
      int error = WSAGetLastError();
      if (error != WSA_IO_PENDING) {
        send_.pending = false;
        flow_.HandleTransportError(WinsockStatus(error, "WSASend"));
      }
    }
    // Success or pending: the completion arrives through the port either way.
  }

  void StartReceive() {
    if (recv_.pending || transport_eof_ || !flow_.WantsRead()) return;
    absl::Span<char> space = flow_.ReceiveSpace();
    if (space.empty()) return;
    WSABUF buffer;
    buffer.buf = space.data();
    buffer.len = static_cast<ULONG>(std::min<size_t>(space.size(), 1u << 30));
    DWORD flags = 0;
    recv_.Start();
    if (WSARecv(socket_.get(), &buffer, 1, nullptr, &flags, &recv_.overlapped,
                nullptr) != 0) {
      int error = WSAGetLastError();
      if (error != WSA_IO_PENDING) {
        recv_.pending = false;
        flow_.CommitReceived(0);
        flow_.HandleTransportError(WinsockStatus(error, "WSARecv"));
      }
    }
  }

  void CloseTransport() {
    if (flow_.state() == FlowState::kClosed) {
      socket_.reset();
    } else {
      CloseWithReset(socket_);
    }
    if (attached_) {
      loop_.Detach(send_.socket);
      attached_ = false;
    }
    loop_.UnwatchDeadline(this);
  }

  IoLoop& loop_;
  UniqueSocket socket_;
  Flow flow_;
  EventCallback on_event_;
  IoOperation send_;
  IoOperation recv_;
  WSABUF buffers_[kMaxSendBuffers] = {};
  bool attached_ = false;
  bool detached_ = false;
  bool abort_requested_ = false;
  bool timeout_due_ = false;
  bool transport_eof_ = false;
  bool cancelled_ = false;
  bool pumping_ = false;
  bool pump_again_ = false;
};

absl::StatusOr<std::unique_ptr<WinsockFlow>> WinsockFlow::Create(
    IoLoop& loop, UniqueSocket socket, const FlowOptions& options,
    EventCallback on_event) {
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
  return std::unique_ptr<WinsockFlow>(new WinsockFlow(driver));
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
