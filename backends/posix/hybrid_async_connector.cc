#include "backends/posix/hybrid_async_connector.h"

#include <optional>
#include <utility>

#include "backends/posix/hybrid_connect_session.h"

namespace hvsock {
namespace internal {

// One VMM connect on a loop: the session's socket watched with an FdWatch
// (re-made when the session moves to another attempt's socket) and one
// timer for the session's next time.
//
// Finish() may destroy this object through the callback: nothing touches a
// member after calling it.
class AsyncVmmConnect {
 public:
  AsyncVmmConnect(EventLoop& loop, VmmConnectCallback done)
      : loop_(loop), done_(std::move(done)) {}
  ~AsyncVmmConnect() { StopWatching(); }  // then the timer cancels

  AsyncVmmConnect(const AsyncVmmConnect&) = delete;
  AsyncVmmConnect& operator=(const AsyncVmmConnect&) = delete;

  void Start(const VmmSocketAddress& address, const ConnectOptions& options) {
    absl::StatusOr<VmmConnectSession> session =
        VmmConnectSession::Create(address, options, loop_.Now());
    if (!session.ok()) {
      timer_ = loop_.AddTimer(
          loop_.Now(), [this, status = session.status()] { Finish(status); });
      return;
    }
    session_.emplace(*std::move(session));
    timer_ = loop_.AddTimer(loop_.Now(), [this] { Drive(Readiness::kNone); });
  }

  bool finished() const { return finished_; }

 private:
  void Drive(Readiness ready) {
    session_->Step(loop_.Now(), ready);
    if (session_->finished()) {
      Finish(session_->TakeResult());
      return;
    }
    const VmmConnectSession::Wait& wait = session_->wait();
    if (watch_ != nullptr && watch_->fd() != wait.fd) StopWatching();
    if (wait.fd >= 0 && watch_ == nullptr) {
      absl::StatusOr<FdWatch*> watch = loop_.Watch(
          wait.fd, wait.interest, [this](Readiness r) { Drive(r); });
      if (!watch.ok()) {
        Finish(watch.status());
        return;
      }
      watch_ = *watch;
    } else if (watch_ != nullptr) {
      if (absl::Status s = watch_->SetInterest(wait.interest); !s.ok()) {
        Finish(s);
        return;
      }
    }
    timer_ = loop_.AddTimer(wait.until, [this] { Drive(Readiness::kNone); });
  }

  void StopWatching() {
    if (watch_ != nullptr) std::exchange(watch_, nullptr)->Release();
  }

  void Finish(absl::StatusOr<VmmConnection> result) {
    finished_ = true;
    StopWatching();
    timer_.Cancel();
    VmmConnectCallback done = std::move(done_);
    if (done) done(std::move(result));  // may destroy *this
  }

  EventLoop& loop_;
  VmmConnectCallback done_;
  std::optional<VmmConnectSession> session_;
  bool finished_ = false;
  FdWatch* watch_ = nullptr;
  LoopTimer timer_;
};

}  // namespace internal

PendingVmmConnect::PendingVmmConnect() = default;
PendingVmmConnect::PendingVmmConnect(PendingVmmConnect&&) noexcept = default;
PendingVmmConnect& PendingVmmConnect::operator=(
    PendingVmmConnect&& other) noexcept {
  if (this != &other) {
    Cancel();
    connect_ = std::move(other.connect_);
  }
  return *this;
}
PendingVmmConnect::~PendingVmmConnect() { Cancel(); }

PendingVmmConnect::PendingVmmConnect(
    std::unique_ptr<internal::AsyncVmmConnect> connect)
    : connect_(std::move(connect)) {}

void PendingVmmConnect::Cancel() { connect_.reset(); }

bool PendingVmmConnect::pending() const {
  return connect_ != nullptr && !connect_->finished();
}

PendingVmmConnect ConnectVmmAsync(EventLoop& loop,
                                  const VmmSocketAddress& address,
                                  const ConnectOptions& options,
                                  VmmConnectCallback done) {
  auto connect =
      std::make_unique<internal::AsyncVmmConnect>(loop, std::move(done));
  connect->Start(address, options);
  return PendingVmmConnect(std::move(connect));
}

}  // namespace hvsock
