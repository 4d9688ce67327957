// Flow errors: every way a flow can refuse a command or end abruptly.
//
// Errors are absl::Status values whose code is chosen per kind (so generic
// code does something sensible) and which carry the kind as a payload, so an
// application can always tell, for example, a clean Eof (not an error at all)
// from a truncated stream or a reset. Each kind's comment says what the caller
// should do next.
//
// Thread-safety: plain functions on values; safe from any thread.
#ifndef HVSOCK_CORE_FLOW_ERROR_H_
#define HVSOCK_CORE_FLOW_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock {

enum class FlowErrorKind {
  // The flow's write side is closed (local close, or the peer sent
  // ShutdownRead). The data passed to the failed write was not taken.
  // Code: kFailedPrecondition. Next: stop writing; reads still work.
  kClosed,
  // The send buffer is at its limit. Nothing was taken. Code:
  // kResourceExhausted. Next: wait for FlowEvent::kWritable, then retry.
  kWouldBlock,
  // The transport failed (connection reset, broken pipe, IO error).
  // Code: kUnavailable. Data received before the failure is still readable;
  // then reads report this error. Next: drop the flow.
  kReset,
  // The transport ended without the peer's end-of-writes marker, or in the
  // middle of a frame. Code: kDataLoss. Data before the cut is still
  // readable; the stream is incomplete. Next: drop the flow.
  kTruncated,
  // The peer broke the wire protocol (oversized length, data after its end
  // marker). Code: kInvalidArgument (the peer's argument). Data before the
  // violation is still readable. Next: drop the flow.
  kProtocol,
  // close() made no progress (no byte received or sent) for the close
  // timeout; the flow was aborted. Code: kDeadlineExceeded. Unread data was
  // dropped. Next: drop the flow.
  kCloseTimeout,
  // Neither a byte received nor a byte sent for FlowOptions::idle_timeout:
  // the peer (or the transport) has stopped. Code: kDeadlineExceeded.
  // Unread data was dropped. Next: drop the flow.
  kIdleTimeout,
  // The application aborted the flow. Code: kCancelled.
  kAborted,
  // The caller (usually a backend) gave an input that the current state does
  // not accept. Code: kInternal. The message names the state and the input.
  kUnexpectedInput,
};

absl::string_view FlowErrorKindName(FlowErrorKind kind);

// Builds an error of `kind` (the kind is stored as a payload; the name is
// only for display); `message` should say what was expected and what
// arrived.
absl::Status FlowError(FlowErrorKind kind, absl::string_view message);

// The kind of a status made by FlowError, or nullopt for any other status
// (including OK).
std::optional<FlowErrorKind> GetFlowErrorKind(const absl::Status& status);

inline bool IsFlowError(const absl::Status& status, FlowErrorKind kind) {
  return GetFlowErrorKind(status) == kind;
}

}  // namespace hvsock

#endif  // HVSOCK_CORE_FLOW_ERROR_H_
