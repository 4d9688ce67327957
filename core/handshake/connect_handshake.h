// ConnectHandshake: the request a VMM's Unix socket wants before it joins a
// host connection to a guest's vsock port, and (hybrid vsock) the reply
// that says whether the guest accepted. Sans-IO: no syscalls, no clocks;
// time is an argument.
//
// Two protocols (facts from the VMMs' sources; ../../README.md has a table):
//
//   Hybrid vsock (Firecracker, Cloud Hypervisor, rust-vmm
//   vhost-device-vsock): the host sends "CONNECT <port>\n" (decimal) in one
//   write; the VMM answers "OK <number>\n". The number is opaque
//   (Firecracker and Cloud Hypervisor send a host-side port from
//   1073741824 up, vhost-device-vsock echoes the guest port). When nothing
//   listens on the guest port the VMM closes the connection with no reply:
//   end of stream before a complete OK line is a refusal. Bytes after the
//   OK line's "\n" are the stream's first bytes.
//
//   hyperkit: the host sends exactly 18 bytes "%08x.%08x\n" (guest CID,
//   guest port, lower-case hex) to <dir>/connect. There is no reply: the
//   handshake is done once the request is sent, and a refusal shows later
//   as the end of the stream.
//
// The methods, by role:
//
//   Getters:  state(), error(), error_kind(), reply(), deadline()
//   Inputs:   HandleReceived(bytes)   reply bytes, any chunking; returns
//                                     how many it consumed
//             HandleTransportEof()    the VMM closed the connection
//             HandleTransportReset()  the connection failed (ECONNRESET...)
//             HandleTimeout(now)      time passed
//   Outputs:  PeekTransmit() + ConsumeTransmitted(n)   the request bytes
//             WantsRead()             the reply is still awaited
//
// HandleReceived() stops consuming at the end of the reply line: the bytes
// it leaves (of that call, and everything received later) belong to the
// stream and must be handed to the flow first, exactly once. It never
// holds more than kMaxReplyBytes bytes of its own, whatever the VMM sends:
// a line longer than that fails from the bound alone. Errors are sticky.
// Send no payload before state() is kEstablished: vhost-device-vsock may
// discard bytes that follow the CONNECT line.
//
// Thread-compatible.
#ifndef HVSOCK_CORE_HANDSHAKE_CONNECT_HANDSHAKE_H_
#define HVSOCK_CORE_HANDSHAKE_CONNECT_HANDSHAKE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hvsock {

enum class HandshakeState {
  kSending,        // request bytes are still to be transmitted
  kAwaitingReply,  // request sent; waiting for "OK <n>\n" (hybrid vsock)
  kEstablished,    // the stream may start; leftover bytes belong to it
  kFailed,         // error() says why
};

enum class HandshakeErrorKind {
  // End of stream (or a reset) before any reply byte: nothing listens on
  // the guest port, or the guest is not up yet. Code: kUnavailable. Next:
  // retry later, if the application wants to wait for the guest.
  kRefused,
  // A reply line that is not "OK <digits>\n", or a connection that ended in
  // the middle of one. Code: kInvalidArgument (the VMM's). The message
  // quotes the bytes (at most kMaxReplyBytes). Next: check that the path
  // is a hybrid vsock socket.
  kMalformedReply,
  // kMaxReplyBytes bytes without a "\n". Code: kInvalidArgument. Next: as
  // for kMalformedReply.
  kReplyTooLong,
  // The deadline passed before the handshake finished. Code:
  // kDeadlineExceeded. Next: the VMM (or the guest) has stopped; give up.
  kTimeout,
};

absl::string_view HandshakeErrorKindName(HandshakeErrorKind kind);

// The message of a hybrid vsock refusal: "hybrid vsock: no listener on guest
// port 52 (<how>)", where `how` says what the VMM did and may add what the
// caller tried ("the VMM closed the connection before OK; 7 attempts in
// 10s").
std::string HybridVsockRefusedMessage(uint32_t guest_port,
                                      absl::string_view how);

