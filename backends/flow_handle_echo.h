// An echo server end and a client end written only against FlowHandle
// (backends/flow_handle.h), with no backend in sight: each backend's test
// runs this same code on its own flows (LoopFlow on Linux, WinsockFlow
// under Wine) to show that an application written against the shared
// interface runs unchanged on it.
//
// HandleEcho writes back every byte it reads, in order, holding at most one
// read's worth, and closes at the peer's Eof. HandleClient writes a
// message, closes (half-close), and reads until Eof. Both record a failure
// instead of asserting, so a test says what it expected.
//
// Test-only. Thread-compatible: used on the flows' loop thread.
#ifndef HVSOCK_BACKENDS_FLOW_HANDLE_ECHO_H_
#define HVSOCK_BACKENDS_FLOW_HANDLE_ECHO_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/loop.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"

namespace hvsock::testing {

class HandleEcho {
 public:
  void OnEvent(FlowHandle& flow, FlowEvent event) {
    if (event == FlowEvent::kFailed) {
      error_ = flow.error();
      return;
    }
    if (event == FlowEvent::kCloseCompleted) closed_ = true;
    Pump(flow);
  }
  bool closed() const { return closed_; }
  const absl::Status& error() const { return error_; }
  size_t echoed() const { return echoed_; }

 private:
  void Pump(FlowHandle& flow) {
    while (error_.ok()) {
      if (!pending_.empty()) {
        absl::Status written = flow.Write(pending_);
        if (IsFlowError(written, FlowErrorKind::kWouldBlock)) return;
        if (!written.ok()) {
          error_ = written;
          return;
        }
        echoed_ += pending_.size();
        pending_.Clear();
      }
      if (eof_) return;
      absl::StatusOr<ReadResult> read = flow.Read(64 * 1024);
      if (!read.ok()) return;  // kFailed follows
      if (read->would_block()) return;
      if (read->is_eof()) {
        eof_ = true;
        if (absl::Status closed = flow.Close(); !closed.ok()) error_ = closed;
        return;
      }
      pending_ = std::move(*read).data();
    }
  }

  absl::Cord pending_;
  bool eof_ = false;
  bool closed_ = false;
  size_t echoed_ = 0;
  absl::Status error_;
};

class HandleClient {
 public:
  explicit HandleClient(std::string message) : unsent_(std::move(message)) {}

  // Sends what it can of the message now; the rest as the flow takes it.
  void Start(FlowHandle& flow) { Pump(flow); }
  void OnEvent(FlowHandle& flow, FlowEvent event) {
    if (event == FlowEvent::kFailed) {
      error_ = flow.error();
      return;
    }
    if (event == FlowEvent::kCloseCompleted) closed_ = true;
    Pump(flow);
  }
  // Eof read and the close completed (or it failed).
  bool done() const { return (eof_ && closed_) || !error_.ok(); }
  const std::string& received() const { return received_; }
  const absl::Status& error() const { return error_; }

 private:
  void Pump(FlowHandle& flow) {
    while (!unsent_.empty() && error_.ok()) {
      // Pieces the flow's send queue can take; kWouldBlock until it drains.
      const size_t piece = std::min<size_t>(unsent_.size(), 16 * 1024);
      absl::Status written =
          flow.Write(absl::string_view(unsent_).substr(0, piece));
      if (IsFlowError(written, FlowErrorKind::kWouldBlock)) break;
      if (!written.ok()) {
        error_ = written;
        return;
      }
      unsent_.erase(0, piece);
      if (unsent_.empty() && !close_sent_) {
        close_sent_ = true;
        if (absl::Status closed = flow.Close(); !closed.ok()) error_ = closed;
      }
    }
    while (!eof_ && error_.ok()) {
      absl::StatusOr<ReadResult> read = flow.Read();
      if (!read.ok() || read->would_block()) return;
      if (read->is_eof()) {
        eof_ = true;
        return;
      }
      received_ += std::string(std::move(*read).data());
    }
  }

  std::string unsent_;
  bool close_sent_ = false;
  bool eof_ = false;
  bool closed_ = false;
  std::string received_;
  absl::Status error_;
};

// The message the echo tests send: `size` letters.
inline std::string EchoMessage(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

// Runs `loop` (at most `limit`) until `client` has read its Eof and the
// echo has closed, then checks the round trip: every byte of `message`
// came back, neither end failed, and the client's close completed.
inline void ExpectEchoRoundTrip(Loop& loop, const HandleClient& client,
                                const HandleEcho& echo,
                                const FlowHandle& client_handle,
                                const std::string& message,
                                absl::Duration limit) {
  ASSERT_TRUE(
      loop.RunUntil([&] { return client.done() && echo.closed(); }, limit)
          .ok());
  EXPECT_TRUE(client.error().ok()) << client.error();
  EXPECT_TRUE(echo.error().ok()) << echo.error();
  EXPECT_EQ(client.received(), message);
  EXPECT_EQ(echo.echoed(), message.size());
  EXPECT_EQ(client_handle.state(), FlowState::kClosed);
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BACKENDS_FLOW_HANDLE_ECHO_H_
