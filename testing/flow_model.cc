#include "testing/flow_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/flow.h"
#include "core/frame.h"

namespace hvsock::testing {
namespace {

constexpr uint8_t kReadableBit = static_cast<uint8_t>(FlowEvent::kReadable);
constexpr uint8_t kWritableBit = static_cast<uint8_t>(FlowEvent::kWritable);
constexpr uint8_t kCompletedBit =
    static_cast<uint8_t>(FlowEvent::kCloseCompleted);
constexpr uint8_t kFailedBit = static_cast<uint8_t>(FlowEvent::kFailed);

// The 4-byte little-endian header, read independently of core/frame.h's
// decoder.
uint32_t HeaderValue(absl::string_view header) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(header[i]);
  }
  return value;
}

std::string MarkerName(uint32_t marker) {
  switch (marker) {
    case kFrameShutdownRead:
      return "ShutdownRead";
    case kFrameShutdownWrite:
      return "ShutdownWrite";
    case kFrameClose:
      return "Close";
  }
  return absl::StrFormat("Data(%u)", marker);
}

std::string TimeText(std::optional<absl::Time> t) {
  if (!t.has_value()) return "none";
  return absl::StrCat(absl::ToUnixNanos(*t), "ns");
}

}  // namespace

absl::string_view OursName(FlowModel::Ours ours) {
  switch (ours) {
    case FlowModel::Ours::kOpen:
      return "open";
    case FlowModel::Ours::kEnding:
      return "ending";
    case FlowModel::Ours::kEndOut:
      return "end-out";
  }
  return "?";
}

absl::string_view TheirsName(FlowModel::Theirs theirs) {
  switch (theirs) {
    case FlowModel::Theirs::kOpen:
      return "open";
    case FlowModel::Theirs::kEnded:
      return "ended";
    case FlowModel::Theirs::kDone:
      return "done";
  }
  return "?";
}

std::string FlowObservation::ToString() const {
  return absl::StrCat(
      "{state=", state,
      " error=", error.has_value() ? FlowErrorKindName(*error) : "none",
      " events=", events, " in=", bytes_in, " out=", bytes_out,
      " read=", bytes_read, " wire_in=", wire_bytes_in,
      " wire_out=", wire_bytes_out, " frames_in=", frames_in,
      " frames_out=", frames_out, " dropped=", bytes_dropped,
      " buffered=", receive_buffered, " queued=", send_queued,
      " wants_read=", wants_read, " has_transmit=", has_transmit,
      " wants_shutdown=", wants_shutdown_write, " readable=", readable,
      " deadline=", TimeText(next_deadline), "}");
}

FlowModel::FlowModel(const FlowOptions& options) : options_(options) {}

// ── Application commands ──────────────────────────────────────────────────

std::optional<FlowErrorKind> FlowModel::Write(absl::string_view bytes) {
  if (failed()) return error_;
  if (closed() || ours_ != Ours::kOpen) return FlowErrorKind::kClosed;
  if (queued() >= options_.send_limit) {
    write_blocked_ = true;
    return FlowErrorKind::kWouldBlock;
  }
  unsealed_.append(bytes.data(), bytes.size());
  return std::nullopt;
}

std::optional<FlowErrorKind> FlowModel::Close(absl::Time now) {
  now_ = std::max(now_, now);
  if (last_progress_ == absl::InfinitePast()) last_progress_ = now_;
  if (live() && ours_ == Ours::kOpen) EndOurs();
  // Timers start at the first time the flow is given, even if our end was
  // queued before (the peer's ShutdownRead, at no known time).
  if (live() && ours_ != Ours::kOpen &&
      close_started_ == absl::InfinitePast()) {
    close_started_ = now_;
  }
  if (failed()) return error_;
  return std::nullopt;
}

void FlowModel::Abort() {
  if (live()) Fail(FlowErrorKind::kAborted, /*drop_received=*/true);
}

ExpectedRead FlowModel::Read(size_t max_bytes) {
  ExpectedRead read;
  if (max_bytes == 0) {
    read.kind = ExpectedRead::Kind::kInvalidArgument;
  } else if (received_dropped_) {
    read.kind = ExpectedRead::Kind::kError;
    read.error = *error_;
  } else if (!readable_.empty()) {
    // A full buffer was a wait on us, not on the peer: timers restart.
    if (readable_.size() >= options_.receive_limit) Progress();
    read.kind = ExpectedRead::Kind::kData;
    read.data = readable_.substr(0, max_bytes);
    readable_.erase(0, read.data.size());
    counters_.bytes_read += read.data.size();
  } else if (end_delivered_) {
    read.kind = ExpectedRead::Kind::kEof;
  } else if (failed()) {
    read.kind = ExpectedRead::Kind::kError;
    read.error = *error_;
  }
  return read;
}

