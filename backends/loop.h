// Loop: what an application holds for the event loop that runs its flows,
// whatever the platform: the posix EventLoop (epoll) and the Winsock
// IocpLoop (an I/O completion port) both implement it.
//
// RunOnce(max_wait) is one pass: the IO that is due, a wait for readiness
// or completions of at most max_wait (less if a deadline comes sooner),
// their handling, then the deadlines that have passed. RunUntil repeats it
// until a condition holds, bounded by a limit. Post is the one way in from
// other threads: the callback runs exactly once on the loop's thread
// during a coming pass (waking a sleeping loop), callbacks posted from one
// thread run in the order posted, and a Post that returns false (the loop
// is being destroyed) destroys its callback unrun. Now() is the loop's
// clock, the one its flows' timeouts are measured with; it never goes
// backwards.
//
// How flows, listeners and connects are added is per backend (they take
// the backend's socket types); what they hand the application is a
// FlowHandle (backends/flow_handle.h).
//
// Thread-safety: Post and poster() from any thread; everything else on the
// one thread that runs the loop.
#ifndef HVSOCK_BACKENDS_LOOP_H_
#define HVSOCK_BACKENDS_LOOP_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/post_queue.h"

namespace hvsock {

class Loop {
 public:
  virtual ~Loop() = default;

  // One pass (see above). Fails only if the loop itself cannot wait (the
  // platform's wait call failed).
  virtual absl::Status RunOnce(absl::Duration max_wait) = 0;

  // Passes until `done()` is true (checked before each pass). Fails with
  // DeadlineExceeded, saying how long it waited, if that takes longer than
  // `limit` by the loop's clock; with RunOnce's error if a pass fails.
  absl::Status RunUntil(const std::function<bool()>& done,
                        absl::Duration limit = absl::InfiniteDuration());

  // Runs `callback` on this loop's thread during a coming pass, waking the
  // loop if it sleeps; never from inside Post. Any thread. False only once
  // the loop is being destroyed (the callback is then destroyed unrun).
  virtual bool Post(PostedCallback callback) = 0;
  // A handle for posting that may outlive the loop (Post then fails).
  virtual LoopPoster poster() const = 0;

  // The loop's clock.
  virtual absl::Time Now() = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_LOOP_H_
