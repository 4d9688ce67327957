// IocpLoop: the reference event loop for the Winsock drivers, a single
// I/O completion port with deadlines; the Winsock Loop (backends/loop.h).
//
// RunOnce(max_wait) waits for completions (GetQueuedCompletionStatusEx, up
// to a batch at a time) no longer than max_wait or the earliest watched
// deadline, dispatches them, then fires the deadlines that have passed.
// RunUntil(done, limit) (Loop's) repeats that until `done()` holds or fails
// with DeadlineExceeded once `limit` has passed, so every wait is bounded.
// Wake() makes a waiting RunOnce return (the one call that is safe from another
// thread).
//
// Destroying the loop first runs it (for at most a few seconds) until every
// attached socket has detached, so drivers destroyed just before it can
// finish their cancelled operations.
//
// Post(callback) is the thread-safe way in, as EventLoop::Post is on posix:
// callable from any thread, the callback runs on the loop's thread during
// a coming RunOnce (a completion packet, PostQueuedCompletionStatus, wakes
// a waiting loop), callbacks posted from one thread run in order, and a
// Post that returns true runs exactly once. The destructor first closes
// posting (later Posts, through a LoopPoster that outlives the loop or
// racing with the destructor, return false and destroy their callback
// unrun on the posting thread), then runs the callbacks still queued, on
// the destroying thread, before anything else is torn down.
//
// Windows only. Thread-safety: one thread runs the loop and all drivers on
// it; Wake(), Post() and poster() may be called from any thread.
#ifndef HVSOCK_BACKENDS_WINSOCK_WINSOCK_IOCP_LOOP_H_
#define HVSOCK_BACKENDS_WINSOCK_WINSOCK_IOCP_LOOP_H_

// <winsock2.h> comes before <windows.h>, in a block of its own.
#include <winsock2.h>

#include <windows.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/loop.h"
#include "backends/post_queue.h"
#include "backends/winsock/winsock_io_loop.h"

namespace hvsock {

class IocpLoop : public IoLoop, public Loop {
 public:
  static absl::StatusOr<std::unique_ptr<IocpLoop>> Create();
  ~IocpLoop() override;
  IocpLoop(const IocpLoop&) = delete;
  IocpLoop& operator=(const IocpLoop&) = delete;

  // Loop. RunOnce fails only if the completion port cannot be waited on.
  absl::Status RunOnce(absl::Duration max_wait) override;
  // Completions dispatched by RunOnce so far.
  uint64_t dispatched_completions() const { return dispatched_; }
  void Wake();
  // Runs `callback` on the loop's thread during a coming RunOnce. False
  // only once the loop is being destroyed (the callback is destroyed unrun).
  bool Post(PostedCallback callback) override {
    return posts_->Post(std::move(callback));
  }
  // A handle for posting that may outlive the loop (Post then fails).
  LoopPoster poster() const override { return LoopPoster(posts_); }

  size_t attached_sockets() const { return attached_.size(); }

  // IoLoop
  absl::Status Attach(SOCKET socket) override;
  void Detach(SOCKET socket) override;
  void WatchDeadline(DeadlineWatcher* watcher) override;
  void UnwatchDeadline(DeadlineWatcher* watcher) override;
  // The clock of both IoLoop and Loop.
  absl::Time Now() override;

 private:
  explicit IocpLoop(HANDLE port);
  void FireDeadlines();

  HANDLE port_;
  // Wakes the port with a packet whose key is kPostKey (posix: an eventfd).
  std::shared_ptr<PostQueue> posts_;
  std::set<SOCKET> attached_;
  std::vector<DeadlineWatcher*> watchers_;
  absl::Time last_now_ = absl::InfinitePast();
  uint64_t dispatched_ = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_WINSOCK_WINSOCK_IOCP_LOOP_H_