// ── Our end and the close handshake ─────────────────────────────────────

void FlowModel::EndOurs() {
  ours_ = Ours::kEnding;
  if (close_started_ == absl::InfinitePast()) close_started_ = now_;
  if (!framed()) return;  // native: the end is the transport's shutdown
  if (theirs_ == Theirs::kOpen) {
    QueueMarker(kFrameShutdownWrite);
  } else {
    QueueCloseIfBothEnded();
  }
}

void FlowModel::QueueMarker(uint32_t marker) {
  markers_.push_back(marker);
  markers_sealed_ = false;
}

void FlowModel::QueueCloseIfBothEnded() {
  if (!framed() || close_queued_ || ours_ == Ours::kOpen ||
      theirs_ == Theirs::kOpen) {
    return;
  }
  close_queued_ = true;
  ours_ = Ours::kEnding;
  // A ShutdownWrite nobody has seen yet becomes the Close.
  if (!markers_.empty() && markers_.back() == kFrameShutdownWrite &&
      !markers_sealed_) {
    markers_.back() = kFrameClose;
  } else {
    QueueMarker(kFrameClose);
  }
}

void FlowModel::CompleteIfDone() {
  if (live() && ours_ == Ours::kEndOut && theirs_ == Theirs::kDone) {
    outcome_ = Outcome::kClosed;
    Raise(kCompletedBit);
  }
}

void FlowModel::AfterQueueShrank() {
  if (write_blocked_ && queued() < options_.send_limit) {
    write_blocked_ = false;
    Raise(kWritableBit);
  }
}

void FlowModel::Fail(FlowErrorKind kind, bool drop_received) {
  outcome_ = Outcome::kFailed;
  if (!error_.has_value()) error_ = kind;
  unsealed_.clear();  // dropped with the flow, not counted
  if (drop_received) {
    readable_.clear();
    received_dropped_ = true;
  }
  Raise(kFailedBit | kReadableBit);
}

// ── The peer's side ─────────────────────────────────────────────────────

void FlowModel::PeerPayload(absl::string_view piece) {
  if (theirs_ != Theirs::kOpen) {
    Fail(FlowErrorKind::kProtocol, /*drop_received=*/false);
    return;
  }
  counters_.bytes_in += piece.size();
  readable_.append(piece.data(), piece.size());
  Raise(kReadableBit);
}

void FlowModel::PeerEnded(bool done) {
  if (!live() || theirs_ == Theirs::kDone) return;
  if (theirs_ == Theirs::kEnded && !done) return;
  if (theirs_ == Theirs::kOpen) {
    end_delivered_ = true;
    Raise(kReadableBit);
  }
  theirs_ = done ? Theirs::kDone : Theirs::kEnded;
  QueueCloseIfBothEnded();
  CompleteIfDone();
}

void FlowModel::PeerShutdownRead() {
  if (!live()) return;
  if (ours_ == Ours::kEndOut) {
    // Nothing of ours is left to drop; an ended peer that reads no more is
    // done.
    if (theirs_ == Theirs::kEnded) theirs_ = Theirs::kDone;
    CompleteIfDone();
    return;
  }
  counters_.bytes_dropped += unsealed_.size();
  unsealed_.clear();
  AfterQueueShrank();
  if (theirs_ == Theirs::kEnded) theirs_ = Theirs::kDone;
  if (ours_ == Ours::kOpen) EndOurs();
}

void FlowModel::Decode(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (!live()) {
      counters_.bytes_dropped += bytes.size() - i;
      return;
    }
    if (in_payload_left_ > 0) {
      size_t n = std::min<size_t>(in_payload_left_, bytes.size() - i);
      in_payload_left_ -= static_cast<uint32_t>(n);
      PeerPayload(bytes.substr(i, n));
      i += n;
      continue;
    }
    in_header_.push_back(bytes[i++]);
    if (in_header_.size() < kFrameHeaderSize) continue;
    uint32_t value = HeaderValue(in_header_);
    in_header_.clear();
    ++counters_.frames_in;
    if (value == kFrameShutdownRead) {
      PeerShutdownRead();
    } else if (value == kFrameShutdownWrite) {
      PeerEnded(/*done=*/false);
    } else if (value == kFrameClose) {
      PeerEnded(/*done=*/true);
    } else if (value > options_.max_receive_frame) {
      Fail(FlowErrorKind::kProtocol, /*drop_received=*/false);
    } else {
      in_payload_left_ = value;  // zero-length Data: nothing follows
    }
  }
}

