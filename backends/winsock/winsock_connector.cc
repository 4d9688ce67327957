#include "backends/winsock/winsock_connector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {
namespace {

bool Retryable(int error) {
  switch (error) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
    case WSAENETUNREACH:
    case WSAEHOSTUNREACH:
    case ERROR_NETWORK_UNREACHABLE:
    case ERROR_HOST_UNREACHABLE:
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

class WinsockConnector::Attempts : public DeadlineWatcher {
 public:
  Attempts(IoLoop& loop, const SocketAddress& remote,
           const WinsockConnectOptions& options, ConnectCallback on_done)
      : loop_(loop), remote_(remote), options_(options),
        on_done_(std::move(on_done)) {
    op_.owner = this;
    op_.on_complete = &Attempts::Done;
  }

  // Returns an error only for a failure before the first ConnectEx.
  absl::Status Start() {
    absl::StatusOr<UniqueSocket> probe = OpenStreamSocket(remote_.family());
    if (!probe.ok()) return probe.status();
    absl::StatusOr<WinsockExtensions> extensions =
        LoadWinsockExtensions(probe->get());
    if (!extensions.ok()) return extensions.status();
    connect_ex_ = extensions->connect_ex;
    loop_.WatchDeadline(this);
    watching_ = true;
    StartAttempt();
    return absl::OkStatus();
  }

  void Detach() {
    detached_ = true;
    on_done_ = nullptr;
    if (op_.pending) {
      CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), &op_.overlapped);
      return;  // Done() finishes the job
    }
    Finish();
  }

  int attempts_made() const { return attempts_made_; }
  bool done() const { return done_; }

  // DeadlineWatcher
  std::optional<absl::Time> NextDeadline() const override {
    if (done_ || detached_) return std::nullopt;
    if (op_.pending && !timed_out_) return attempt_deadline_;
    if (!op_.pending && retry_at_.has_value()) return retry_at_;
    return std::nullopt;
  }
  void OnDeadline(absl::Time now) override {
    if (op_.pending && !timed_out_ && now >= attempt_deadline_) {
      timed_out_ = true;
      CancelIoEx(reinterpret_cast<HANDLE>(socket_.get()), &op_.overlapped);
    } else if (!op_.pending && retry_at_.has_value() && now >= *retry_at_) {
      retry_at_.reset();
      StartAttempt();
    }
  }

 private:
  static void Done(IoOperation* op, DWORD, int error) {
    static_cast<Attempts*>(op->owner)->OnConnected(error);
  }

  void Finish() {
    DropSocket();
    if (watching_) loop_.UnwatchDeadline(this);
    delete this;
  }

  void DropSocket() {
    if (!socket_.valid()) return;
    loop_.Detach(socket_.get());
    socket_.reset();
  }

  void StartAttempt() {
    ++attempts_made_;
    timed_out_ = false;
    absl::StatusOr<UniqueSocket> socket = OpenStreamSocket(remote_.family());
    if (!socket.ok()) {
      Fail(socket.status());
      return;
    }
    socket_ = std::move(*socket);
    SocketAddress wildcard = remote_.Wildcard();
    if (bind(socket_.get(), wildcard.get(), wildcard.length()) != 0) {
      Fail(LastWinsockStatus("binding the connecting socket"));
      return;
    }
    if (absl::Status attached = loop_.Attach(socket_.get()); !attached.ok()) {
      socket_.reset();
      Fail(attached);
      return;
    }
    op_.socket = socket_.get();
    op_.Start();
    attempt_deadline_ = loop_.Now() + options_.timeout;
    if (connect_ex_(socket_.get(), remote_.get(), remote_.length(), nullptr, 0,
                    nullptr, &op_.overlapped)) {
      return;  // completed at once; the completion still arrives
    }
    int error = WSAGetLastError();
    if (error == WSA_IO_PENDING) return;
    op_.pending = false;
    AttemptFailed(error);
  }

  void OnConnected(int error) {
    if (detached_) {
      Finish();
      return;
    }
    if (timed_out_ && error == WSA_OPERATION_ABORTED) error = WSAETIMEDOUT;
    if (error != 0) {
      AttemptFailed(error);
      return;
    }
    if (setsockopt(socket_.get(), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT,
                   nullptr, 0) != 0) {
      absl::Status status = LastWinsockStatus("SO_UPDATE_CONNECT_CONTEXT");
      DropSocket();
      Fail(status);
      return;
    }
    done_ = true;
    Report(std::move(socket_));
  }

  void AttemptFailed(int error) {
    DropSocket();
    if (Retryable(error) && attempts_made_ < options_.attempts) {
      retry_at_ = loop_.Now() + options_.retry_delay;
      return;
    }
    absl::Status last = WinsockStatus(
        error, absl::StrFormat("connect to %s (attempt %d of %d%s)",
                               remote_.ToString(), attempts_made_,
                               options_.attempts,
                               error == WSAETIMEDOUT && timed_out_
                                   ? absl::StrCat(", timed out after ",
                                                  absl::FormatDuration(
                                                      options_.timeout))
                                   : ""));
    Fail(last);
  }

  void Fail(const absl::Status& status) {
    done_ = true;
    Report(status);
  }

  void Report(absl::StatusOr<UniqueSocket> result) {
    if (!on_done_) return;
    ConnectCallback callback = std::move(on_done_);
    on_done_ = nullptr;
    callback(std::move(result));
  }

  IoLoop& loop_;
  SocketAddress remote_;
  WinsockConnectOptions options_;
  ConnectCallback on_done_;
  LPFN_CONNECTEX connect_ex_ = nullptr;
  IoOperation op_;
  UniqueSocket socket_;
  absl::Time attempt_deadline_ = absl::InfiniteFuture();
  std::optional<absl::Time> retry_at_;
  int attempts_made_ = 0;
  bool timed_out_ = false;
  bool done_ = false;
  bool detached_ = false;
  bool watching_ = false;
};

absl::StatusOr<std::unique_ptr<WinsockConnector>> WinsockConnector::Connect(
    IoLoop& loop, const SocketAddress& remote,
    const WinsockConnectOptions& options, ConnectCallback on_done) {
  if (options.timeout <= absl::ZeroDuration() ||
      options.timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect to ", remote.ToString(),
        ": a positive, finite timeout is required (got ",
        absl::FormatDuration(options.timeout), ")"));
  }
  if (options.attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect to ", remote.ToString(), ": attempts must be at least 1 (got ",
        options.attempts, ")"));
  }
  auto* attempts = new Attempts(loop, remote, options, std::move(on_done));
  if (absl::Status started = attempts->Start(); !started.ok()) {
    delete attempts;
    return started;
  }
  return std::unique_ptr<WinsockConnector>(new WinsockConnector(attempts));
}

WinsockConnector::~WinsockConnector() { attempts_->Detach(); }

int WinsockConnector::attempts_made() const {
  return attempts_->attempts_made();
}
bool WinsockConnector::done() const { return attempts_->done(); }

}  // namespace hvsock
