// ClientRun: the client half of hvstress on one EventLoop, whatever carries
// its streams: a connection each (StressRun, stress_run.h) or channels of
// multiplexed connections (MuxStressRun, mux_stress_run.h). It is what
// hvstress's main and ThreadedStress (one run per thread) need of a run:
// run it to its end with progress, interrupt it, read its result.
//
// Runs that share one sequence of stream numbers (an atomic counter) run
// Options::connections streams between them, each number once, so a seed
// replays the same streams however many runs there are.
//
// Thread-compatible: construct, Run, Interrupt and result() on the run's
// loop's thread.
#ifndef HVSOCK_TOOLS_HVSTRESS_CLIENT_RUN_H_
#define HVSOCK_TOOLS_HVSTRESS_CLIENT_RUN_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/hvstress/stress_result.h"

namespace hvsock::hvstress {

class ClientRun {
 public:
  virtual ~ClientRun() = default;

  // Runs every stream to its end. `on_progress` (may be empty) is called
  // about every `progress_interval` with the result so far. Fails only if
  // the loop does.
  virtual absl::Status Run(
      const std::function<void(const StressResult&)>& on_progress,
      absl::Duration progress_interval) = 0;

  // Stops starting streams and abandons the running ones (counted as
  // failed, "interrupted"). For a signal handler's loop watch.
  virtual void Interrupt() = 0;

  virtual const StressResult& result() const = 0;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_CLIENT_RUN_H_
