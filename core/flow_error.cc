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
    case FlowErrorKind::kAborted:
      return absl::StatusCode::kCancelled;
    case FlowErrorKind::kUnexpectedInput:
      return absl::StatusCode::kInternal;
  }
  return absl::StatusCode::kUnknown;
}

constexpr FlowErrorKind kAllKinds[] = {
    FlowErrorKind::kClosed,       FlowErrorKind::kWouldBlock,
    FlowErrorKind::kReset,        FlowErrorKind::kTruncated,
    FlowErrorKind::kProtocol,     FlowErrorKind::kCloseTimeout,
    FlowErrorKind::kAborted,      FlowErrorKind::kUnexpectedInput,
};

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
    case FlowErrorKind::kAborted:
      return "aborted";
    case FlowErrorKind::kUnexpectedInput:
      return "unexpected input";
  }
  return "unknown";
}

absl::Status FlowError(FlowErrorKind kind, absl::string_view message) {
  absl::Status status(CodeFor(kind), message);
  status.SetPayload(kPayloadUrl, absl::Cord(FlowErrorKindName(kind)));
  return status;
}

std::optional<FlowErrorKind> GetFlowErrorKind(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  for (FlowErrorKind kind : kAllKinds) {
    if (*payload == FlowErrorKindName(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace hvsock