// ── Backend inputs ──────────────────────────────────────────────────────

bool FlowModel::WantsRead() const {
  return live() && (framed() || theirs_ == Theirs::kOpen) &&
         readable_.size() < options_.receive_limit;
}

absl::Status FlowModel::CheckReceiveSpace(size_t space) const {
  const bool wants = WantsRead();
  if (wants != (space > 0)) {
    return absl::InternalError(
        absl::StrCat("receive space of ", space, " bytes, but the model ",
                     wants ? "wants" : "does not want", " reads"));
  }
  if (space > options_.receive_limit -
                  std::min(options_.receive_limit, readable_.size())) {
    return absl::InternalError(absl::StrCat(
        "receive space of ", space, " bytes with ", readable_.size(),
        " buffered exceeds the receive limit ", options_.receive_limit));
  }
  return absl::OkStatus();
}

void FlowModel::Received(absl::string_view bytes) {
  if (bytes.empty()) return;
  counters_.wire_bytes_in += bytes.size();
  Progress();
  if (!live()) {
    counters_.bytes_dropped += bytes.size();
  } else if (framed()) {
    Decode(bytes);
  } else {
    PeerPayload(bytes);
  }
}

void FlowModel::BackendMisuse() {
  if (live()) Fail(FlowErrorKind::kUnexpectedInput, /*drop_received=*/false);
}

void FlowModel::TransportEof() {
  if (!live()) return;
  if (!framed()) {
    PeerEnded(/*done=*/true);
  } else if (theirs_ == Theirs::kOpen) {
    Fail(FlowErrorKind::kTruncated, /*drop_received=*/false);
  } else if (theirs_ == Theirs::kEnded) {
    theirs_ = Theirs::kDone;
    CompleteIfDone();
  }
}

void FlowModel::TransportError() {
  if (!live()) return;
  // Nothing is lost if every payload byte has left, our end is under way
  // and the peer has finished (framed: ended, and our Close is out).
  const bool nothing_lost =
      ours_ != Ours::kOpen && queued() == 0 &&
      (theirs_ == Theirs::kDone ||
       (theirs_ == Theirs::kEnded && ours_ == Ours::kEndOut));
  if (nothing_lost) {
    outcome_ = Outcome::kClosed;
    Raise(kCompletedBit);
  } else {
    Fail(FlowErrorKind::kReset, /*drop_received=*/false);
  }
}

// The contract: timeouts bound a peer that has stopped, so they pause while
// our own application has not read a full buffer.
std::optional<absl::Time> FlowModel::IdleDeadline() const {
  if (!live() || options_.idle_timeout == absl::InfiniteDuration() ||
      last_progress_ == absl::InfinitePast() ||
      readable_.size() >= options_.receive_limit) {
    return std::nullopt;
  }
  return last_progress_ + options_.idle_timeout;
}

std::optional<absl::Time> FlowModel::CloseDeadline() const {
  if (!live() || ours_ == Ours::kOpen ||
      close_started_ == absl::InfinitePast() ||
      readable_.size() >= options_.receive_limit) {
    return std::nullopt;
  }
  return std::max(close_started_, last_progress_) + options_.close_timeout;
}

void FlowModel::Tick(absl::Time now) {
  now_ = std::max(now_, now);
  if (last_progress_ == absl::InfinitePast()) last_progress_ = now_;
  if (live() && ours_ != Ours::kOpen &&
      close_started_ == absl::InfinitePast()) {
    close_started_ = now_;
  }
  if (std::optional<absl::Time> idle = IdleDeadline(); idle && now_ >= *idle) {
    Fail(FlowErrorKind::kIdleTimeout, /*drop_received=*/true);
    return;
  }
  if (std::optional<absl::Time> close = CloseDeadline();
      close && now_ >= *close) {
    Fail(FlowErrorKind::kCloseTimeout, /*drop_received=*/true);
  }
}

// ── Outputs ─────────────────────────────────────────────────────────────

