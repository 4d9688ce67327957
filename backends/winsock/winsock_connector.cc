#include "backends/winsock/winsock_connector.h"

#include <utility>
#include <variant>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "backends/retry_policy.h"
#include "backends/winsock/winsock_error.h"

namespace hvsock {
namespace {

// A Winsock error in the shared words of ConnectRetryPolicy. The system's
// own attempt timeout (before ours) means nobody answered: unreachable.
ConnectFailure FailureOf(int error) {
  switch (error) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
      return ConnectFailure::kRefused;
    case WSAENETUNREACH:
    case WSAEHOSTUNREACH:
    case ERROR_NETWORK_UNREACHABLE:
    case ERROR_HOST_UNREACHABLE:
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return ConnectFailure::kUnreachable;
    default:
      return ConnectFailure::kOther;
  }
}

// `status` with the Winsock error payload of `from` (WinsockErrorCode).
absl::Status WithPayloads(absl::Status status, const absl::Status& from) {
  from.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    status.SetPayload(url, payload);
  });
  return status;
}

}  // namespace

class WinsockConnector::Attempts : public DeadlineWatcher {
 public:
  Attempts(IoLoop& loop, const SocketAddress& remote, ConnectRetryPolicy policy,
           ConnectCallback on_done)
      : loop_(loop),
        remote_(remote),
        policy_(std::move(policy)),
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

  int attempts_made() const { return policy_.attempts(); }
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
    policy_.AttemptStarted();
    timed_out_ = false;
    absl::StatusOr<UniqueSocket> socket = OpenStreamSocket(remote_.family());
    if (!socket.ok()) {
      Fail(policy_.Annotate(socket.status()));
      return;
    }
    socket_ = std::move(*socket);
    SocketAddress wildcard = remote_.Wildcard();
    if (bind(socket_.get(), wildcard.get(), wildcard.length()) != 0) {
      Fail(
          policy_.Annotate(LastWinsockStatus("binding the connecting socket")));
      return;
    }
    if (absl::Status attached = loop_.Attach(socket_.get()); !attached.ok()) {
      socket_.reset();
      Fail(policy_.Annotate(attached));
      return;
    }
    op_.socket = socket_.get();
    op_.Start();
    attempt_deadline_ = policy_.AttemptDeadline(loop_.Now());
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
    if (error != 0) {
      AttemptFailed(error);
      return;
    }
    if (setsockopt(socket_.get(), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT,
                   nullptr, 0) != 0) {
      absl::Status status = LastWinsockStatus("SO_UPDATE_CONNECT_CONTEXT");
      DropSocket();
      Fail(policy_.Annotate(status));
      return;
    }
    done_ = true;
    Report(std::move(socket_));
  }

  void AttemptFailed(int error) {
    DropSocket();
    const bool ours = timed_out_ && error == WSA_OPERATION_ABORTED;
    absl::Status winsock = WinsockStatus(error, "ConnectEx");
    std::variant<absl::Status, absl::Time> next = policy_.AttemptFailed(
        ours ? ConnectFailure::kTimedOut : FailureOf(error), loop_.Now(),
        winsock);
    if (absl::Time* retry_at = std::get_if<absl::Time>(&next)) {
      retry_at_ = *retry_at;
      return;
    }
    absl::Status status = std::get<absl::Status>(std::move(next));
    Fail(ours ? status : WithPayloads(std::move(status), winsock));
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
  ConnectRetryPolicy policy_;
  absl::Time attempt_deadline_ = absl::InfiniteFuture();
  ConnectCallback on_done_;
  LPFN_CONNECTEX connect_ex_ = nullptr;
  IoOperation op_;
  UniqueSocket socket_;
  std::optional<absl::Time> retry_at_;
  bool timed_out_ = false;
  bool done_ = false;
  bool detached_ = false;
  bool watching_ = false;
};

absl::StatusOr<std::unique_ptr<WinsockConnector>> WinsockConnector::Connect(
    IoLoop& loop, const SocketAddress& remote, const ConnectOptions& options,
    ConnectCallback on_done) {
  absl::StatusOr<ConnectRetryPolicy> policy =
      ConnectRetryPolicy::Create(remote.ToString(), options, loop.Now());
  if (!policy.ok()) return policy.status();
  auto* attempts =
      new Attempts(loop, remote, *std::move(policy), std::move(on_done));
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
