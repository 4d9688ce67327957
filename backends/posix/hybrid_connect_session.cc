#include "backends/posix/hybrid_connect_session.h"

#include <errno.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/posix/connect_attempt.h"

namespace hvsock::internal {
namespace {

// Reply bytes peeked at per recv(): the longest reply line the handshake
// accepts. Only the bytes it consumes are then taken from the socket, so
// stream bytes after the OK line stay there for the flow.
constexpr size_t kReplyPeekSize = ConnectHandshake::kMaxReplyBytes;

}  // namespace

absl::StatusOr<VmmConnectSession> VmmConnectSession::Create(
    const VmmSocketAddress& address, const ConnectOptions& options,
    absl::Time now) {
  absl::StatusOr<ConnectRetryPolicy> policy =
      ConnectRetryPolicy::Create(FormatVmmSocketUri(address), options, now);
  if (!policy.ok()) return policy.status();
  absl::StatusOr<SocketAddress> socket =
      SocketAddress::From(VmmConnectSocket(address));
  if (!socket.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "connect ", policy->uri(), ": ", socket.status().message()));
  }
  return VmmConnectSession(address, *std::move(policy), *socket, now);
}

VmmConnectSession::VmmConnectSession(const VmmSocketAddress& address,
                                     ConnectRetryPolicy policy,
                                     SocketAddress socket, absl::Time now)
    : address_(address),
      policy_(std::move(policy)),
      socket_path_(VmmConnectSocket(address).path),
      socket_(socket),
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
        if (policy_.attempts() > 0 && now >= policy_.deadline()) {
          Finish(policy_.TimeRanOut());
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
        if (now >= policy_.deadline()) {
          Retire();
          Finish(policy_.Annotate(absl::DeadlineExceededError(absl::StrCat(
              "timed out after ", absl::FormatDuration(policy_.timeout()),
              " connecting to the VMM socket ", socket_path_))));
          return;
        }
        wait_ = Wait{fd_.get(), Readiness::kWritable, policy_.deadline()};
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
  policy_.AttemptStarted();
  absl::StatusOr<ConnectAttempt> attempt =
      StartConnectAttempt(socket_, now, policy_.deadline());
  if (!attempt.ok()) {
    Finish(policy_.Annotate(attempt.status()));
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
    handshake_ =
        ConnectHandshake::HybridVsock(hybrid->port, policy_.deadline());
  } else {
    const HyperkitAddress& hyperkit = std::get<HyperkitAddress>(address_);
    handshake_ = ConnectHandshake::Hyperkit(hyperkit.guest_cid, hyperkit.port,
                                            policy_.deadline());
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
               policy_.deadline()};
}

void VmmConnectSession::ConnectFailed(int error, absl::Time now) {
  Retire();
  switch (error) {
    case ENOENT:
      AttemptFailed(ConnectFailure::kNoSocketFile,
                    {absl::StrCat("no VMM socket at ", socket_path_,
                                  " (is the VMM running?)"),
                     nullptr},
                    now);
      return;
    case ECONNREFUSED:
      AttemptFailed(
          ConnectFailure::kRefused,
          {absl::StrCat("nothing listens on the VMM socket ", socket_path_),
           nullptr},
          now);
      return;
    case EAGAIN:
      AttemptFailed(
          ConnectFailure::kBacklogFull,
          {absl::StrCat("the VMM socket ", socket_path_, " has a full backlog"),
           nullptr},
          now);
      return;
    default:
      Finish(policy_.Annotate(PosixError(
          error, absl::StrCat("connecting to the VMM socket ", socket_path_))));
  }
}

void VmmConnectSession::HandshakeEnded(absl::Time now) {
  const absl::Status error = handshake_->error();
  const std::optional<HandshakeErrorKind> kind = handshake_->error_kind();
  const std::string refusal(handshake_->refusal());  // what the VMM did
  Retire();
  if (kind == HandshakeErrorKind::kRefused) {
    FailureWords words{std::string(error.message()), nullptr};
    if (const auto* hybrid = std::get_if<HybridVsockAddress>(&address_)) {
      words.exhausted = [port = hybrid->port,
                         refusal](absl::string_view tally) {
        return HybridVsockRefusedMessage(port,
                                         absl::StrCat(refusal, "; ", tally));
      };
    }
    AttemptFailed(ConnectFailure::kRefused, std::move(words), now);
    return;
  }
  if (kind == HandshakeErrorKind::kTimeout) {
    Finish(policy_.Annotate(absl::DeadlineExceededError(
        absl::StrCat(error.message(), "; the connect timeout is ",
                     absl::FormatDuration(policy_.timeout())))));
    return;
  }
  Finish(policy_.Annotate(error));
}

void VmmConnectSession::AttemptFailed(ConnectFailure failure,
                                      FailureWords words, absl::Time now) {
  std::variant<absl::Status, absl::Time> next =
      policy_.AttemptFailed(failure, now, std::move(words));
  if (const absl::Status* status = std::get_if<absl::Status>(&next)) {
    Finish(*status);
    return;
  }
  retry_at_ = std::get<absl::Time>(next);
  phase_ = Phase::kBackoff;
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
