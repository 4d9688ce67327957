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
// uv_poll_t, Asio's async_wait) is two calls and one result:
//
//   Drive(now, ready) -> DriveResult
//       Call it when the socket reported readiness `ready`, when the
//       result's deadline has come, when the result asked for another drive
//       at once, and after the wake callback ran (an application command).
//       It does the IO possible now and returns everything the loop needs:
//         interest     what to wait for now (readable, writable, both,
//                      neither); watch the fd for exactly that
//         deadline     when to call Drive() even if the socket is quiet
//         drive_again  Drive() stopped at its read budget with bytes known
//                      to be waiting: call it again soon, without waiting
//                      for readiness (an edge-triggered or uv_poll user
//                      gets no new edge for those bytes)
//         finished     the flow is finished: stop watching fd(), then call
//                      CloseTransport()
//   fd()  the socket to watch.
//
// Application commands go through the driver (Write, Writev, Close, Abort,
// Read, PollEvent), never to the flow directly (flow() is const): each
// command that leaves IO to do calls the `wake` callback given at
// construction, so the loop integration cannot forget the Drive() a
// command needs. `wake` runs inside the command: it should only schedule
// the Drive (mark the flow dirty, uv_async_send, asio::post), not run it.
//
// Readiness may be level- or edge-triggered: the driver remembers what it
// was told (readable, writable) until EAGAIN says the socket is drained (or
// a short send says it is full), and `interest` asks only for what it does
// not already know. A loop that registers the fd edge-triggered for both
// directions once may ignore `interest`; every other loop watches exactly
// `interest` (poll(2), uv_poll_start, async_wait). A loop whose poll reports
// hang-ups even for an fd with no interest (poll(2) reports POLLHUP always)
// should stop watching the fd while `interest` is kNone, or it will wake up
// for nothing.
//
// Several flows on one loop: the flow's kReadable event is edge-triggered
// (reported at most once until polled), so on kReadable the application
// must read until WouldBlock, or data already in the flow raises no new
// event while the socket stays quiet. A flow whose application has made
// room (by reading) asks for more through the wake callback.
//
// Memory: a few bytes beyond the Flow. When a read finds the socket drained
// (EAGAIN) the flow's unused receive block is released, so an idle flow
// holds none.
//
// Thread-compatible: the driver and its flow are used by one thread at a
// time (the wake callback runs on the thread that gave the command).
#ifndef HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_
#define HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
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

// Everything a loop needs to know after Drive().
struct DriveResult {
  Readiness interest = Readiness::kNone;
  std::optional<absl::Time> deadline;
  bool drive_again = false;
  bool finished = false;
};

// Counters, for tests and benchmarks.
struct SocketDriverStats {
  uint32_t reads = 0;        // read() calls that returned bytes
  uint32_t sends = 0;        // sendmsg() calls that sent bytes
  uint32_t short_sends = 0;  // ... of which sent less than offered
  uint32_t would_block = 0;  // EAGAIN results, both directions
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
  // `wake` is called when an application command leaves IO to do (see the
  // header comment); it may be empty only if the caller drives after every
  // command itself (tests).
  SocketDriver(Flow flow, UniqueFd fd, absl::AnyInvocable<void()> wake);

  SocketDriver(const SocketDriver&) = delete;
  SocketDriver& operator=(const SocketDriver&) = delete;

  // ── The seam ────────────────────────────────────────────────────────
  // The socket; -1 after CloseTransport().
  int fd() const { return fd_.get(); }
  // Does whatever IO is possible now; see the header comment. `ready` is
  // what the loop observed (kNone for a timer, a wake or drive_again).
  DriveResult Drive(absl::Time now, Readiness ready = Readiness::kNone);
  // Closes the socket. After a failure, it first sets SO_LINGER to zero so
  // that a TCP peer sees a reset rather than a clean end. Idempotent.
  void CloseTransport();

  // ── Application commands (each wakes the loop when IO is due) ──────
  absl::Status Write(absl::Cord data);
  absl::Status Write(absl::string_view data);
  absl::Status Writev(absl::Span<absl::Cord> buffers);
  // Starts the close at `now` (see Flow::Close).
  absl::Status Close(absl::Time now);
  void Abort();
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX);
  std::optional<FlowEvent> PollEvent() { return flow_.PollEvent(); }

  // ── Getters ─────────────────────────────────────────────────────────
  const Flow& flow() const { return flow_; }
  const SocketDriverStats& stats() const { return stats_; }

 private:
  void Send();
  void Receive();
  void SendFailed(int error, const char* what);
  void CheckSocketError();
  void Fail(int error, const char* what);
  void DoIo(absl::Time now, Readiness ready);
  Readiness Interest() const;
  bool WantsDrive() const;
  // An application command changed something: the loop must drive.
  void Wake() {
    if (wake_) wake_();
  }

  Flow flow_;
  absl::AnyInvocable<void()> wake_;
  UniqueFd fd_;
  SocketDriverStats stats_;
  bool readable_ = true;  // not known to be drained: try reading
  bool writable_ = true;  // not known to be full: try sending
  bool eof_ = false;      // read() returned 0
  bool budget_spent_ = false;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_SOCKET_DRIVER_H_
