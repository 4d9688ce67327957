// SocketDriver: moves bytes between one Flow and one connected,
// non-blocking stream socket (AF_VSOCK, AF_UNIX, or TCP in tests).
//
// The driver reads the socket straight into the flow's receive space, sends
// the flow's transmit spans with one sendmsg (scatter-gather, MSG_NOSIGNAL,
// at most kMaxIov spans a call, partial sends consumed at any byte), shuts
// the socket's write side down when the flow asks, and reports the socket's
// EOF and errors to the flow: EOF is Flow::HandleTransportEof(); ECONNRESET,
// EPIPE and every other error are Flow::HandleTransportError() (a reset,
// never a clean Eof). EINTR is retried; EAGAIN ends the attempt until the
// socket is ready again. It never spins: each Drive() does a bounded amount
// of IO and then says what it waits for.
//
// The seam for any event loop (epoll, poll, io_uring readiness, libuv
// uv_poll_t, Asio's async_wait):
//
//   fd()            the socket to watch
//   interest()      what to wait for now: readable, writable, both, neither
//   NextDeadline()  when to call Drive() even if the socket is quiet
//   Drive(now, r)   the socket reported readiness `r` (or none, for a timer
//                   or after the application used the flow): do the IO
//   transport_finished() / CloseTransport()
//                   once the flow is finished: stop watching fd(), then
//                   close it (gracefully after a completed close, with a
//                   reset where the transport supports one after a failure)
//
// Readiness may be level- or edge-triggered: the driver remembers what it
// was told (readable, writable) until EAGAIN says the socket is drained (or
// a short send says it is full), and interest() asks only for what it does
// not already know. Call Drive(now) after every application command on the flow
// (Write, Close, Read, Abort): it sends what was queued and resumes reading
// once the application has made room.
//
// The driver does not poll the flow's application events; that is the
// application's (or the event loop's) business.
//
// Memory: a few bytes beyond the Flow. When a read finds the socket drained
// (EAGAIN) the flow's unused receive block is released, so an idle flow
// holds none.
//
// Hang-ups: a loop whose poll reports hang-ups even for an fd with no
// interest (poll(2) always reports POLLHUP) should stop watching the fd
// while interest() is kNone, or it will wake up for nothing.
//
// Thread-compatible: the driver and its flow are used by one thread at a
// time.
#ifndef HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_
#define HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"

namespace hvsock {

// What a socket is ready for, or what a driver waits for. A bit set.
enum class Readiness : uint8_t {
  kNone = 0,
  kReadable = 1,
  kWritable = 2,
  // An error or hang-up was reported (EPOLLERR, EPOLLHUP, POLLERR...). The
  // driver reads SO_ERROR and retries its IO to learn what happened.
  kError = 4,
};
constexpr Readiness operator|(Readiness a, Readiness b) {
  return static_cast<Readiness>(static_cast<uint8_t>(a) |
                                static_cast<uint8_t>(b));
}
constexpr Readiness operator&(Readiness a, Readiness b) {
  return static_cast<Readiness>(static_cast<uint8_t>(a) &
                                static_cast<uint8_t>(b));
}
constexpr bool Any(Readiness r) { return r != Readiness::kNone; }

// Counters, for tests and benchmarks.
struct SocketDriverStats {
  uint32_t reads = 0;           // read() calls that returned bytes
  uint32_t sends = 0;           // sendmsg() calls that sent bytes
  uint32_t short_sends = 0;     // ... of which sent less than offered
  uint32_t would_block = 0;     // EAGAIN results, both directions
};

class SocketDriver {
 public:
  // Spans handed to one sendmsg. Framed flows need two per 4 KiB Data
  // message (header, payload): 256 spans cover more than an AF_UNIX socket
  // buffer (~208 KiB), so one call fills the socket as native flows do.
  static constexpr size_t kMaxIov = 256;
  // Bytes read per Drive() at most, so one busy flow cannot starve others
  // sharing a thread; wants_drive() says when there is more to do.
  static constexpr size_t kReadBudget = 256 * 1024;

  // `fd` is a connected stream socket; it is made non-blocking if it is not.
  // `flow` must outlive the driver.
  SocketDriver(Flow& flow, UniqueFd fd);

  SocketDriver(const SocketDriver&) = delete;
  SocketDriver& operator=(const SocketDriver&) = delete;

  // ── The seam ────────────────────────────────────────────────────────
  // The socket; -1 after CloseTransport().
  int fd() const { return fd_.get(); }
  // What to wait for now. kNone when the flow needs nothing from the socket
  // (backpressure, idle, or finished).
  Readiness interest() const;
  // The flow's next deadline (close timeout), if any.
  std::optional<absl::Time> NextDeadline() const {
    return flow_.NextDeadline();
  }
  // Does whatever IO is possible now. `ready` is what the loop observed
  // (kNone when called for a timer or after an application command). Also
  // passes `now` to the flow's timers.
  void Drive(absl::Time now, Readiness ready = Readiness::kNone);
  // Drive() stopped early (read budget) with more bytes known to be
  // waiting: call it again soon, without waiting for readiness.
  bool wants_drive() const;
  // The flow is finished: stop watching fd(), then call CloseTransport().
  bool transport_finished() const { return fd_.valid() && flow_.IsFinished(); }
  // Closes the socket. After a failure, it first sets SO_LINGER to zero so
  // that a TCP peer sees a reset rather than a clean end. Idempotent.
  void CloseTransport();

  // ── Getters ─────────────────────────────────────────────────────────
  Flow& flow() { return flow_; }
  const Flow& flow() const { return flow_; }
  const SocketDriverStats& stats() const { return stats_; }

 private:
  void Send();
  void Receive();
  void SendFailed(int error, const char* what);
  void CheckSocketError();
  void Fail(int error, const char* what);

  Flow& flow_;
  UniqueFd fd_;
  SocketDriverStats stats_;
  bool readable_ = true;   // not known to be drained: try reading
  bool writable_ = true;   // not known to be full: try sending
  bool eof_ = false;       // read() returned 0
  bool budget_spent_ = false;
  bool not_a_socket_ = false;  // use writev (pipes in tests)
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_
