// PostQueue: the thread-safe way into an event loop. Any thread posts a
// callback; the loop's thread takes the posted callbacks and runs them.
//
// It is the part of EventLoop::Post (posix, eventfd) and IocpLoop::Post
// (Windows, PostQueuedCompletionStatus) that does not depend on the
// platform: a queue under a mutex and the rule for when to wake the loop.
// The loop supplies `wake`, which makes its wait return (writes its
// eventfd, posts a completion packet).
//
// Never loses a post: `wake` is called by the first Post after each Take()
// (so at most once per batch, however many threads post), and a Post that
// returns true has put its callback where the loop's next Take() finds it.
// A loop that sleeps only while its wake signal is unconsumed, and that
// consumes the signal *before* calling Take(), therefore always wakes for a
// queued callback (a signal consumed early can only cause a spurious wake,
// never a missed one).
//
// Close() ends posting: later Posts return false and destroy their callback
// on the posting thread, without running it. Close() returns the callbacks
// that were queued and not yet taken, for the loop to run or drop (its
// header says which).
//
// Thread-safe: Post and wake_pending from any thread; Take and Close from
// the loop's thread. Shared (std::shared_ptr) between a loop and the
// LoopPoster handles it gives out, so a handle may outlive the loop: its
// Posts then return false. `wake` is called with the queue's lock held, so
// it must not post; it is never called after Close().
#ifndef HVSOCK_BACKENDS_POST_QUEUE_H_
#define HVSOCK_BACKENDS_POST_QUEUE_H_

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace hvsock {

using PostedCallback = absl::AnyInvocable<void() &&>;

class PostQueue {
 public:
  explicit PostQueue(absl::AnyInvocable<void()> wake)
      : wake_(std::move(wake)) {}

  PostQueue(const PostQueue&) = delete;
  PostQueue& operator=(const PostQueue&) = delete;

  // Queues `callback` and wakes the loop if this is the first since the
  // last Take(). False (and `callback` destroyed, not run) after Close().
  bool Post(PostedCallback callback) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!closed_) {
        queued_.push_back(std::move(callback));
        if (!wake_pending_) {
          wake_pending_ = true;
          wake_();
        }
        return true;
      }
    }
    return false;  // `callback` is destroyed here, outside the lock
  }

  // True from the first Post after a Take() until the next Take(): a wake
  // signal is outstanding (or about to be) and there may be callbacks.
  bool wake_pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return wake_pending_;
  }

  // Everything posted so far, in the order posted; the next Post wakes the
  // loop again.
  std::vector<PostedCallback> Take() {
    std::vector<PostedCallback> taken;
    std::lock_guard<std::mutex> lock(mutex_);
    taken.swap(queued_);
    wake_pending_ = false;
    return taken;
  }

  // Refuses every later Post; returns what was queued and not taken.
  std::vector<PostedCallback> Close() {
    std::vector<PostedCallback> taken;
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    taken.swap(queued_);
    wake_pending_ = false;
    return taken;
  }

 private:
  mutable std::mutex mutex_;
  absl::AnyInvocable<void()> wake_;
  std::vector<PostedCallback> queued_;
  bool wake_pending_ = false;
  bool closed_ = false;
};

// A copyable, thread-safe handle that posts to one loop. It may outlive
// the loop: Post then returns false. An empty (default) handle refuses
// every post.
class LoopPoster {
 public:
  LoopPoster() = default;
  explicit LoopPoster(std::shared_ptr<PostQueue> queue)
      : queue_(std::move(queue)) {}

  // Runs `callback` on the loop's thread on its next pass; see the loop's
  // Post for what happens to posts while it is destroyed.
  bool Post(PostedCallback callback) const {
    return queue_ != nullptr && queue_->Post(std::move(callback));
  }

 private:
  std::shared_ptr<PostQueue> queue_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POST_QUEUE_H_
