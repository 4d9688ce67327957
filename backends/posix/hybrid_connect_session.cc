#include "backends/posix/hybrid_connect_session.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/posix/connect_attempt.h"

namespace hvsock::internal {
namespace {

// Reply bytes peeked at per recv(): the longest reply line the handshake
// accepts. Only the bytes it consumes are then taken from the socket, so
// stream bytes after the OK line stay there for the flow.
constexpr size_t kReplyPeekSize = ConnectHandshake::kMaxReplyBytes;

bool IsHybridVsock(const VmmSocketAddress& address) {
  return std::holds_alternative<HybridVsockAddress>(address);
}

}  // namespace

absl::StatusOr<VmmConnectSession> VmmConnectSession::Create(
    const VmmSocketAddress& address, const ConnectOptions& options,
    absl::Time now) {
  std::string uri = FormatVmmSocketUri(address);
  if (options.timeout <= absl::ZeroDuration() ||
      options.timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("connect ", uri,
                     ": the timeout must be positive and "
                     "finite (got ",
                     absl::FormatDuration(options.timeout), ")"));
  }
  absl::StatusOr<SocketAddress> socket =
      SocketAddress::From(VmmConnectSocket(address));
  if (!socket.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("connect ", uri, ": ", socket.status().message()));
  }
  return VmmConnectSession(address, std::move(uri), *socket, options, now);
}

VmmConnectSession::VmmConnectSession(const VmmSocketAddress& address,
                                     std::string uri, SocketAddress socket,
                                     const ConnectOptions& options,
                                     absl::Time now)
    : address_(address),
      uri_(std::move(uri)),
      socket_path_(VmmConnectSocket(address).path),
      socket_(socket),
      options_(options),
      deadline_(now + options.timeout),
      backoff_(std::max(options.initial_backoff, absl::Milliseconds(1))),
      retry_at_(now) {}

void VmmConnectSession::Step(absl::Time now, Readiness ready) {
  retired_.clear();
  while (!finished()) {
    switch (phase_) {
      case Phase::kBackoff:
        if (now < retry_at_) {
          wait_ = Wait{-1, Readiness::kNone, retry_at_};
          return;
        }
        if (attempts_ > 0 && now >= deadline_) {
          GiveUp();
          return;
        }
        StartAttempt(now);
        break;
      case Phase::kConnecting:
        if (Any(ready & (Readiness::kWritable | Readiness::kError))) {
          int error = ConnectAttemptResult(fd_.get());
          if (error == 0) {
            BeginHandshake(now);
          } else {
            ConnectFailed(error, now);
          }
          break;
        }
        if (now >= deadline_) {
          Retire();
          Finish(absl::DeadlineExceededError(
              absl::StrCat("connect ", uri_, ": timed out after ",
                           absl::FormatDuration(options_.timeout),
                           " connecting to the VMM socket ", socket_path_)));
          return;
        }
        wait_ = Wait{fd_.get(), Readiness::kWritable, deadline_};
        return;
      case Phase::kHandshaking:
        Exchange(now);
        if (phase_ == Phase::kHandshaking && !finished()) return;
        break;
    }
    ready = Readiness::kNone;
  }
}

void VmmConnectSession::StartAttempt(absl::Time now) {
  ++attempts_;
  absl::StatusOr<ConnectAttempt> attempt =
      StartConnectAttempt(socket_, now, deadline_);
  if (!attempt.ok()) {
    Finish(absl::Status(
        attempt.status().code(),
        absl::StrCat("connect ", uri_, ": ", attempt.status().message())));
    return;
  }
  fd_ = std::move(attempt->fd);
  if (attempt->connected) {
    BeginHandshake(now);
  } else if (attempt->in_progress) {
    phase_ = Phase::kConnecting;
  } else {
    ConnectFailed(attempt->error, now);
  }
}

void VmmConnectSession::BeginHandshake(absl::Time now) {
  if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address_)) {
    handshake_ = ConnectHandshake::HybridVsock(hybrid->port, deadline_);
  } else {
    const HyperkitAddress& hyperkit = std::get<HyperkitAddress>(address_);
    handshake_ = ConnectHandshake::Hyperkit(hyperkit.guest_cid, hyperkit.port,
                                            deadline_);
  }
  phase_ = Phase::kHandshaking;
  Exchange(now);
}

