#include "backends/loopback/loopback_driver.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/string_view.h"

namespace hvsock {

bool LoopbackDriver::CanTransmit() const {
  if (transport_closed_) return false;
  return flow_.HasTransmit() || flow_.WantsShutdownWrite();
}

bool LoopbackDriver::CanReceive() const {
  if (transport_closed_ || flow_.IsFinished()) return false;
  // A reset is reported whatever the flow's interest, as epoll reports
  // EPOLLERR whether or not the caller asked for it.
  if (!in_.error().ok()) return true;
  if (!flow_.WantsRead()) return false;
  return in_.buffered() > 0 || (in_.at_eof() && !eof_reported_);
}

size_t LoopbackDriver::Transmit(size_t max) {
  if (transport_closed_) return 0;
  absl::string_view spans[16];
  size_t count = flow_.PeekTransmit(absl::MakeSpan(spans));
  size_t sent = 0;
  for (size_t i = 0; i < count && sent < max; ++i) {
    absl::string_view piece = spans[i].substr(0, max - sent);
    if (absl::Status status = out_.Write(piece); !status.ok()) {
      flow_.ConsumeTransmitted(sent);
      flow_.HandleTransportError(status);
      return sent;
    }
    sent += piece.size();
  }
  flow_.ConsumeTransmitted(sent);
  if (flow_.PollShutdownWrite()) out_.CloseWrite();
  return sent;
}

size_t LoopbackDriver::Receive(size_t max) {
  if (transport_closed_ || flow_.IsFinished()) return 0;
  if (!in_.error().ok()) {
    flow_.HandleTransportError(in_.error());
    return 0;
  }
  if (!flow_.WantsRead()) return 0;
  if (in_.buffered() == 0) {
    if (in_.at_eof() && !eof_reported_) {
      eof_reported_ = true;
      flow_.HandleTransportEof();
    }
    return 0;
  }
  absl::Span<char> space = flow_.ReceiveSpace();
  space = space.subspan(0, std::min(space.size(), max));
  absl::StatusOr<size_t> n = in_.Read(space);
  if (!n.ok()) {
    flow_.CommitReceived(0);
    flow_.HandleTransportError(n.status());
    return 0;
  }
  flow_.CommitReceived(*n);
  return *n;
}

bool LoopbackDriver::CloseTransportIfFinished() {
  if (transport_closed_ || !flow_.IsFinished()) return false;
  transport_closed_ = true;
  if (flow_.state() == FlowState::kFailed) {
    absl::Status reset = absl::UnavailableError("connection reset by peer");
    out_.Reset(reset);
    in_.Reset(reset);
  } else {
    out_.CloseWrite();
  }
  return true;
}

}  // namespace hvsock
