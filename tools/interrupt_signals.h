// InterruptSignals: SIGINT, SIGTERM and SIGHUP delivered as a readable
// descriptor, so that a tool notices them in its event loop (or poll) and
// cleans up — removes the Unix socket file it listens on, prints its
// summary — instead of dying on the spot and leaving the file behind.
//
// Blocking the signals is per thread and inherited by threads started
// afterwards, so create it on the main thread before starting any. While
// it lives the signals only queue on fd(); Take() reads which one came.
// Destroying it (or Restore()) unblocks them again, restoring what they did
// before; one still pending is then delivered.
//
// A tool that must end after an interrupt does its cleanup, then calls
// DieBySignal, so that whoever started it sees the signal as the cause
// (exit status 128 + N in a shell), as without the handling.
//
// POSIX (Linux signalfd). Thread-compatible; use it on one thread.
#ifndef HVSOCK_TOOLS_INTERRUPT_SIGNALS_H_
#define HVSOCK_TOOLS_INTERRUPT_SIGNALS_H_

#include <signal.h>

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "backends/posix/unique_fd.h"

namespace hvsock::tools {

class InterruptSignals {
 public:
  // The signals handled: SIGINT, SIGTERM, SIGHUP.
  static const int kSignals[3];

  // Blocks the signals in the calling thread and opens the descriptor.
  static absl::StatusOr<std::unique_ptr<InterruptSignals>> Block();
  ~InterruptSignals() { Restore(); }

  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

  // Readable while a signal is pending (non-blocking, close-on-exec).
  int fd() const { return fd_.get(); }
  // The next pending signal, consumed; nullopt if none is.
  std::optional<int> Take();
  // Unblocks the signals as they were before Block(); idempotent.
  void Restore();

 private:
  InterruptSignals(UniqueFd fd, const sigset_t& previous)
      : fd_(std::move(fd)), previous_(previous) {}

  UniqueFd fd_;
  sigset_t previous_;  // the thread's signal mask before Block()
  bool restored_ = false;
};

// Ends the process as `signal`'s default action does (for SIGINT, SIGTERM
// and SIGHUP: terminated by that signal).
[[noreturn]] void DieBySignal(int signal);

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_INTERRUPT_SIGNALS_H_