void VmmConnectSession::Exchange(absl::Time now) {
  ConnectHandshake& handshake = *handshake_;
  // The request, in one send() where the socket allows (Firecracker drops
  // a connection whose CONNECT line comes in pieces).
  while (!handshake.PeekTransmit().empty() && !handshake.failed()) {
    absl::string_view request = handshake.PeekTransmit();
    ssize_t sent = ::send(fd_.get(), request.data(), request.size(),
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      handshake.ConsumeTransmitted(static_cast<size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      handshake.HandleTransportReset();
    }
  }
  while (handshake.WantsRead()) {
    char buffer[kReplyPeekSize];
    ssize_t n =
        ::recv(fd_.get(), buffer, sizeof(buffer), MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) {
      size_t consumed = handshake.HandleReceived(
          absl::string_view(buffer, static_cast<size_t>(n)));
      // Take exactly the reply bytes; they are in the socket already.
      ssize_t taken = ::recv(fd_.get(), buffer, consumed, MSG_DONTWAIT);
      if (consumed == 0) break;  // cannot happen while the reply is awaited
      if (taken != static_cast<ssize_t>(consumed)) {
        handshake.HandleTransportReset();
      }
    } else if (n == 0) {
      handshake.HandleTransportEof();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      handshake.HandleTransportReset();
    }
  }
  handshake.HandleTimeout(now);
  if (handshake.established()) {
    VmmConnection connection;
    connection.fd = std::move(fd_);
    connection.reply = handshake.reply();
    Finish(std::move(connection));
    return;
  }
  if (handshake.failed()) {
    HandshakeEnded(now);
    return;
  }
  wait_ = Wait{fd_.get(),
               handshake.PeekTransmit().empty() ? Readiness::kReadable
                                                : Readiness::kWritable,
               deadline_};
}

void VmmConnectSession::ConnectFailed(int error, absl::Time now) {
  Retire();
  switch (error) {
    case ENOENT:
      AttemptFailed(absl::StatusCode::kNotFound,
                    absl::StrCat("no VMM socket at ", socket_path_,
                                 " (is the VMM running?)"),
                    /*refusal=*/"", options_.retry_refused, now);
      return;
    case ECONNREFUSED:
      AttemptFailed(
          absl::StatusCode::kUnavailable,
          absl::StrCat("nothing listens on the VMM socket ", socket_path_),
          /*refusal=*/"", options_.retry_refused, now);
      return;
    case EAGAIN:
      AttemptFailed(
          absl::StatusCode::kUnavailable,
          absl::StrCat("the VMM socket ", socket_path_, " has a full backlog"),
          /*refusal=*/"", /*retryable=*/true, now);
      return;
    default:
      Finish(PosixError(error, absl::StrCat("connect ", uri_,
                                            ": connecting to the VMM socket ",
                                            socket_path_)));
  }
}

void VmmConnectSession::HandshakeEnded(absl::Time now) {
  const absl::Status error = handshake_->error();
  const std::optional<HandshakeErrorKind> kind = handshake_->error_kind();
  const absl::string_view refusal = handshake_->refusal();
  Retire();
  if (kind == HandshakeErrorKind::kRefused) {
    AttemptFailed(error.code(), std::string(error.message()), refusal,
                  options_.retry_refused, now);
    return;
  }
  if (kind == HandshakeErrorKind::kTimeout) {
    Finish(absl::DeadlineExceededError(absl::StrCat(
        "connect ", uri_, ": ", error.message(), "; the connect timeout is ",
        absl::FormatDuration(options_.timeout))));
    return;
  }
  Finish(absl::Status(error.code(),
                      absl::StrCat("connect ", uri_, ": ", error.message())));
}

void VmmConnectSession::AttemptFailed(absl::StatusCode code, std::string reason,
                                      absl::string_view refusal, bool retryable,
                                      absl::Time now) {
  last_refusal_ = refusal;
  last_code_ = code;
  last_reason_ = std::move(reason);
  if (!retryable) {
    Finish(
        absl::Status(code, absl::StrCat("connect ", uri_, ": ", last_reason_)));
    return;
  }
  if (now >= deadline_) {
    GiveUp();
    return;
  }
  if (options_.on_retry) {
    options_.on_retry(
        attempts_,
        absl::Status(code, absl::StrCat("connect ", uri_, ": ", last_reason_)));
  }
  retry_at_ = std::min(now + backoff_, deadline_);
  backoff_ = std::min(backoff_ * 2, std::max(options_.max_backoff, backoff_));
  phase_ = Phase::kBackoff;
}

void VmmConnectSession::GiveUp() {
  std::string tally =
      absl::StrCat(attempts_, attempts_ == 1 ? " attempt" : " attempts", " in ",
                   absl::FormatDuration(options_.timeout));
  if (!last_refusal_.empty() && IsHybridVsock(address_)) {
    Finish(absl::Status(
        last_code_,
        absl::StrCat("connect ", uri_, ": ",
                     HybridVsockRefusedMessage(
                         std::get<HybridVsockAddress>(address_).port,
                         absl::StrCat(last_refusal_, "; ", tally)))));
    return;
  }
  Finish(absl::Status(
      last_code_,
      absl::StrCat("connect ", uri_, ": ", last_reason_, " (", tally, ")")));
}

void VmmConnectSession::Finish(absl::StatusOr<VmmConnection> result) {
  if (fd_.valid()) Retire();
  wait_ = Wait{};
  result_.emplace(std::move(result));
}

void VmmConnectSession::Retire() {
  if (fd_.valid()) retired_.push_back(std::move(fd_));
  handshake_.reset();
}

absl::StatusOr<VmmConnection> VmmConnectSession::TakeResult() {
  return std::move(*result_);
}

}  // namespace hvsock::internal
