// EventLoop: a small reference event loop on epoll that runs many flows on
// one thread.
//
// Each flow is a LoopFlow: a Flow, the SocketDriver that moves its bytes,
// and the application's callback, which the loop calls with every
// FlowEvent (kReadable, kWritable, kCloseCompleted, kFailed). Sockets are
// registered once, edge-triggered; the flows' deadlines (close timeouts) are
// the loop's timers. Other descriptors (listening sockets, pipes) can be
// watched with FdWatch, level-triggered.
//
// The loop never calls back from inside a command: LoopFlow::Write(),
// Close(), Read() and Abort() only record that the flow needs IO, and the
// loop does it (and delivers the resulting events) on its next pass. The
// callback may do anything with its flow, other flows and watches,
// including releasing them.
//
// Fairness: a flow reads at most SocketDriver::kReadBudget bytes per pass;
// a busy flow is then revisited without waiting, after the others.
//
// Lifetime: the loop owns its LoopFlows and FdWatches. Release() ends one
// (its memory is reclaimed when the current pass finishes, so it is safe to
// call from a callback); destroying the loop releases all that remain.
//
// Timers: AddTimer(when, callback) runs a callback once on the loop's
// thread, at the end of a pass that finds `when` reached by the loop's
// clock (AddTimer says which). It returns a LoopTimer handle; destroying or
// cancelling the handle before then means the callback never runs. A handle
// must not outlive its loop.
//
// Other threads: Post(callback) (or a LoopPoster from poster()) is the one
// way in. It is callable from any thread; the callback runs on the loop's
// thread during the next pass, among that pass's readiness events (an
// eventfd in the epoll set wakes even a loop asleep in epoll_wait); the IO
// it asks for (a LoopFlow::Write) happens on the pass after. Callbacks
// posted from one thread run in the order posted. A post is
// never lost: if Post returns true the callback runs exactly once, either
// on a pass or, if the loop is destroyed first, in the destructor (see
// ~EventLoop). To write to a flow from a worker thread, post a callback
// that writes; to stop a loop from another thread, post Stop().
//
// Thread-safety: Post and poster() from any thread; everything else
// (flows, watches, timers, Run, Stop) on the one thread that runs the loop.
#ifndef HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_
#define HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_

#include <sys/epoll.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "backends/flow_handle.h"
#include "backends/loop.h"
#include "backends/posix/socket_driver.h"
#include "backends/posix/unique_fd.h"
#include "backends/post_queue.h"
#include "core/flow.h"

namespace hvsock {

class EventLoop;

namespace internal {
// What an epoll registration points at.
struct LoopEntry {
  enum class Kind : uint8_t { kFlow, kWatch };
  explicit LoopEntry(Kind k) : kind(k) {}
  Kind kind;
  bool released = false;
};
}  // namespace internal

// A flow run by an EventLoop: the posix FlowHandle (backends/flow_handle.h).
// Obtained from EventLoop::AddFlow; owned by the loop.
class LoopFlow : public FlowHandle, private internal::LoopEntry {
 public:
  LoopFlow(const LoopFlow&) = delete;
  LoopFlow& operator=(const LoopFlow&) = delete;

  // ── FlowHandle: Flow's commands, plus scheduling the IO they need ─────
  absl::Status Write(absl::Cord data) override;
  // Copies `data` (small writes straight into the send queue's tail).
  absl::Status Write(absl::string_view data) override;
  absl::Status Writev(absl::Span<absl::Cord> buffers) override;
  absl::Status Close() override;
  void Abort() override;
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX) override;
  const Flow& flow() const override { return driver_.flow(); }

  // The LoopFlow behind the handle that an EventLoop passes to its flows'
  // callbacks (for Release() and driver()). Only for those handles.
  static LoopFlow& Of(FlowHandle& handle) {
    return static_cast<LoopFlow&>(handle);
  }
  const SocketDriver& driver() const { return driver_; }