class ConnectHandshake {
 public:
  // The longest reply line accepted, "\n" included. The longest real one is
  // "OK 4294967295\n" (14 bytes).
  static constexpr size_t kMaxReplyBytes = 32;
  // hyperkit's request is exactly this long.
  static constexpr size_t kHyperkitRequestBytes = 18;

  // "CONNECT <guest_port>\n", then the OK line, before `deadline`.
  static ConnectHandshake HybridVsock(uint32_t guest_port, absl::Time deadline);
  // "<guest_cid %08x>.<guest_port %08x>\n", no reply, before `deadline`.
  static ConnectHandshake Hyperkit(uint32_t guest_cid, uint32_t guest_port,
                                   absl::Time deadline);

  // ── Getters ────────────────────────────────────────────────────────
  HandshakeState state() const { return state_; }
  bool established() const { return state_ == HandshakeState::kEstablished; }
  bool failed() const { return state_ == HandshakeState::kFailed; }
  // OK unless failed().
  const absl::Status& error() const { return error_; }
  // Set when failed().
  std::optional<HandshakeErrorKind> error_kind() const { return error_kind_; }
  // The OK line without its "\n" ("OK 1073741824"), once established over
  // hybrid vsock; empty for hyperkit. For logs only: the number means
  // different things to different VMMs.
  const std::string& reply() const { return reply_; }
  absl::Time deadline() const { return deadline_; }
  uint32_t guest_port() const { return guest_port_; }
  // What the VMM did, when error_kind() is kRefused ("the VMM closed the
  // connection before OK"); empty otherwise.
  absl::string_view refusal() const { return refusal_; }

  // ── Outputs ────────────────────────────────────────────────────────
  // The request bytes not yet transmitted (empty once sent). Send them in
  // one write where possible: Firecracker drops a connection whose CONNECT
  // line arrives in pieces. The view stays valid until ConsumeTransmitted.
  absl::string_view PeekTransmit() const;
  void ConsumeTransmitted(size_t n);
  // True while the reply is awaited (read the transport).
  bool WantsRead() const { return state_ == HandshakeState::kAwaitingReply; }

  // ── Inputs ─────────────────────────────────────────────────────────
  // Reply bytes. Returns how many were consumed: all of them while the
  // reply line goes on, up to and including its "\n" at the end of it, and
  // none once the line has ended, the handshake is established or failed,
  // or for hyperkit (which never replies). Unconsumed bytes are stream
  // data: keep them for the flow. Reply bytes that arrive while the request
  // is still being sent are taken (and judged once it is out). A line that
  // can no longer become "OK <digits>" fails at once.
  size_t HandleReceived(absl::string_view bytes);
  void HandleTransportEof();
  void HandleTransportReset();
  // Fails with kTimeout if `now` is at or past the deadline and the
  // handshake has not finished. Early and repeated calls are harmless.
  void HandleTimeout(absl::Time now);

 private:
  enum class Protocol { kHybridVsock, kHyperkit };
  ConnectHandshake(Protocol protocol, uint32_t guest_port, std::string request,
                   absl::Time deadline);

  void Fail(HandshakeErrorKind kind, std::string message);
  void FailRefused();  // with refusal_ set
  void CheckReplyLine();
  std::string Quoted() const;   // the reply bytes so far, escaped
  std::string Subject() const;  // "hybrid vsock: guest port 52" ...

  Protocol protocol_;
  uint32_t guest_port_;
  uint32_t guest_cid_ = 0;  // hyperkit
  std::string request_;
  size_t request_sent_ = 0;
  char line_[kMaxReplyBytes];  // the reply line so far
  size_t line_size_ = 0;
  bool line_ended_ = false;  // its "\n" arrived
  std::string reply_;
  absl::string_view refusal_;
  absl::Time deadline_;
  HandshakeState state_ = HandshakeState::kSending;
  absl::Status error_;
  std::optional<HandshakeErrorKind> error_kind_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_HANDSHAKE_CONNECT_HANDSHAKE_H_
