// MuxPair: two multiplexer connections joined by the loopback backend's
// byte pipes, with scripted applications on many channels and a seeded
// scheduler, for property tests (testing/mux_properties_test.cc) and the
// mux pair fuzz target.
//
// Each MuxChannelScript is one channel: which side opens it, the bytes each
// side's application writes on it, and whether each side closes when done.
// Channels are matched across the two sides by their destination (a Unix
// path naming the script), so both sides may open channels at once. Every
// step the scheduler picks one enabled action at random: open a channel,
// accept one, an application write (random size), close or read, a partial
// transmit into a pipe, a receive of a random chunk (often one byte). One
// seed is one interleaving; the same seed always gives the same transcript.
//
// After every step the pair checks the memory bounds of both connections
// (receive bytes within the credit granted, credit within the receive
// budget, queued writes within the send budget, each channel's buffer
// within the window) and records the first violation.
//
// Thread-compatible.
#ifndef HVSOCK_TESTING_MUX_PAIR_H_
#define HVSOCK_TESTING_MUX_PAIR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backends/loopback/byte_pipe.h"
#include "core/mux/mux_connection.h"
#include "testing/prng.h"

namespace hvsock::testing {

struct MuxChannelScript {
  bool opened_by_a = true;
  std::string a_sends;
  std::string b_sends;
  bool a_closes = true;
  bool b_closes = true;
};

struct MuxPairOptions {
  uint64_t seed = 1;
  MuxOptions a;  // connector is forced true for a, false for b
  MuxOptions b;
  std::vector<MuxChannelScript> channels;
  size_t max_write = 4096;
  uint32_t single_byte_percent = 30;
  uint64_t max_steps = 5'000'000;
};

struct MuxEndOutcome {
  std::string read;  // every byte the application read
  bool eof = false;
  absl::Status error;  // the channel's error once finished
  FlowState state = FlowState::kOpen;
  bool opened = false;
};

class MuxPair {
 public:
  explicit MuxPair(MuxPairOptions options);

  // One scheduler step; false when nothing is enabled.
  bool Step();
  // Steps until nothing is enabled; fails after max_steps (livelock), or
  // when an invariant broke, naming the seed.
  absl::Status Run();

  MuxConnection& a() { return *a_; }
  MuxConnection& b() { return *b_; }
  const MuxEndOutcome& outcome(size_t channel, bool side_a) const {
    return (side_a ? a_apps_ : b_apps_)[channel].outcome;
  }
  uint64_t transcript_hash() const { return hash_; }
  uint64_t steps() const { return steps_; }
  const std::string& violation() const { return violation_; }

 private:
  struct App {
    MuxChannel* channel = nullptr;
    size_t written = 0;
    bool closed = false;
    MuxEndOutcome outcome;
  };
  enum class Action {
    kOpenA,
    kOpenB,
    kAcceptA,
    kAcceptB,
    kWriteA,
    kWriteB,
    kCloseA,
    kCloseB,
    kReadA,
    kReadB,
    kSendA,
    kSendB,
    kReceiveA,
    kReceiveB,
  };
  std::vector<Action> Enabled();
  void Do(Action action);
  // Do()'s parts. The Prng is drawn from in the same order as ever (one pick
  // of a channel, then what the action draws), so seeds replay.
  static bool IsSideA(Action action);
  bool ChannelCan(Action action, size_t channel) const;
  std::optional<size_t> PickChannel(Action action);
  void AcceptIncoming(MuxConnection& mux, std::vector<App>& apps);
  void WriteSome(App& app, const std::string& bytes);
  bool WantsWrite(const App& app, const std::string& bytes) const;
  void Read(App& app);
  void Transmit(MuxConnection& from, BytePipe& pipe, uint64_t side);
  void Receive(MuxConnection& to, BytePipe& pipe);
  void CheckBounds(MuxConnection& mux);
  size_t Pick(size_t n) { return static_cast<size_t>(prng_.Between(0, n - 1)); }

  MuxPairOptions options_;
  Prng prng_;
  std::unique_ptr<MuxConnection> a_;
  std::unique_ptr<MuxConnection> b_;
  BytePipe a_to_b_;
  BytePipe b_to_a_;
  std::vector<App> a_apps_;
  std::vector<App> b_apps_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
  uint64_t hash_ = 1469598103934665603ULL;
  uint64_t steps_ = 0;
  std::string violation_;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_MUX_PAIR_H_
