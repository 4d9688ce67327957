#include "backends/posix/async_connector.h"

#include <optional>
#include <utility>
#include <variant>

#include "backends/posix/connect_attempt.h"

namespace hvsock {
namespace internal {

// One connect on a loop: at most one attempt at a time, waited for with an
// FdWatch and a deadline timer, or one step timer pending (the next
// attempt after a backoff, or a result known at once and delivered from
// the loop).
//
// Finish() may destroy this object through the callback: it touches no
// member after calling it, and neither do its callers after Finish().
class AsyncConnect {
 public:
  AsyncConnect(EventLoop& loop, ConnectCallback done)
      : loop_(loop), done_(std::move(done)) {}
  ~AsyncConnect() { StopWaiting(); }  // then the timers cancel, fd_ closes

  AsyncConnect(const AsyncConnect&) = delete;
  AsyncConnect& operator=(const AsyncConnect&) = delete;

  void Start(const Address& address, const ConnectOptions& options) {
    absl::StatusOr<ConnectPolicy> policy =
        ConnectPolicy::Create(address, options, loop_.Now());
    if (!policy.ok()) {
      FinishLater(policy.status());
      return;
    }
    policy_.emplace(*std::move(policy));
    Attempt();
  }

  bool finished() const { return finished_; }

 private:
  void Attempt() {
    policy_->AttemptStarted();
    absl::Time now = loop_.Now();
    const absl::Time attempt_deadline = policy_->AttemptDeadline(now);
    absl::StatusOr<ConnectAttempt> attempt =
        StartConnectAttempt(policy_->socket_address(), now, attempt_deadline);
    if (!attempt.ok()) {
      FinishLater(policy_->Annotate(attempt.status()));
      return;
    }
    fd_ = std::move(attempt->fd);
    if (!attempt->in_progress) {
      int error = attempt->connected ? 0 : attempt->error;
      step_ = loop_.AddTimer(now, [this, error] { AttemptEnded(error); });
      return;
    }
    absl::StatusOr<FdWatch*> watch = loop_.Watch(
        fd_.get(), Readiness::kWritable,
        [this](Readiness) { AttemptEnded(ConnectAttemptResult(fd_.get())); });
    if (!watch.ok()) {
      FinishLater(policy_->Annotate(watch.status()));
      return;
    }
    watch_ = *watch;
    deadline_ =
        loop_.AddTimer(attempt_deadline, [this] { AttemptEnded(ETIMEDOUT); });
  }

  // The current attempt ended: 0 for connected, else an errno (ETIMEDOUT
  // for the deadline).
  void AttemptEnded(int error) {
    StopWaiting();
    if (error == 0) {
      Finish(std::move(fd_));
      return;
    }
    fd_.reset();
    std::variant<absl::Status, absl::Time> next =
        policy_->AttemptFailed(error, loop_.Now());
    if (auto* final_status = std::get_if<absl::Status>(&next)) {
      Finish(std::move(*final_status));
      return;
    }
    step_ = loop_.AddTimer(std::get<absl::Time>(next), [this] { Attempt(); });
  }

  void StopWaiting() {
    if (watch_ != nullptr) std::exchange(watch_, nullptr)->Release();
    deadline_.Cancel();
  }

  // Delivers a result known inside ConnectAsync() or an attempt's start
  // from the loop instead.
  void FinishLater(absl::Status status) {
    fd_.reset();
    step_ = loop_.AddTimer(
        loop_.Now(), [this, status = std::move(status)] { Finish(status); });
  }

  void Finish(absl::StatusOr<UniqueFd> result) {
    finished_ = true;
    StopWaiting();
    step_.Cancel();
    ConnectCallback done = std::move(done_);
    if (done) done(std::move(result));  // may destroy *this
  }

  EventLoop& loop_;
  ConnectCallback done_;
  std::optional<ConnectPolicy> policy_;
  bool finished_ = false;
  UniqueFd fd_;               // the current attempt's socket
  FdWatch* watch_ = nullptr;  // while an attempt is in progress
  LoopTimer deadline_;        // while an attempt is in progress
  LoopTimer step_;
};

}  // namespace internal

PendingConnect::PendingConnect() = default;
PendingConnect::PendingConnect(PendingConnect&&) noexcept = default;
PendingConnect& PendingConnect::operator=(PendingConnect&& other) noexcept {
  if (this != &other) {
    Cancel();
    connect_ = std::move(other.connect_);
  }
  return *this;
}
PendingConnect::~PendingConnect() { Cancel(); }

PendingConnect::PendingConnect(std::unique_ptr<internal::AsyncConnect> connect)
    : connect_(std::move(connect)) {}

void PendingConnect::Cancel() { connect_.reset(); }

bool PendingConnect::pending() const {
  return connect_ != nullptr && !connect_->finished();
}

PendingConnect ConnectAsync(EventLoop& loop, const Address& address,
                            const ConnectOptions& options,
                            ConnectCallback done) {
  auto connect =
      std::make_unique<internal::AsyncConnect>(loop, std::move(done));
  connect->Start(address, options);
  return PendingConnect(std::move(connect));
}

}  // namespace hvsock
