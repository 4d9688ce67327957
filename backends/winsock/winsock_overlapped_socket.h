// OverlappedSocket: one connected Winsock stream socket as the drivers here
// (WinsockFlow, IocpMux) use it: attached to an IoLoop's completion port,
// with at most one overlapped send and one overlapped receive in flight,
// whose completions go to the driver that owns it.
//
// It issues the operations and nothing else: what to send and where to
// receive are the driver's (spans a core lends until their completion).
// Send() and Receive() return the error of an operation that failed at once
// (nothing is then in flight); otherwise the completion arrives through the
// port, whether the call completed at once or is pending. CancelInFlight()
// cancels what is in flight (the completions then report
// WSA_OPERATION_ABORTED); Close() closes the socket, gracefully or with a
// reset, and detaches it from the loop; call it once nothing is in flight.
//
// Windows only. Thread-compatible: the loop's thread only.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_OVERLAPPED_SOCKET_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_OVERLAPPED_SOCKET_H_

// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <windows.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "backends/winsock/winsock_io_loop.h"
#include "backends/winsock/winsock_socket.h"

namespace hvsock {

class OverlappedSocket {
 public:
  // Spans one Send() takes at most (more wait for the next send).
  static constexpr size_t kMaxSendSpans = 64;
  // Spaces one Receive() takes at most.
  static constexpr size_t kMaxReceiveSpaces = 3;

  OverlappedSocket(IoLoop& loop, UniqueSocket socket)
      : loop_(loop), socket_(std::move(socket)) {}
  OverlappedSocket(const OverlappedSocket&) = delete;
  OverlappedSocket& operator=(const OverlappedSocket&) = delete;

  // Completions call (owner->*kOnSent)(bytes, error) and
  // (owner->*kOnReceived)(bytes, error).
  template <auto kOnSent, auto kOnReceived, typename Owner>
  void Bind(Owner* owner) {
    BindOperation<kOnSent>(send_, socket_.get(), owner);
    BindOperation<kOnReceived>(receive_, socket_.get(), owner);
  }
  // Associates the socket with the loop's completion port.
  absl::Status Attach();

  // Starts a WSASend of `spans` (at most kMaxSendSpans, none empty).
  absl::Status Send(absl::Span<const absl::string_view> spans);
  // Starts a WSARecv into `spaces` (at most kMaxReceiveSpaces; a space
  // larger than 1 GiB is cut, and the spaces after it left out). No spaces:
  // a zero-byte receive, which completes when data (or the end) is there
  // without lending any memory.
  absl::Status Receive(absl::Span<const absl::Span<char>> spaces);
  // Cancels the operations in flight (once per batch started).
  void CancelInFlight();
  // Closes the socket (SO_LINGER 0 if `reset`) and detaches it.
  void Close(bool reset);

  SOCKET get() const { return socket_.get(); }
  bool valid() const { return socket_.valid(); }
  bool send_pending() const { return send_.pending; }
  bool receive_pending() const { return receive_.pending; }
  int in_flight() const { return int{send_.pending} + int{receive_.pending}; }
  // Bytes the last Send() offered; what the last Receive() lent.
  size_t last_send_offered() const { return send_offered_; }
  size_t last_receive_lent() const { return receive_lent_; }

 private:
  IoLoop& loop_;
  UniqueSocket socket_;
  IoOperation send_;
  IoOperation receive_;
  WSABUF send_buffers_[kMaxSendSpans] = {};
  WSABUF receive_buffers_[kMaxReceiveSpaces] = {};
  size_t send_offered_ = 0;
  size_t receive_lent_ = 0;
  bool attached_ = false;
  bool cancelled_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_OVERLAPPED_SOCKET_H_
