#include "tools/hvstress/threaded_stress.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/posix/event_loop.h"

namespace hvsock::hvstress {

namespace {

// Run `i`'s share of `total` split over `runs`: the first runs take one
// more when it does not divide.
uint64_t ShareOf(uint64_t total, uint64_t runs, uint64_t i) {
  return total / runs + (i < total % runs ? 1 : 0);
}

}  // namespace

// One run and its thread.
struct ThreadedStress::Runner {
  Options options;                  // this run's share of --parallel, --mux
  std::unique_ptr<EventLoop> loop;  // used only by `thread` once started
  std::thread thread;
  // Set and cleared on `thread`; posted callbacks read it there too (or
  // in the loop's destructor, after the thread has been joined).
  ClientRun* run = nullptr;
  absl::Status status;
  StressResult result;  // written by `thread` at its end; read after join

  mutable std::mutex mutex;  // guards `progress`
  StressResult progress;     // counters only, no samples or errors
};

ThreadedStress::ThreadedStress(const Options& options, RunFactory make_run)
    : options_(options), make_run_(std::move(make_run)) {}

ThreadedStress::~ThreadedStress() {
  for (std::unique_ptr<Runner>& runner : runners_) {
    if (runner->thread.joinable()) runner->thread.join();
  }
}

StressResult ThreadedStress::Progress() const {
  StressResult sum;
  for (const std::unique_ptr<Runner>& runner : runners_) {
    std::lock_guard<std::mutex> lock(runner->mutex);
    sum.started += runner->progress.started;
    sum.ok += runner->progress.ok;
    sum.failed += runner->progress.failed;
    sum.bytes_verified += runner->progress.bytes_verified;
    sum.active += runner->progress.active;
    sum.elapsed = std::max(sum.elapsed, runner->progress.elapsed);
  }
  return sum;
}

absl::Status ThreadedStress::Run(
    tools::InterruptSignals* interrupts,
    const std::function<void(const StressResult&)>& on_progress,
    absl::Duration progress_interval) {
  size_t finished = 0;  // outlives the control loop, which may run posts
                        // left behind when destroyed
  absl::StatusOr<std::unique_ptr<EventLoop>> control = EventLoop::Create();
  if (!control.ok()) return control.status();
  EventLoop* control_loop = control->get();
  size_t threads = std::max<uint64_t>(1, options_.threads);
  if (options_.mux > 0 && options_.mux < threads) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mux=", options_.mux, " with --threads=", threads,
                     ": every thread needs a multiplexed connection of its "
                     "own, so at least ",
                     threads, " connections"));
  }
  for (size_t i = 0; i < threads; ++i) {
    auto runner = std::make_unique<Runner>();
    runner->options = options_;
    runner->options.parallel =
        std::max<uint64_t>(1, ShareOf(options_.parallel, threads, i));
    runner->options.mux = ShareOf(options_.mux, threads, i);
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    runner->loop = *std::move(loop);
    runners_.push_back(std::move(runner));
  }

  for (std::unique_ptr<Runner>& owned : runners_) {
    Runner* runner = owned.get();
    runner->thread =
        std::thread([this, runner, control_loop, &finished, progress_interval] {
          {
            std::unique_ptr<ClientRun> run =
                make_run_(*runner->loop, runner->options, &numbers_);
            runner->run = run.get();
            runner->status = run->Run(
                [runner](const StressResult& now) {
                  std::lock_guard<std::mutex> lock(runner->mutex);
                  runner->progress.started = now.started;
                  runner->progress.ok = now.ok;
                  runner->progress.failed = now.failed;
                  runner->progress.bytes_verified = now.bytes_verified;
                  runner->progress.active = now.active;
                  runner->progress.elapsed = now.elapsed;
                },
                progress_interval);
            runner->run = nullptr;
            runner->result = run->result();
          }
          control_loop->Post([&finished] { ++finished; });
        });
  }

  if (interrupts != nullptr) {
    (*control)
        ->Watch(interrupts->fd(), Readiness::kReadable,
                [this, interrupts](Readiness) {
                  if (!interrupts->Take().has_value()) return;
                  for (std::unique_ptr<Runner>& owned : runners_) {
                    Runner* runner = owned.get();
                    runner->loop->Post([runner] {
                      if (runner->run != nullptr) runner->run->Interrupt();
                    });
                  }
                })
        .IgnoreError();
  }
  absl::Time start = control_loop->Now();
  absl::Time next_progress = start + progress_interval;
  absl::Status control_status;
  while (finished < runners_.size() && control_status.ok()) {
    control_status = control_loop->RunOnce(
        std::max(next_progress - control_loop->Now(), absl::ZeroDuration()));
    if (control_loop->Now() >= next_progress) {
      next_progress = control_loop->Now() + progress_interval;
      StressResult now = Progress();
      now.elapsed = control_loop->Now() - start;
      if (on_progress) on_progress(now);
    }
  }
  for (std::unique_ptr<Runner>& runner : runners_) runner->thread.join();
  if (!control_status.ok()) return control_status;

  result_ = StressResult();
  absl::Status first_error;
  for (std::unique_ptr<Runner>& runner : runners_) {
    StressResult& one = runner->result;
    result_.started += one.started;
    result_.ok += one.ok;
    result_.failed += one.failed;
    result_.bytes_verified += one.bytes_verified;
    result_.multiplexed_connections += one.multiplexed_connections;
    result_.elapsed = std::max(result_.elapsed, one.elapsed);
    result_.connect.AddAll(one.connect);
    result_.round_trip.AddAll(one.round_trip);
    result_.errors.Merge("", one.errors);
    ok_per_thread_.push_back(one.ok);
    if (first_error.ok()) first_error = runner->status;
  }
  return first_error;
}

}  // namespace hvsock::hvstress