  // The application is done with this flow: it is aborted unless finished,
  // its socket closed, and its memory reclaimed after the current pass. No
  // more callbacks. The pointer must not be used afterwards.
  void Release();

 private:
  friend class EventLoop;
  LoopFlow(EventLoop& loop, Flow flow, UniqueFd fd, FlowEventCallback on_event);

  EventLoop& loop_;
  SocketDriver driver_;  // owns the flow; its wake marks this flow dirty
  FlowEventCallback on_event_;
  absl::Time armed_deadline_ = absl::InfiniteFuture();
  bool dirty_ = false;
  LoopFlow* prev_ = nullptr;  // the loop's list of live flows
  LoopFlow* next_ = nullptr;
};

// A watched descriptor that is not a flow (a listening socket, a pipe).
// Level-triggered: the callback runs on every pass while the descriptor is
// ready for something in interest(); errors and hang-ups are always
// reported (as Readiness::kError).
class FdWatch : private internal::LoopEntry {
 public:
  using Callback = absl::AnyInvocable<void(Readiness)>;

  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  int fd() const { return fd_; }
  Readiness interest() const { return interest_; }
  absl::Status SetInterest(Readiness interest);
  // Stops watching (the descriptor is not closed). Safe from a callback;
  // the pointer must not be used afterwards.
  void Release();

 private:
  friend class EventLoop;
  FdWatch(EventLoop& loop, int fd, Readiness interest, Callback callback)
      : LoopEntry(Kind::kWatch),
        loop_(loop),
        fd_(fd),
        interest_(interest),
        callback_(std::move(callback)) {}

  EventLoop& loop_;
  int fd_;
  Readiness interest_;
  Callback callback_;
};

// A one-shot timer from EventLoop::AddTimer. Move-only; an empty handle
// (default-constructed, moved from, fired or cancelled) does nothing.
// Destroying the handle cancels the timer, so keep it for as long as the
// callback should run. Cancel() and the destructor are safe from any of the
// loop's callbacks, including the timer's own (then they do nothing: a
// timer that is firing is no longer pending). The handle must be destroyed
// or cancelled before its loop is destroyed.
class LoopTimer {
 public:
  LoopTimer() = default;
  LoopTimer(LoopTimer&& other) noexcept
      : loop_(std::exchange(other.loop_, nullptr)), id_(other.id_) {}
  LoopTimer& operator=(LoopTimer&& other) noexcept;
  ~LoopTimer() { Cancel(); }

  // The callback will not run (if it has not started already).
  void Cancel();
  // True until the timer fires or is cancelled.
  bool pending() const;

 private:
  friend class EventLoop;
  LoopTimer(EventLoop* loop, uint64_t id) : loop_(loop), id_(id) {}

  EventLoop* loop_ = nullptr;  // null when empty
  uint64_t id_ = 0;
};

