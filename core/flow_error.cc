#include "core/flow_error.h"

#include <string>

#include "absl/strings/cord.h"

namespace hvsock {
namespace {

constexpr absl::string_view kPayloadUrl = "type.hvsock/FlowErrorKind";

absl::StatusCode CodeFor(FlowErrorKind kind) {
  switch (kind) {
    case FlowErrorKind::kClosed:
      return absl::StatusCode::kFailedPrecondition;
    case FlowErrorKind::kWouldBlock:
      return absl::StatusCode::kResourceExhausted;
    case FlowErrorKind::kReset:
      return absl::StatusCode::kUnavailable;
    case FlowErrorKind::kTruncated:
      return absl::StatusCode::kDataLoss;
    case FlowErrorKind::kProtocol:
      return absl::StatusCode::kInvalidArgument;
    case FlowErrorKind::kCloseTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case FlowErrorKind::kIdleTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case FlowErrorKind::kAborted:
      return absl::StatusCode::kCancelled;
    case FlowErrorKind::kUnexpectedInput:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kUnknown;
}

// The payload is the kind's number, one byte: cheap to make and to test
// (GetFlowErrorKind runs on every would-block in a write loop).
constexpr int kKindCount =
    static_cast<int>(FlowErrorKind::kUnexpectedInput) + 1;

}  // namespace

absl::string_view FlowErrorKindName(FlowErrorKind kind) {
  switch (kind) {
    case FlowErrorKind::kClosed:
      return "closed";
    case FlowErrorKind::kWouldBlock:
      return "would block";
    case FlowErrorKind::kReset:
      return "reset";
    case FlowErrorKind::kTruncated:
      return "truncated stream";
    case FlowErrorKind::kProtocol:
      return "protocol error";
    case FlowErrorKind::kCloseTimeout:
      return "close timed out";
    case FlowErrorKind::kIdleTimeout:
      return "idle timeout";
    case FlowErrorKind::kAborted:
      return "aborted";
    case FlowErrorKind::kUnexpectedInput:
      return "unexpected input";
  }
  return "unknown";
}

absl::Status FlowError(FlowErrorKind kind, absl::string_view message) {
  absl::Status status(CodeFor(kind), message);
  const char tag = static_cast<char>(kind);
  status.SetPayload(kPayloadUrl, absl::Cord(absl::string_view(&tag, 1)));
  return status;
}

std::optional<FlowErrorKind> GetFlowErrorKind(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value() || payload->size() != 1) return std::nullopt;
  const int tag = static_cast<unsigned char>(*payload->char_begin());
  if (tag >= kKindCount) return std::nullopt;
  return static_cast<FlowErrorKind>(tag);
}

}  // namespace hvsock
