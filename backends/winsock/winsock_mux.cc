#include "backends/winsock/winsock_mux.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "backends/winsock/winsock_error.h"
#include "backends/winsock/winsock_overlapped_socket.h"

namespace hvsock {
namespace {

// Times on_news is called in one pass of the driver: news raised by the
// application's own reaction waits for the loop's next pass beyond that.
constexpr int kNewsRounds = 4;

}  // namespace

class IocpMux::Driver : public DeadlineWatcher {
 public:
  Driver(IoLoop& loop, UniqueSocket socket, std::unique_ptr<MuxConnection> mux,
         NewsCallback on_news)
      : loop_(loop), socket_(loop, std::move(socket)), mux_(std::move(mux)) {
    if (on_news) on_news_ = std::make_shared<NewsCallback>(std::move(on_news));
    socket_.Bind<&Driver::OnSendDone, &Driver::OnRecvDone>(this);
  }

  absl::Status Start() {
    if (absl::Status attached = socket_.Attach(); !attached.ok()) {
      return attached;
    }
    loop_.WatchDeadline(this);
    Kick();  // the preamble leaves, the first receive is posted
    return absl::OkStatus();
  }

  void set_handle(IocpMux* handle) { handle_ = handle; }

  // The handle is gone: cancel, close, and free once nothing is in flight.
  void Detach() {
    on_news_ = nullptr;
    handle_ = nullptr;
    detached_ = true;
    Pump();  // may delete this
  }

  // Starts the IO commands made necessary; their news waits for the loop.
  void Kick() {
    in_command_ = true;
    Pump();
    in_command_ = false;
    if (mux_->HasChannelNews()) news_due_ = true;
  }

  IoLoop& loop() { return loop_; }
  MuxConnection& mux() { return *mux_; }
  bool closed() const { return !socket_.valid(); }
  int in_flight() const { return socket_.in_flight(); }
  const IocpMuxStats& stats() const { return stats_; }

  // DeadlineWatcher: the connection's next deadline, or "now" while news
  // waits for the loop to deliver it.
  std::optional<absl::Time> NextDeadline() const override {
    if (news_due_ && on_news_ != nullptr) return absl::InfinitePast();
    if (!socket_.valid()) return std::nullopt;
    return mux_->NextDeadline();
  }
  void OnDeadline(absl::Time now) override {
    mux_->HandleTimeout(now);
    news_due_ = true;
    Pump();  // may delete this (detached)
  }

 private:
  void OnSendDone(DWORD bytes, int error) {
    mux_->HandleTimeout(loop_.Now());
    // A send cancelled because the connection failed or the handle went
    // reports nothing more: the connection already knows.
    if (!mux_->IsFinished() && error != WSA_OPERATION_ABORTED) {
      if (error != 0) {
        mux_->HandleTransportError(WinsockStatus(error, "WSASend"));
      } else {
        ++stats_.sends;
        if (bytes < socket_.last_send_offered()) ++stats_.short_sends;
        mux_->ConsumeTransmitted(bytes);  // the rest goes in the next send
      }
    }
    news_due_ = true;
    Pump();  // may delete this
  }

  void OnRecvDone(DWORD bytes, int error) {
    mux_->HandleTimeout(loop_.Now());
    if (error == 0 && bytes > 0) {
      ++stats_.receives;
      mux_->CommitReceived(bytes);
    } else {
      // Every lending of ReceiveSpaces ends with a commit, of 0 bytes here.
      mux_->CommitReceived(0);
      if (!mux_->IsFinished() && error != WSA_OPERATION_ABORTED) {
        if (error != 0) {
          mux_->HandleTransportError(WinsockStatus(error, "WSARecv"));
        } else {
          transport_eof_ = true;
          mux_->HandleTransportEof();
        }
      }
    }
    news_due_ = true;
    Pump();  // may delete this
  }

  // Starts the IO the connection needs and delivers its news (never inside
  // a command). Re-entrant calls (Kick() from on_news) are folded into the
  // running one.
  void Pump() {
    if (pumping_) {
      pump_again_ = true;
      return;
    }
    pumping_ = true;
    int news_rounds = 0;
    do {
      pump_again_ = false;
      PumpOnce(news_rounds);
    } while (pump_again_);
    pumping_ = false;
    if (detached_ && !socket_.valid() && in_flight() == 0) {
      loop_.UnwatchDeadline(this);
      delete this;
    }
  }

