// Pair: two flows joined by the loopback backend, with a virtual clock and
// a seeded scheduler, for tests that read like stories and for properties.
//
// Each side has a scripted application: it writes its bytes in random-sized
// writes (waiting for FlowEvent::kWritable on kWouldBlock), optionally closes
// when done, and reads (unless its reader is stalled). Every step the
// scheduler picks one enabled action at random — an application write, close
// or read, a partial send, a receive of a random chunk (often one byte), a
// clock tick — so one seed is one interleaving, and the same seed always
// gives the same transcript. A FaultPlan injects transport faults.
//
// Run() drives until nothing can progress and no deadline is pending, and
// reports livelock if that takes more than max_steps. Tests inspect the
// Outcome of each side afterwards, or step by hand with Step().
//
// Thread-compatible.
#ifndef HVSOCK_TESTING_PAIR_H_
#define HVSOCK_TESTING_PAIR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backends/loopback/byte_pipe.h"
#include "backends/loopback/loopback_driver.h"
#include "core/flow.h"
#include "testing/prng.h"

namespace hvsock::testing {

enum class Side { kA = 0, kB = 1 };

// What one side's application does.
struct AppScript {
  std::string to_send;                // bytes it writes, in order
  size_t max_write = 4096;            // writes are 1..max_write bytes
  bool close_when_done = true;        // close() after the last write
  bool reads = true;                  // false: a stalled reader (never reads)
  size_t stall_reads_until_step = 0;  // reader starts late
};

// Transport faults. A step number of 0 means "never".
struct FaultPlan {
  uint64_t reset_at_step = 0;         // both directions reset at this step
  uint64_t cut_at_step = 0;           // both directions end (EOF) here, keeping
                                      // only a random prefix of in-flight bytes
  uint32_t single_byte_percent = 30;  // chance a receive takes 1 byte
  uint32_t clock_jump_percent = 5;    // chance a step advances the clock
  absl::Duration max_clock_jump = absl::Milliseconds(1);
  size_t pipe_capacity = 64 * 1024;  // bytes in flight per direction
};

struct PairOptions {
  FlowOptions flow_a;
  FlowOptions flow_b;
  AppScript app_a;
  AppScript app_b;
  FaultPlan faults;
  uint64_t seed = 1;
  uint64_t max_steps = 2'000'000;
  bool record_transcript = false;
};

// What one side's application saw.
struct Outcome {
  std::string received;             // every byte read, in order
  bool eof = false;                 // Read() yielded Eof
  absl::Status read_error;          // Read() failed with this
  absl::Status write_error;         // a write or close failed with this
  bool close_completed = false;     // FlowEvent::kCloseCompleted seen
  bool failed_event = false;        // FlowEvent::kFailed seen
  size_t max_receive_buffered = 0;  // peaks, for memory bounds
  size_t max_send_queued = 0;
};

class Pair {
 public:
  explicit Pair(PairOptions options);

  Flow& flow(Side side) { return end(side).flow; }
  const Outcome& outcome(Side side) const {
    return ends_[Index(side)]->outcome;
  }
  absl::Time now() const { return now_; }
  uint64_t steps() const { return steps_; }
  // One line per action when record_transcript; always a running hash.
  const std::string& transcript() const { return transcript_; }
  uint64_t transcript_hash() const { return hash_; }

  // One scheduler step. Returns false when nothing is enabled (quiescent),
  // except that with a deadline pending it jumps the clock to it.
  bool Step();
  // Steps until quiescent. Fails (naming the seed) after max_steps.
  absl::Status Run();
  // Called after every step with the pair, e.g. to check invariants.
  void SetObserver(std::function<void(Pair&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  struct End {
    End(const FlowOptions& options, const AppScript& script, BytePipe& in,
        BytePipe& out)
        : flow(Flow::Create(options).value()),
          script(script),
          driver(flow, in, out) {}
    Flow flow;
    AppScript script;
    LoopbackDriver driver;
    size_t written = 0;
    bool write_blocked = false;
    bool closed = false;
    bool read_done = false;
    Outcome outcome;
  };
  enum class Action { kWrite, kClose, kRead, kTransmit, kReceive, kTick };

  static size_t Index(Side side) { return static_cast<size_t>(side); }
  End& end(Side side) { return *ends_[Index(side)]; }
  bool Enabled(Side side, Action action);
  void Do(Side side, Action action);
  // Do()'s actions, one each: they draw from the scheduler's Prng in a fixed
  // order, so a seed keeps giving the same transcript.
  void DoWrite(Side side);
  void DoClose(Side side);
  void DoRead(Side side);
  void DoTransmit(Side side);
  void DoReceive(Side side);
  void DoTick(Side side);
  void DrainEvents(Side side);
  void Record(Side side, absl::string_view what, uint64_t value);
  void InjectFaults();

  PairOptions options_;
  Prng prng_;
  BytePipe a_to_b_;
  BytePipe b_to_a_;
  std::unique_ptr<End> ends_[2];
  absl::Time now_ = absl::UnixEpoch();
  uint64_t steps_ = 0;
  std::string transcript_;
  uint64_t hash_ = 1469598103934665603ULL;
  std::function<void(Pair&)> observer_;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_PAIR_H_
