// Fuzz target: a whole pair of flows over the loopback harness, with the
// scenario (codec, sizes, limits, seed, faults) taken from the fuzz input.
// After every step: bytes delivered are a prefix of bytes written, Eof only
// after everything, receive memory within its limit.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "testing/pair.h"
#include "testing/pattern.h"

namespace {

uint64_t Take(const uint8_t*& data, size_t& size, size_t bytes) {
  uint64_t value = 0;
  size_t n = bytes < size ? bytes : size;
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hvsock;
  using namespace hvsock::testing;
  PairOptions options;
  uint64_t flags = Take(data, size, 1);
  Codec codec = (flags & 1) ? Codec::kFramed : Codec::kNative;
  options.seed = Take(data, size, 8);
  // Sizes stay small (steps grow with bytes under single-byte faults) but
  // above the limits and frame sizes below, so every boundary is reachable.
  size_t a_bytes = Take(data, size, 2) % 12000;
  size_t b_bytes = Take(data, size, 2) % 12000;
  size_t receive_limit = 1 + Take(data, size, 2) % 10000;
  size_t send_limit = 1 + Take(data, size, 2) % 10000;
  for (FlowOptions* flow : {&options.flow_a, &options.flow_b}) {
    flow->codec = codec;
    flow->receive_limit = receive_limit;
    flow->send_limit = send_limit;
    flow->max_send_frame = 1 + Take(data, size, 2) % 5000;
  }
  options.app_a.to_send = PatternBytes(a_bytes, options.seed);
  options.app_b.to_send = PatternBytes(b_bytes, ~options.seed);
  options.app_a.max_write = 1 + Take(data, size, 2) % 9000;
  options.app_b.max_write = 1 + Take(data, size, 2) % 9000;
  options.app_a.close_when_done = flags & 2;
  options.app_b.close_when_done = flags & 4;
  options.app_b.reads = !(flags & 8);
  options.faults.single_byte_percent = Take(data, size, 1) % 101;
  if (flags & 16) options.faults.reset_at_step = 1 + Take(data, size, 2);
  // A cut loses bytes silently only where the codec can notice: framed.
  if ((flags & 32) && codec == Codec::kFramed) {
    options.faults.cut_at_step = 1 + Take(data, size, 2);
  }
  options.max_steps = 3'000'000;

  Pair pair(options);
  // Bytes already checked per side: each step compares only what is new, so
  // an input costs time linear in its bytes, not quadratic.
  size_t checked[2] = {0, 0};
  pair.SetObserver([&](Pair& p) {
    for (Side side : {Side::kA, Side::kB}) {
      const std::string& sent =
          side == Side::kA ? options.app_b.to_send : options.app_a.to_send;
      const Outcome& out = p.outcome(side);
      size_t& done = checked[side == Side::kA ? 0 : 1];
      if (out.received.size() > sent.size() ||
          sent.compare(done, out.received.size() - done, out.received, done,
                       out.received.size() - done) != 0) {
        __builtin_trap();  // delivered bytes are not a prefix of the sent
      }
      done = out.received.size();
      if (out.eof && out.received.size() != sent.size()) __builtin_trap();
      if (p.flow(side).stats().receive_buffered > receive_limit) {
        __builtin_trap();
      }
    }
  });
  if (!pair.Run().ok()) __builtin_trap();  // livelock
  return 0;
}
