#include "tools/interrupt_signals.h"

#include <errno.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <utility>

namespace hvsock::tools {

const int InterruptSignals::kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

absl::StatusOr<std::unique_ptr<InterruptSignals>> InterruptSignals::Block() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : kSignals) sigaddset(&signals, signal);
  sigset_t previous;
  if (int error = ::pthread_sigmask(SIG_BLOCK, &signals, &previous);
      error != 0) {
    return absl::ErrnoToStatus(error, "blocking SIGINT, SIGTERM and SIGHUP");
  }
  UniqueFd fd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) {
    int error = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return absl::ErrnoToStatus(error, "signalfd");
  }
  return std::unique_ptr<InterruptSignals>(
      new InterruptSignals(std::move(fd), previous));
}

std::optional<int> InterruptSignals::Take() {
  signalfd_siginfo info;
  while (true) {
    ssize_t n = ::read(fd_.get(), &info, sizeof(info));
    if (n == static_cast<ssize_t>(sizeof(info))) {
      return static_cast<int>(info.ssi_signo);
    }
    if (n < 0 && errno == EINTR) continue;
    return std::nullopt;
  }
}

void InterruptSignals::Restore() {
  if (restored_) return;
  restored_ = true;
  ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void DieBySignal(int signal) {
  ::signal(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);  // if the signal was ignored by default after all
}

}  // namespace hvsock::tools