// The posix Loop (backends/loop.h).
class EventLoop : public Loop {
 public:
  struct Options {
    // The loop's clock; tests may substitute one.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // Most epoll events handled per pass.
    int max_events = 256;
  };

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(Options options);
  // First closes posting: a Post from now on (through a LoopPoster that
  // outlives the loop, or racing with this destructor) returns false and
  // its callback is destroyed unrun on the posting thread. Then runs, on
  // the destroying thread, the callbacks posted earlier and not yet run,
  // in order, while every flow and watch still exists. Then releases every
  // flow and watch still registered. Destroy the loop on its own thread
  // (or after that thread has stopped running it).
  ~EventLoop() override;

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs a flow over `fd`, a connected stream socket (made non-blocking if
  // it is not). `on_event` is called on this loop's thread with each of the
  // flow's events. Fails if `options` are invalid or epoll refuses `fd`.
  absl::StatusOr<LoopFlow*> AddFlow(UniqueFd fd, const FlowOptions& options,
                                    FlowEventCallback on_event);

  // Watches `fd` (not owned). Fails if epoll refuses it (regular files and
  // /dev/null cannot be watched: they are always ready).
  absl::StatusOr<FdWatch*> Watch(int fd, Readiness interest,
                                 FdWatch::Callback callback);

  // Runs `callback` once on this loop's thread, at the end of the first
  // pass (after its IO and readiness) whose clock reading is at or after
  // `when`; never from inside AddTimer. Timers due in the same pass fire in
  // order of `when`, then in the order they were added; a timer added by a
  // timer's callback waits for a later pass, even if already due. The loop
  // waits no longer than until the earliest pending timer. Cancel by
  // destroying or cancelling the returned handle.
  [[nodiscard]] LoopTimer AddTimer(absl::Time when,
                                   absl::AnyInvocable<void()> callback);
  size_t timer_count() const { return timer_times_.size(); }

  // One pass: IO for flows that need it, then wait at most `max_wait` (less
  // if a deadline or timer is due sooner; not at all if that IO happened or
  // more is pending) for readiness, handle it, and fire due deadlines and
  // timers.
  absl::Status RunOnce(
      absl::Duration max_wait = absl::InfiniteDuration()) override;
  // RunUntil (Loop's): passes until `done()` is true.
  // Passes until Stop() is called.
  absl::Status Run();
  // On the loop's thread; from another, Post([loop] { loop->Stop(); }).
  void Stop() { stopped_ = true; }

  // Runs `callback` on this loop's thread on a coming pass, waking the loop
  // if it sleeps; never from inside Post. Any thread. False only once the
  // loop is being destroyed (the callback is then destroyed unrun).
  bool Post(PostedCallback callback) override {
    return posts_->Post(std::move(callback));
  }
  // A handle for posting that may outlive the loop (Post then fails).
  LoopPoster poster() const override { return LoopPoster(posts_); }

  absl::Time Now() override { return options_.clock(); }
  size_t flow_count() const { return flow_count_; }

 private:
  friend class LoopFlow;
  friend class FdWatch;
  friend class LoopTimer;
  EventLoop(Options options, UniqueFd epoll, UniqueFd wake);
  void RunPosted();

  void CancelTimer(uint64_t id);
  void FireDueTimers(absl::Time now);

  void MarkDirty(LoopFlow* flow);
  void Service(LoopFlow* flow, absl::Time now, Readiness ready);
  void Rearm(LoopFlow* flow, std::optional<absl::Time> deadline);
  void ReleaseFlow(LoopFlow* flow);
  void ReleaseWatch(FdWatch* watch);
  int WaitMilliseconds(absl::Time now, absl::Duration max_wait) const;

  Options options_;
  UniqueFd epoll_;
  // An eventfd in epoll_ (registered with a null data.ptr): written by the
  // first Post after each RunPosted().
  UniqueFd wake_;
  std::shared_ptr<PostQueue> posts_;
  bool stopped_ = false;
  size_t flow_count_ = 0;
  LoopFlow* flows_ = nullptr;      // live flows, a doubly linked list
  std::vector<FdWatch*> watches_;  // live watches
  std::vector<LoopFlow*> dirty_;   // flows needing IO this pass
  std::set<std::pair<absl::Time, LoopFlow*>> timers_;  // flow deadlines
  // AddTimer's timers, keyed by (when, id): ids grow, so equal times fire
  // in the order they were added. timer_times_ finds a timer by id.
  std::map<std::pair<absl::Time, uint64_t>, absl::AnyInvocable<void()>>
      app_timers_;
  std::unordered_map<uint64_t, absl::Time> timer_times_;
  uint64_t next_timer_id_ = 1;
  std::vector<std::unique_ptr<LoopFlow>> released_flows_;
  std::vector<std::unique_ptr<FdWatch>> released_watches_;
  std::vector<epoll_event> events_;  // epoll_wait's output
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_
