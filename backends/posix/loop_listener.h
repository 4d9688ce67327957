// LoopListener: a Listener run by an EventLoop. It accepts every pending
// connection when the listening socket is readable and hands each to the
// application, and it keeps a server up when the process runs out of
// descriptors.
//
// Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM),
// accept fails while the waiting connections stay queued, and the
// listening socket stays readable: watched as usual, the loop would call
// accept again at once, forever, at 100 % CPU, serving nobody. Instead, on
// any accept error the LoopListener stops watching the socket and retries
// after a backoff (a loop timer: LoopListenerOptions::min_backoff, doubling
// on each failed retry up to max_backoff). An episode — from the first
// failure to the next accept that does not fail — is reported once when
// it starts (kAcceptPaused, with the error) and once when it ends
// (kAcceptResumed, with how long it lasted and how many retries failed), so
// a log gets two lines, not millions. Recovery needs nothing from the
// application: once descriptors free up (flows close) the next retry
// accepts the queued connections. The backlog keeps the waiting peers
// meanwhile (those beyond it are refused by the kernel).
//
// Callbacks run on the loop's thread. `on_accepted` may destroy the
// LoopListener (no more callbacks then); `on_report` must not. Destroying
// the LoopListener stops watching and destroys the Listener (which removes
// its Unix socket file).
//
// Thread-compatible: use it on its loop's thread only.
#ifndef HVSOCK_BACKENDS_POSIX_LOOP_LISTENER_H_
#define HVSOCK_BACKENDS_POSIX_LOOP_LISTENER_H_

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"

namespace hvsock {

// What a LoopListener tells the application about its accepting.
struct ListenerReport {
  enum class Kind {
    // Accept failed: accepting is paused and retried with backoff. `error`
    // is the failure (ResourceExhausted for EMFILE, ENFILE, ENOBUFS and
    // ENOMEM), naming the listener's URI. Once per episode.
    kAcceptPaused,
    // Accepting works again. `paused` is how long the episode lasted and
    // `failed_retries` how many retries failed in it.
    kAcceptResumed,
  };
  Kind kind = Kind::kAcceptPaused;
  absl::Status error;           // kAcceptPaused
  absl::Duration paused;        // kAcceptResumed
  uint64_t failed_retries = 0;  // kAcceptResumed
};

struct LoopListenerOptions {
  // The first retry's delay after an accept error, and the most it grows
  // to (doubling per failed retry).
  absl::Duration min_backoff = absl::Milliseconds(10);
  absl::Duration max_backoff = absl::Seconds(1);
  // Connections accepted per readiness, so that one busy listener cannot
  // starve the loop's flows; the rest wait for the next pass.
  int max_accepts_per_pass = 64;
  // Told about pauses and recoveries (see ListenerReport); may be empty.
  absl::AnyInvocable<void(const ListenerReport&)> on_report;
};

class LoopListener {
 public:
  using AcceptCallback = absl::AnyInvocable<void(AcceptedConnection)>;

  // Watches `listener` on `loop` (which must outlive the LoopListener) and
  // calls `on_accepted` with each admitted connection. InvalidArgument if
  // the backoffs are not 0 < min_backoff <= max_backoff or
  // max_accepts_per_pass < 1; errors from EventLoop::Watch.
  static absl::StatusOr<std::unique_ptr<LoopListener>> Start(
      EventLoop& loop, std::unique_ptr<Listener> listener,
      AcceptCallback on_accepted, LoopListenerOptions options = {});
  ~LoopListener();

  LoopListener(const LoopListener&) = delete;
  LoopListener& operator=(const LoopListener&) = delete;

  const Listener& listener() const { return *listener_; }
  // True while accepting is paused after an error.
  bool paused() const { return paused_; }
  // Episodes of accept errors so far.
  uint64_t pauses() const { return pauses_; }

 private:
  LoopListener(EventLoop& loop, std::unique_ptr<Listener> listener,
               AcceptCallback on_accepted, LoopListenerOptions options)
      : loop_(loop),
        listener_(std::move(listener)),
        on_accepted_(std::move(on_accepted)),
        options_(std::move(options)) {}

  absl::Status WatchListener();
  // Accepts up to max_accepts_per_pass connections; pauses on an error.
  void AcceptPending();
  void Pause(const absl::Status& error);
  void Resume();
  void Report(const ListenerReport& report);

  EventLoop& loop_;
  std::unique_ptr<Listener> listener_;
  AcceptCallback on_accepted_;
  LoopListenerOptions options_;
  FdWatch* watch_ = nullptr;  // null while paused
  LoopTimer retry_;
  bool paused_ = false;
  absl::Duration backoff_;  // the next retry's delay
  absl::Time paused_since_;
  uint64_t failed_retries_ = 0;
  uint64_t pauses_ = 0;
  bool* destroyed_ = nullptr;  // set while a callback runs
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_POSIX_LOOP_LISTENER_H_
