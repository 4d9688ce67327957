#include "core/handshake/connect_handshake.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/escaped_text.h"

namespace hvsock {
namespace {

constexpr absl::string_view kClosedBeforeOk =
    "the VMM closed the connection before OK";
constexpr absl::string_view kResetBeforeOk =
    "the VMM reset the connection before OK";
constexpr absl::string_view kClosedBeforeRequest =
    "the VMM closed the connection before taking the whole request";
constexpr absl::string_view kExpectedReply = "expected \"OK <number>\\n\"";

absl::StatusCode CodeFor(HandshakeErrorKind kind) {
  switch (kind) {
    case HandshakeErrorKind::kRefused:
      return absl::StatusCode::kUnavailable;
    case HandshakeErrorKind::kMalformedReply:
    case HandshakeErrorKind::kReplyTooLong:
      return absl::StatusCode::kInvalidArgument;
    case HandshakeErrorKind::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
  }
  return absl::StatusCode::kUnknown;
}

// Whether `line` (without its "\n") can still become, or is, "OK <digits>".
bool IsReplyPrefix(absl::string_view line) {
  static constexpr absl::string_view kOk = "OK ";
  for (size_t i = 0; i < line.size(); ++i) {
    if (i < kOk.size()) {
      if (line[i] != kOk[i]) return false;
    } else if (line[i] < '0' || line[i] > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::string_view HandshakeErrorKindName(HandshakeErrorKind kind) {
  switch (kind) {
    case HandshakeErrorKind::kRefused:
      return "refused";
    case HandshakeErrorKind::kMalformedReply:
      return "malformed reply";
    case HandshakeErrorKind::kReplyTooLong:
      return "reply too long";
    case HandshakeErrorKind::kTimeout:
      return "handshake timed out";
  }
  return "unknown";
}

std::string HybridVsockRefusedMessage(uint32_t guest_port,
                                      absl::string_view how) {
  return absl::StrCat("hybrid vsock: no listener on guest port ", guest_port,
                      " (", how, ")");
}

ConnectHandshake ConnectHandshake::HybridVsock(uint32_t guest_port,
                                               absl::Time deadline) {
  return ConnectHandshake(Protocol::kHybridVsock, guest_port,
                          absl::StrCat("CONNECT ", guest_port, "\n"), deadline);
}

ConnectHandshake ConnectHandshake::Hyperkit(uint32_t guest_cid,
                                            uint32_t guest_port,
                                            absl::Time deadline) {
  ConnectHandshake handshake(
      Protocol::kHyperkit, guest_port,
      absl::StrFormat("%08x.%08x\n", guest_cid, guest_port), deadline);
  handshake.guest_cid_ = guest_cid;
  return handshake;
}

ConnectHandshake::ConnectHandshake(Protocol protocol, uint32_t guest_port,
                                   std::string request, absl::Time deadline)
    : protocol_(protocol),
      guest_port_(guest_port),
      request_(std::move(request)),
      deadline_(deadline) {}

absl::string_view ConnectHandshake::PeekTransmit() const {
  if (state_ != HandshakeState::kSending) return {};
  return absl::string_view(request_).substr(request_sent_);
}

void ConnectHandshake::ConsumeTransmitted(size_t n) {
  if (state_ != HandshakeState::kSending) return;
  request_sent_ = std::min(request_.size(), request_sent_ + n);
  if (request_sent_ < request_.size()) return;
  if (protocol_ == Protocol::kHyperkit) {
    state_ = HandshakeState::kEstablished;  // hyperkit never replies
  } else if (line_ended_) {
    CheckReplyLine();  // the reply came while the request was going out
  } else {
    state_ = HandshakeState::kAwaitingReply;
  }
}

size_t ConnectHandshake::HandleReceived(absl::string_view bytes) {
  if (protocol_ == Protocol::kHyperkit || line_ended_ ||
      state_ == HandshakeState::kEstablished ||
      state_ == HandshakeState::kFailed) {
    return 0;
  }
  size_t consumed = 0;
  bool malformed = false;
  while (consumed < bytes.size()) {
    char c = bytes[consumed++];
    if (c == '\n') {
      line_ended_ = true;
      break;
    }
    line_[line_size_++] = c;
    if (!IsReplyPrefix(absl::string_view(line_, line_size_))) malformed = true;
    if (line_size_ == kMaxReplyBytes) break;
  }
  if (line_ended_) {
    if (state_ == HandshakeState::kAwaitingReply) CheckReplyLine();
    // else: checked once the request is out (ConsumeTransmitted).
    else if (!IsReplyPrefix(absl::string_view(line_, line_size_))) {
      CheckReplyLine();
    }
  } else if (line_size_ == kMaxReplyBytes) {
    if (malformed) {
      Fail(HandshakeErrorKind::kMalformedReply,
           absl::StrCat("malformed reply ", Quoted(), " (", kExpectedReply,
                        ")"));
    } else {
      Fail(HandshakeErrorKind::kReplyTooLong,
           absl::StrCat("reply longer than ", kMaxReplyBytes,
                        " bytes without a newline: ", Quoted(), "... (",
                        kExpectedReply, ")"));
    }
  } else if (malformed) {
    // Fail as soon as the reply cannot be an OK line, quoting what this
    // input brought (bounded by the line buffer).
    Fail(HandshakeErrorKind::kMalformedReply,
         absl::StrCat("malformed reply ", Quoted(), " (", kExpectedReply, ")"));
  }
  return consumed;
}

void ConnectHandshake::CheckReplyLine() {
  absl::string_view line(line_, line_size_);
  if (line.size() > 3 && IsReplyPrefix(line)) {
    reply_ = std::string(line);
    state_ = HandshakeState::kEstablished;
    return;
  }
  Fail(HandshakeErrorKind::kMalformedReply,
       absl::StrCat("malformed reply ", Quoted(), " (", kExpectedReply, ")"));
}

void ConnectHandshake::HandleTransportEof() {
  if (state_ == HandshakeState::kEstablished ||
      state_ == HandshakeState::kFailed) {
    return;
  }
  if (state_ == HandshakeState::kSending && line_size_ == 0) {
    refusal_ = kClosedBeforeRequest;
  } else if (line_size_ == 0 && !line_ended_) {
    refusal_ = kClosedBeforeOk;
  } else {
    Fail(HandshakeErrorKind::kMalformedReply,
         absl::StrCat("the VMM closed the connection in the middle of its "
                      "reply ",
                      Quoted(), " (", kExpectedReply, ")"));
    return;
  }
  FailRefused();
}

void ConnectHandshake::HandleTransportReset() {
  if (state_ == HandshakeState::kEstablished ||
      state_ == HandshakeState::kFailed) {
    return;
  }
  refusal_ = kResetBeforeOk;
  FailRefused();
}

void ConnectHandshake::HandleTimeout(absl::Time now) {
  if (now < deadline_ || state_ == HandshakeState::kEstablished ||
      state_ == HandshakeState::kFailed) {
    return;
  }
  if (state_ == HandshakeState::kSending) {
    Fail(HandshakeErrorKind::kTimeout,
         absl::StrCat("timed out sending the request (", request_sent_, " of ",
                      request_.size(), " bytes taken by the VMM)"));
  } else {
    Fail(HandshakeErrorKind::kTimeout,
         absl::StrCat("timed out waiting for OK",
                      line_size_ > 0
                          ? absl::StrCat(" (received ", Quoted(), " so far)")
                          : " (no reply bytes)"));
  }
}

void ConnectHandshake::FailRefused() {
  state_ = HandshakeState::kFailed;
  error_kind_ = HandshakeErrorKind::kRefused;
  if (protocol_ == Protocol::kHybridVsock) {
    error_ = absl::UnavailableError(
        HybridVsockRefusedMessage(guest_port_, refusal_));
  } else {
    error_ = absl::UnavailableError(absl::StrCat(Subject(), ": ", refusal_));
  }
}

void ConnectHandshake::Fail(HandshakeErrorKind kind, std::string message) {
  state_ = HandshakeState::kFailed;
  error_kind_ = kind;
  error_ = absl::Status(CodeFor(kind), absl::StrCat(Subject(), ": ", message));
}

std::string ConnectHandshake::Subject() const {
  if (protocol_ == Protocol::kHybridVsock) {
    return absl::StrCat("hybrid vsock: guest port ", guest_port_);
  }
  return absl::StrCat("hyperkit: guest CID ", guest_cid_, " port ",
                      guest_port_);
}

std::string ConnectHandshake::Quoted() const {
  std::string out = "\"";
  out += EscapedText(absl::string_view(line_, line_size_));
  if (line_ended_) out += "\\n";
  out += '"';
  return out;
}

}  // namespace hvsock