absl::Status FlowModel::Peeked(absl::string_view exposed) {
  if (!live()) {
    if (exposed.empty()) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("a finished flow exposed ", exposed.size(), " bytes"));
  }
  sealed_ += unsealed_;
  unsealed_.clear();
  if (!markers_.empty()) markers_sealed_ = true;
  // Everything queued, and nothing else, must be exposed: sending all of it
  // would leave nothing to send.
  FlowModel after = *this;
  if (absl::Status sent = after.Transmitted(exposed); !sent.ok()) {
    return sent;
  }
  if (!after.sealed_.empty() || !after.markers_.empty() ||
      after.out_payload_left_ != 0 || !after.out_header_.empty()) {
    return absl::InternalError(absl::StrCat(
        "the peek exposed ", exposed.size(), " bytes, but ",
        after.sealed_.size(), " payload bytes and ", after.markers_.size(),
        " end markers would still be unsent"));
  }
  return absl::OkStatus();
}

absl::Status FlowModel::Transmitted(absl::string_view bytes) {
  if (bytes.empty()) return absl::OkStatus();
  if (!live()) {
    return absl::InternalError("a finished flow transmitted bytes");
  }
  counters_.wire_bytes_out += bytes.size();
  Progress();
  if (!framed()) {
    if (absl::string_view(sealed_).substr(0, bytes.size()) != bytes) {
      return absl::InternalError(
          absl::StrCat("transmitted ", bytes.size(),
                       " bytes that are not the next bytes written"));
    }
    sealed_.erase(0, bytes.size());
    counters_.bytes_out += bytes.size();
  } else {
    size_t i = 0;
    while (i < bytes.size()) {
      if (out_payload_left_ > 0) {
        size_t n = std::min<size_t>(out_payload_left_, bytes.size() - i);
        if (absl::string_view(sealed_).substr(0, n) != bytes.substr(i, n)) {
          return absl::InternalError(
              "a Data frame carries bytes that are not the next bytes "
              "written");
        }
        sealed_.erase(0, n);
        counters_.bytes_out += n;
        out_payload_left_ -= static_cast<uint32_t>(n);
        if (out_payload_left_ == 0) ++counters_.frames_out;
        i += n;
        continue;
      }
      out_header_.push_back(bytes[i++]);
      if (out_header_.size() < kFrameHeaderSize) continue;
      uint32_t value = HeaderValue(out_header_);
      out_header_.clear();
      if (IsControlHeader(value)) {
        if (markers_.empty() || markers_.front() != value || !sealed_.empty()) {
          return absl::InternalError(
              absl::StrCat("sent ", MarkerName(value), " but expected ",
                           !sealed_.empty()   ? "payload first"
                           : markers_.empty() ? "no end marker"
                                              : MarkerName(markers_.front())));
        }
        markers_.erase(markers_.begin());
        ++counters_.frames_out;
        continue;
      }
      if (value == 0 || value > options_.max_send_frame ||
          value > sealed_.size()) {
        return absl::InternalError(absl::StrCat(
            "sent a Data frame of ", value, " bytes with ", sealed_.size(),
            " queued and max_send_frame ", options_.max_send_frame));
      }
      out_payload_left_ = value;
    }
  }
  AfterQueueShrank();
  if (framed() && ours_ == Ours::kEnding && markers_.empty() && queued() == 0 &&
      out_header_.empty()) {
    ours_ = Ours::kEndOut;
    CompleteIfDone();
  }
  return absl::OkStatus();
}

bool FlowModel::WantsShutdownWrite() const {
  return live() && !framed() && ours_ == Ours::kEnding && queued() == 0 &&
         !shutdown_polled_;
}

void FlowModel::ShutdownWritePolled() {
  shutdown_polled_ = true;
  ours_ = Ours::kEndOut;
  CompleteIfDone();
}

FlowObservation FlowModel::Observe() {
  FlowObservation o = counters_;
  o.state = closed()   ? "closed"
            : failed() ? "failed"
                       : absl::StrCat("ours=", OursName(ours_),
                                      " theirs=", TheirsName(theirs_));
  o.error = failed() ? error_ : std::nullopt;
  o.events = std::exchange(events_, 0);
  o.receive_buffered = readable_.size();
  o.send_queued = queued();
  o.wants_read = WantsRead();
  o.has_transmit = live() && (queued() > 0 || !markers_.empty());
  o.wants_shutdown_write = WantsShutdownWrite();
  o.readable =
      received_dropped_ || !readable_.empty() || end_delivered_ || failed();
  std::optional<absl::Time> idle = IdleDeadline();
  std::optional<absl::Time> close = CloseDeadline();
  o.next_deadline =
      idle && close ? std::min(*idle, *close) : (idle ? idle : close);
  return o;
}

}  // namespace hvsock::testing
