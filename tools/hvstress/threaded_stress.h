// ThreadedStress: the client side of hvstress --threads=N. N StressRuns,
// each on its own EventLoop and thread, share one sequence of connection
// numbers (so --connections and --seed mean what they mean with one
// thread) and split --parallel between them (the first runs take one more
// when it does not divide).
//
// The calling thread runs a small control loop meanwhile: about once per
// progress interval it adds up the runs' counters for `on_progress`, and
// when the interrupt descriptor (a signalfd) becomes readable it posts
// Interrupt() to every run. Each run posts to the control loop when it is
// done. The result is every run's result added up: counts and bytes
// summed, latency samples pooled, elapsed the longest run's.
//
// Thread-safety: construct, Run and result() on one thread; the runs'
// threads meet the control loop only through EventLoop::Post and a mutex
// around each run's progress counters.
#ifndef HVSOCK_TOOLS_HVSTRESS_THREADED_STRESS_H_
#define HVSOCK_TOOLS_HVSTRESS_THREADED_STRESS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "backends/address.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stream_pattern.h"
#include "tools/hvstress/stress_run.h"
#include "tools/interrupt_signals.h"

namespace hvsock::hvstress {

class ThreadedStress {
 public:
  // `options.seed` must be set; `pattern` must outlive the object.
  ThreadedStress(const Options& options, const Address& target,
                 const StreamPattern& pattern);
  ~ThreadedStress();

  ThreadedStress(const ThreadedStress&) = delete;
  ThreadedStress& operator=(const ThreadedStress&) = delete;

  // Runs options.threads StressRuns to their end. `interrupts` (or null)
  // is watched for readability. Fails if a loop does (the first error).
  absl::Status Run(tools::InterruptSignals* interrupts,
                   const std::function<void(const StressResult&)>& on_progress,
                   absl::Duration progress_interval = absl::Seconds(1));

  // After Run: every run's result added up.
  StressResult& result() { return result_; }
  // After Run: connections each run verified, in thread order.
  const std::vector<uint64_t>& ok_per_thread() const { return ok_per_thread_; }

 private:
  struct Runner;

  StressResult Progress() const;

  const Options& options_;
  const Address target_;
  const StreamPattern& pattern_;
  std::atomic<uint64_t> numbers_{0};
  std::vector<std::unique_ptr<Runner>> runners_;
  StressResult result_;
  std::vector<uint64_t> ok_per_thread_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_THREADED_STRESS_H_
