// LoopGroup: flows on every core. N EventLoops, each run by its own thread,
// and one listener whose accepted connections are spread over them.
//
// Create(n) makes the loops; until Start() the controlling thread may set
// them up directly (Watch, AddFlow, AddTimer on loop(i)), and Serve() puts
// a listener on loop 0. Start() runs each loop on its own thread until
// Stop(). From then on everything on a loop is used on that loop's thread
// only: reach it with Post(i, callback) (EventLoop::Post), from any thread.
//
// Spreading connections: Serve(listener, adopt) watches the listener on
// loop 0. Each connection accepted there goes to the next loop in turn
// (round-robin, NextLoop()) by a Post, and `adopt(index, loop, connection)`
// runs on that loop's thread, typically to AddFlow the connection. Round
// robin rather than least-loaded: a hand-off reads nothing of the other
// loops, and every loop gets within one connection of the others' count,
// which balances connections of similar weight (hvstress, a port
// forwarder); an application whose connections differ widely can Post to
// a loop of its own choosing.
// A connection whose hand-off runs once Stop() has begun is closed
// unadopted (even if the hand-off runs in a loop's destructor), so `adopt`
// never sees a loop, or state the caller tears down after Stop(), going
// away.
//
// Stop() posts Stop() to every loop and joins the threads. The loops then
// still exist, idle: the controlling thread may tear down what it put on
// them (release flows, destroy servers) before destroying the group, which
// stops it if needed and destroys the loops (see ~EventLoop for posts left
// behind).
//
// Thread-safety: Create, loop() before Start, Serve, Start, Stop and the
// destructor from one controlling thread; Post and NextLoop from any
// thread; `adopt` is called on the loops' threads, concurrently when there
// are several.
#ifndef HVSOCK_BACKENDS_POSIX_LOOP_GROUP_H_
#define HVSOCK_BACKENDS_POSIX_LOOP_GROUP_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"

namespace hvsock {

class LoopGroup {
 public:
  // Called on the chosen loop's thread with each accepted connection.
  using Adopt = std::function<void(size_t index, EventLoop& loop,
                                   AcceptedConnection connection)>;
  // Called on loop 0's thread when Accept() fails (the listener stays
  // watched: such errors, EMFILE for one, may be transient).
  using AcceptError = std::function<void(const absl::Status& error)>;

  // `loops` >= 1; InvalidArgument otherwise.
  static absl::StatusOr<std::unique_ptr<LoopGroup>> Create(size_t loops);
  ~LoopGroup();  // Stop(), then the loops are destroyed in index order

  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  size_t size() const { return loops_.size(); }
  // Loop `index`. Use it directly only before Start() or after Stop().
  EventLoop& loop(size_t index) { return *loops_[index]; }

  // Before Start(): watches `listener` (which must outlive the running
  // group) on loop 0 and spreads its connections as described above.
  absl::Status Serve(Listener& listener, Adopt adopt,
                     AcceptError on_error = nullptr);

  // Runs every loop on its own thread. Once.
  void Start();

  // EventLoop::Post on loop `index`.
  bool Post(size_t index, PostedCallback callback) {
    return loops_[index]->Post(std::move(callback));
  }
  // The index the next round-robin hand-off goes to, advancing it.
  size_t NextLoop() {
    return next_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
  }

  // Stops every loop and joins its thread. The first loop error, if a loop
  // failed (it stopped then; the others ran on).
  absl::Status Stop();

 private:
  explicit LoopGroup(std::vector<std::unique_ptr<EventLoop>> loops);
  void AcceptAll();

  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::thread> threads_;
  std::vector<absl::Status> results_;  // each loop's Run(), once joined
  std::atomic<size_t> next_{0};
  std::atomic<bool> stopping_{false};  // set by Stop(); hand-offs then drop
  Listener* listener_ = nullptr;
  Adopt adopt_;
  AcceptError on_error_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_LOOP_GROUP_H_
