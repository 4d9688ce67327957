// ThreadedStress: the client side of hvstress --threads=N. N client runs
// (ClientRun: a StressRun each, or with --mux a MuxStressRun each, made by
// the caller's RunFactory), each on its own EventLoop and thread, share one
// sequence of stream numbers (so --connections and --seed mean what they
// mean with one thread) and split --parallel, and --mux's connections,
// between them (the first runs take one more when it does not divide;
// with --mux, every run needs at least one connection of its own).
//
// The calling thread runs a small control loop meanwhile: about once per
// progress interval it adds up the runs' counters for `on_progress`, and
// when the interrupt descriptor (a signalfd) becomes readable it posts
// Interrupt() to every run. Each run posts to the control loop when it is
// done. The result is every run's result added up: counts, bytes and
// multiplexed connections summed, latency samples pooled, elapsed the
// longest run's.
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
#include "backends/posix/event_loop.h"
#include "tools/hvstress/client_run.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stress_result.h"
#include "tools/interrupt_signals.h"

namespace hvsock::hvstress {

class ThreadedStress {
 public:
  // Makes one thread's run on `loop` from `share` (the options with this
  // run's share of --parallel and --mux), drawing its stream numbers from
  // `numbers`. Called on the run's thread; must be safe to call from
  // several threads at once.
  using RunFactory = std::function<std::unique_ptr<ClientRun>(
      EventLoop& loop, const Options& share, std::atomic<uint64_t>* numbers)>;

  // `options` (with its seed set) must outlive the object.
  ThreadedStress(const Options& options, RunFactory make_run);
  ~ThreadedStress();

  ThreadedStress(const ThreadedStress&) = delete;
  ThreadedStress& operator=(const ThreadedStress&) = delete;

  // Runs options.threads runs to their end. `interrupts` (or null) is
  // watched for readability. Fails if a loop does (the first error), or
  // with InvalidArgument if --mux has fewer connections than threads.
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
  const RunFactory make_run_;
  std::atomic<uint64_t> numbers_{0};
  std::vector<std::unique_ptr<Runner>> runners_;
  StressResult result_;
  std::vector<uint64_t> ok_per_thread_;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_THREADED_STRESS_H_
