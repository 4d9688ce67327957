#include "echo_connection.h"

#include <optional>
#include <utility>

#include "hvsock/core/flow.h"
#include "hvsock/core/flow_error.h"

namespace echo_example {

absl::StatusOr<std::unique_ptr<EchoConnection>> EchoConnection::Create(
    hvsock::UniqueFd fd, absl::AnyInvocable<void()> wake) {
  absl::StatusOr<hvsock::Flow> flow = hvsock::Flow::Create({});
  if (!flow.ok()) return flow.status();
  return std::unique_ptr<EchoConnection>(
      new EchoConnection(*std::move(flow), std::move(fd), std::move(wake)));
}

hvsock::DriveResult EchoConnection::Step(absl::Time now,
                                         hvsock::Readiness ready) {
  hvsock::DriveResult result = driver_.Drive(now, ready);
  // Events are reported at most once until polled; kReadable and kWritable
  // both mean "try the echo again". A close or failure needs no answer:
  // the flow is finished, and the next result says so.
  bool echo_due = false;
  while (std::optional<hvsock::FlowEvent> event = driver_.PollEvent()) {
    echo_due |= *event == hvsock::FlowEvent::kReadable ||
                *event == hvsock::FlowEvent::kWritable;
  }
  if (echo_due) Echo(now);
  return result;
}

void EchoConnection::Echo(absl::Time now) {
  while (true) {
    if (!unsent_.empty()) {
      absl::Status written = driver_.Write(unsent_);
      if (hvsock::IsFlowError(written, hvsock::FlowErrorKind::kWouldBlock)) {
        return;  // kWritable comes when the send queue has drained
      }
      if (!written.ok()) {
        // The client reads no more (it sent ShutdownRead), or the flow
        // failed: nothing more can be echoed.
        driver_.Abort();
        return;
      }
      unsent_.Clear();
    }
    if (peer_ended_) return;
    // Read until WouldBlock: kReadable is not raised again for data that is
    // already in the flow.
    absl::StatusOr<hvsock::ReadResult> read = driver_.Read(kMaxHeld);
    if (!read.ok() || read->would_block()) return;  // a failure finishes it
    if (read->is_eof()) {
      peer_ended_ = true;
      // Sends everything queued, then our end; it completes when both ended.
      driver_.Close(now).IgnoreError();  // fails only on a failed flow
      return;
    }
    unsent_ = std::move(*read).data();
  }
}

}  // namespace echo_example
