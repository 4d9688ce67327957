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
// Thread-compatible: one thread runs the loop and uses its flows. There is
// no cross-thread wake-up.
#ifndef HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_
#define HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <sys/epoll.h>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "backends/posix/socket_driver.h"
#include "backends/posix/unique_fd.h"
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

class LoopFlow;
using FlowCallback = absl::AnyInvocable<void(LoopFlow&, FlowEvent)>;

// A flow run by an EventLoop. Obtained from EventLoop::AddFlow; owned by
// the loop.
class LoopFlow : private internal::LoopEntry {
 public:
  LoopFlow(const LoopFlow&) = delete;
  LoopFlow& operator=(const LoopFlow&) = delete;

  // ── Commands: Flow's, plus scheduling the IO they need ───────────────
  absl::Status Write(absl::Cord data);
  absl::Status Write(absl::string_view data) { return Write(absl::Cord(data)); }
  absl::Status Writev(absl::Span<absl::Cord> buffers);
  // Flow::Close with the loop's clock.
  absl::Status Close();
  void Abort();
  absl::StatusOr<ReadResult> Read(size_t max_bytes = SIZE_MAX);

  // The flow itself, for getters. After calling a command on it directly,
  // call Kick() so the loop does the IO.
  Flow& flow() { return flow_; }
  const Flow& flow() const { return flow_; }
  void Kick();
  const SocketDriver& driver() const { return driver_; }

  // The application is done with this flow: it is aborted unless finished,
  // its socket closed, and its memory reclaimed after the current pass. No
  // more callbacks. The pointer must not be used afterwards.
  void Release();

 private:
  friend class EventLoop;
  LoopFlow(EventLoop& loop, const FlowOptions& options, UniqueFd fd,
           FlowCallback on_event);

  EventLoop& loop_;
  Flow flow_;
  SocketDriver driver_;
  FlowCallback on_event_;
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

class EventLoop {
 public:
  struct Options {
    // The loop's clock; tests may substitute one.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // Most epoll events handled per pass.
    int max_events = 256;
  };

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(Options options);
  ~EventLoop();  // releases every flow and watch still registered

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs a flow over `fd`, a connected stream socket (made non-blocking if
  // it is not). `on_event` is called on this loop's thread with each of the
  // flow's events. Fails if `options` are invalid or epoll refuses `fd`.
  absl::StatusOr<LoopFlow*> AddFlow(UniqueFd fd, const FlowOptions& options,
                                    FlowCallback on_event);

  // Watches `fd` (not owned). Fails if epoll refuses it (regular files and
  // /dev/null cannot be watched: they are always ready).
  absl::StatusOr<FdWatch*> Watch(int fd, Readiness interest,
                                 FdWatch::Callback callback);

  // One pass: IO for flows that need it, then wait at most `max_wait` (less
  // if a deadline is due sooner; not at all if that IO happened or more is
  // pending) for readiness, handle it, and fire due deadlines.
  absl::Status RunOnce(absl::Duration max_wait = absl::InfiniteDuration());
  // Passes until `done()` is true (checked before each pass). Fails with
  // DeadlineExceeded if that takes longer than `limit`.
  absl::Status RunUntil(const std::function<bool()>& done,
                        absl::Duration limit = absl::InfiniteDuration());
  // Passes until Stop() is called.
  absl::Status Run();
  void Stop() { stopped_ = true; }

  absl::Time Now() const { return options_.clock(); }
  size_t flow_count() const { return flow_count_; }

 private:
  friend class LoopFlow;
  friend class FdWatch;
  EventLoop(Options options, UniqueFd epoll);

  void MarkDirty(LoopFlow* flow);
  void Service(LoopFlow* flow, absl::Time now, Readiness ready);
  void Rearm(LoopFlow* flow);
  void ReleaseFlow(LoopFlow* flow);
  void ReleaseWatch(FdWatch* watch);
  int WaitMilliseconds(absl::Time now, absl::Duration max_wait) const;

  Options options_;
  UniqueFd epoll_;
  bool stopped_ = false;
  size_t flow_count_ = 0;
  LoopFlow* flows_ = nullptr;          // live flows, a doubly linked list
  std::vector<FdWatch*> watches_;      // live watches
  std::vector<LoopFlow*> dirty_;       // flows needing IO this pass
  std::set<std::pair<absl::Time, LoopFlow*>> timers_;
  std::vector<std::unique_ptr<LoopFlow>> released_flows_;
  std::vector<std::unique_ptr<FdWatch>> released_watches_;
  std::vector<epoll_event> events_;    // epoll_wait's output
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_EVENT_LOOP_H_
