// ConnectAsync: Connect() (connector.h) on an EventLoop, without blocking
// the loop's thread.
//
// The same connect as Connect(): the same ConnectOptions (a mandatory,
// finite timeout for the whole connect; retry_refused with exponential
// backoff; a full Unix backlog always retried) and the same error statuses
// and messages (see connector.h). Underneath, each attempt is a
// non-blocking connect whose socket an FdWatch watches for writability
// (then SO_ERROR says how it ended); the timeout and the backoff are the
// loop's timers (EventLoop::AddTimer). Nothing waits or sleeps.
//
// The callback runs exactly once, on the loop's thread, from a later pass
// of the loop (never from inside ConnectAsync(), even when the result is
// known at once: bad options, a missing socket file, a Unix connect that
// completes immediately), with a connected, non-blocking, close-on-exec
// socket or the failure. ConnectOptions::on_retry, if set, also runs on the
// loop's thread.
//
// Cancelling: destroying the returned PendingConnect, or calling Cancel(),
// stops the connect (closing its socket) without a callback. Both are safe
// from any of the loop's callbacks, including the connect's own callback
// (where they do nothing: the connect has finished). A PendingConnect must
// be destroyed or cancelled before its loop is destroyed.
//
// Thread-compatible: use it on the loop's thread.
#ifndef HVSOCK_BACKENDS_POSIX_ASYNC_CONNECTOR_H_
#define HVSOCK_BACKENDS_POSIX_ASYNC_CONNECTOR_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "backends/address.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"

namespace hvsock {

using ConnectCallback = absl::AnyInvocable<void(absl::StatusOr<UniqueFd>)>;

namespace internal {
class AsyncConnect;
}  // namespace internal

// A connect started by ConnectAsync(). Move-only; empty when
// default-constructed or moved from.
class PendingConnect {
 public:
  PendingConnect();
  PendingConnect(PendingConnect&&) noexcept;
  PendingConnect& operator=(PendingConnect&&) noexcept;
  ~PendingConnect();  // Cancel()

  // Stops the connect if it has not finished: no callback, its socket is
  // closed. The handle becomes empty.
  void Cancel();
  // True from ConnectAsync() until the callback starts or Cancel().
  bool pending() const;

 private:
  friend PendingConnect ConnectAsync(EventLoop&, const Address&,
                                     const ConnectOptions&, ConnectCallback);
  explicit PendingConnect(std::unique_ptr<internal::AsyncConnect> connect);

  std::unique_ptr<internal::AsyncConnect> connect_;
};

// Starts connecting to `address` on `loop`; `done` gets the result. Keep
// the returned handle for as long as the connect should go on.
[[nodiscard]] PendingConnect ConnectAsync(EventLoop& loop,
                                          const Address& address,
                                          const ConnectOptions& options,
                                          ConnectCallback done);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_ASYNC_CONNECTOR_H_
