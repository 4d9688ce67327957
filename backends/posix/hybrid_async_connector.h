// ConnectVmmAsync: ConnectVmm() (hybrid_connector.h) on an EventLoop,
// without blocking the loop's thread: the same options, handshake, retries
// and errors. Each attempt's socket is an FdWatch on the loop; the timeout
// and the backoff are the loop's timers.
//
// The callback runs exactly once, on the loop's thread, from a later pass
// of the loop (never from inside ConnectVmmAsync()), with the connection
// (run a flow over its socket: EventLoop::AddFlow) or the failure.
// ConnectOptions::on_retry, if set, also runs on the loop's thread.
//
// Cancelling: destroying the returned PendingVmmConnect, or Cancel(), stops
// the connect (closing its socket) without a callback; both are safe from
// any of the loop's callbacks. A PendingVmmConnect must be destroyed or
// cancelled before its loop is destroyed.
//
// Thread-compatible: use it on the loop's thread.
#ifndef HVSOCK_BACKENDS_POSIX_HYBRID_ASYNC_CONNECTOR_H_
#define HVSOCK_BACKENDS_POSIX_HYBRID_ASYNC_CONNECTOR_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/hybrid_connection.h"
#include "backends/posix/hybrid_paths.h"

namespace hvsock {

using VmmConnectCallback =
    absl::AnyInvocable<void(absl::StatusOr<VmmConnection>)>;

namespace internal {
class AsyncVmmConnect;
}  // namespace internal

// A connect started by ConnectVmmAsync(). Move-only; empty when
// default-constructed or moved from.
class PendingVmmConnect {
 public:
  PendingVmmConnect();
  PendingVmmConnect(PendingVmmConnect&&) noexcept;
  PendingVmmConnect& operator=(PendingVmmConnect&&) noexcept;
  ~PendingVmmConnect();  // Cancel()

  // Stops the connect if it has not finished: no callback.
  void Cancel();
  // True from ConnectVmmAsync() until the callback starts or Cancel().
  bool pending() const;

 private:
  friend PendingVmmConnect ConnectVmmAsync(EventLoop&, const VmmSocketAddress&,
                                           const ConnectOptions&,
                                           VmmConnectCallback);
  explicit PendingVmmConnect(std::unique_ptr<internal::AsyncVmmConnect> c);

  std::unique_ptr<internal::AsyncVmmConnect> connect_;
};

[[nodiscard]] PendingVmmConnect ConnectVmmAsync(EventLoop& loop,
                                                const VmmSocketAddress& address,
                                                const ConnectOptions& options,
                                                VmmConnectCallback done);

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_HYBRID_ASYNC_CONNECTOR_H_