  void PumpOnce(int& news_rounds) {
    if (!mux_->IsFinished() && !detached_) {
      StartReceive();
      StartSend();
    }
    const bool ending = mux_->IsFinished() || detached_;
    if (ending) socket_.CancelInFlight();
    if (news_due_ && !in_command_ && on_news_ != nullptr &&
        handle_ != nullptr && news_rounds < kNewsRounds) {
      ++news_rounds;
      news_due_ = false;
      // The callback may destroy the handle (and so Detach this driver):
      // hold the callable while it runs.
      std::shared_ptr<NewsCallback> callback = on_news_;
      (*callback)(*handle_);
      // Start the IO of its commands; news they raised (a close completing
      // as its Shutdown leaves) goes to the application again.
      if (mux_->HasChannelNews()) news_due_ = true;
      pump_again_ = true;
    }
    if (ending && in_flight() == 0 && socket_.valid()) {
      CloseTransport();
    }
  }

  void StartReceive() {
    if (socket_.receive_pending() || transport_eof_ || !mux_->WantsRead()) {
      return;
    }
    absl::Span<char> spaces[OverlappedSocket::kMaxReceiveSpaces];
    const size_t count = mux_->ReceiveSpaces(absl::MakeSpan(spaces));
    size_t lent = 0;
    for (size_t i = 0; i < count; ++i) lent += spaces[i].size();
    if (lent == 0) {  // a zero-byte receive would read as the end
      mux_->CommitReceived(0);
      return;
    }
    if (absl::Status started = socket_.Receive(absl::MakeSpan(spaces, count));
        !started.ok()) {
      mux_->CommitReceived(0);
      mux_->HandleTransportError(started);
      news_due_ = true;
    }
  }

  void StartSend() {
    if (socket_.send_pending() || mux_->IsFinished()) return;
    absl::string_view spans[OverlappedSocket::kMaxSendSpans];
    const size_t count = mux_->PeekTransmit(absl::MakeSpan(spans));
    if (count == 0) return;
    if (absl::Status started = socket_.Send(absl::MakeSpan(spans, count));
        !started.ok()) {
      mux_->HandleTransportError(started);
      news_due_ = true;
    }
  }

  // Once nothing is in flight: the kernel no longer holds the
  // connection's buffers. A failed connection's socket is reset; one whose
  // handle went while it was healthy is closed gracefully.
  void CloseTransport() { socket_.Close(/*reset=*/mux_->IsFinished()); }

  IoLoop& loop_;
  OverlappedSocket socket_;
  std::unique_ptr<MuxConnection> mux_;
  std::shared_ptr<NewsCallback> on_news_;  // empty: no callback
  IocpMux* handle_ = nullptr;              // what the callback is given
  IocpMuxStats stats_;
  bool detached_ = false;
  bool transport_eof_ = false;
  bool in_command_ = false;  // news waits: never delivered in a command
  bool news_due_ = false;    // on_news is owed a call
  bool pumping_ = false;
  bool pump_again_ = false;
};

absl::StatusOr<std::unique_ptr<IocpMux>> IocpMux::Create(
    IoLoop& loop, UniqueSocket socket, const MuxOptions& options,
    NewsCallback on_news) {
  absl::StatusOr<std::unique_ptr<MuxConnection>> mux =
      MuxConnection::Create(options);
  if (!mux.ok()) return mux.status();
  if (!socket.valid()) {
    return absl::InvalidArgumentError("IocpMux needs a connected socket");
  }
  auto* driver =
      new Driver(loop, std::move(socket), *std::move(mux), std::move(on_news));
  if (absl::Status started = driver->Start(); !started.ok()) {
    delete driver;
    return started;
  }
  auto handle = std::unique_ptr<IocpMux>(new IocpMux(driver));
  driver->set_handle(handle.get());
  return handle;
}

IocpMux::~IocpMux() { driver_->Detach(); }

MuxConnection& IocpMux::mux() { return driver_->mux(); }
void IocpMux::Kick() { driver_->Kick(); }
absl::Time IocpMux::Now() { return driver_->loop().Now(); }
bool IocpMux::closed() const { return driver_->closed(); }
int IocpMux::operations_in_flight() const { return driver_->in_flight(); }
const IocpMuxStats& IocpMux::stats() const { return driver_->stats(); }

}  // namespace hvsock
