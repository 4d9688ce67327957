// The seam between Winsock drivers and an event loop, and overlapped
// operations as that seam sees them.
//
// Windows event loops are built on an I/O completion port: sockets are
// associated with the port, overlapped operations complete into it, and the
// loop dequeues the completions. Any loop can run the drivers here if it
//  * associates their sockets with its completion port (Attach), and stops
//    counting them when they are done (Detach);
//  * passes every dequeued OVERLAPPED that belongs to them to
//    DispatchCompletion(), on the loop's thread;
//  * calls each watched DeadlineWatcher's OnDeadline(now) once its
//    NextDeadline() has passed (early calls are harmless), asking for
//    NextDeadline() again after every dispatch;
//  * tells the time (Now()), which never goes backwards.
// IocpLoop (winsock_iocp_loop.h) is the reference loop; an application with
// its own loop (Asio's, libuv's, a hand-written one) implements IoLoop.
// This mirrors the posix backend's seam (descriptor, interest, on-ready,
// deadline), translated to completions instead of readiness.
//
// Windows only. Thread-safety: everything runs on the loop's one thread.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_IO_LOOP_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_IO_LOOP_H_

// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <windows.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hvsock {

// One overlapped operation of a driver. The OVERLAPPED is the first member,
// so the loop's OVERLAPPED* is the operation. `socket` is the socket it was
// issued on (to read its result); `on_complete` gets the byte count and the
// Winsock error (0 on success, WSA_OPERATION_ABORTED when cancelled).
struct IoOperation {
  OVERLAPPED overlapped = {};
  SOCKET socket = INVALID_SOCKET;
  void (*on_complete)(IoOperation* operation, DWORD bytes, int error) = nullptr;
  void* owner = nullptr;  // the driver, for on_complete
  bool pending = false;   // issued and not yet completed

  // Clears the OVERLAPPED for a new operation and marks it pending.
  void Start() {
    overlapped = {};
    pending = true;
  }
  static IoOperation* FromOverlapped(OVERLAPPED* overlapped) {
    return reinterpret_cast<IoOperation*>(overlapped);
  }
};

// Makes `operation` one of `owner`'s operations on `socket`: its
// completion calls (owner->*kOnComplete)(bytes, error).
template <auto kOnComplete, typename Owner>
void BindOperation(IoOperation& operation, SOCKET socket, Owner* owner) {
  operation.socket = socket;
  operation.owner = owner;
  operation.on_complete = [](IoOperation* op, DWORD bytes, int error) {
    (static_cast<Owner*>(op->owner)->*kOnComplete)(bytes, error);
  };
}

// Completes the operation that `overlapped` belongs to (any OVERLAPPED a
// driver here issued): reads its result and calls its on_complete.
void DispatchCompletion(OVERLAPPED* overlapped);

class DeadlineWatcher {
 public:
  virtual ~DeadlineWatcher() = default;
  virtual std::optional<absl::Time> NextDeadline() const = 0;
  virtual void OnDeadline(absl::Time now) = 0;
};

class IoLoop {
 public:
  virtual ~IoLoop() = default;
  // Associates `socket` with the loop's completion port (completion key 0).
  // A socket already attached (for example one the connector hands over to
  // a WinsockFlow) stays attached: the call succeeds and changes nothing.
  virtual absl::Status Attach(SOCKET socket) = 0;
  // `socket`, attached earlier, has no operation in flight and is about to
  // be closed.
  virtual void Detach(SOCKET socket) = 0;
  virtual void WatchDeadline(DeadlineWatcher* watcher) = 0;
  virtual void UnwatchDeadline(DeadlineWatcher* watcher) = 0;
  virtual absl::Time Now() = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_IO_LOOP_H_
