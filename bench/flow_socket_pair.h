// FlowSocketPair: two flows over one AF_UNIX socketpair, both run by the
// same EventLoop through the posix backend (LoopFlow + SocketDriver), with
// the small application the benchmarks need: a writer that streams a
// message until told to stop, a reader that counts and drops what it
// reads, and a 1-byte echo.
//
// The writer hands the flow the same absl::Cord again and again: the flow
// takes it without copying the payload (small ones are coalesced by copy,
// as the flow's contract says), so what is measured is the flow, not the
// application making buffers.
//
// Thread-compatible: used on the loop's thread.
#ifndef HVSOCK_BENCH_FLOW_SOCKET_PAIR_H_
#define HVSOCK_BENCH_FLOW_SOCKET_PAIR_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "core/flow_options.h"

namespace hvsock::testing {

class FlowSocketPair {
 public:
  FlowSocketPair(EventLoop& loop, const FlowOptions& options);
  // Over an existing socketpair (for benchmarks that create them in bulk).
  FlowSocketPair(EventLoop& loop, const FlowOptions& options, UniqueFd a,
                 UniqueFd b);
  ~FlowSocketPair();
  FlowSocketPair(const FlowSocketPair&) = delete;
  FlowSocketPair& operator=(const FlowSocketPair&) = delete;

  // Writes `message` through flow A, `total` bytes in all (rounded up to
  // whole messages), while flow B reads; returns once B has read them.
  void Stream(size_t total, const absl::Cord& message);
  // Writers hand over their message's bytes to be copied
  // (LoopFlow::Write(absl::string_view)) instead of sharing the Cord: what
  // an application holding small messages in its own buffers does.
  void set_copy_writes(bool copy) { copy_writes_ = copy; }
  // Starts a stream without running the loop; done() says when B has read
  // `total` bytes. If `both_ways`, B streams the same to A at the same time
  // and done() waits for both.
  void StartStream(size_t total, const absl::Cord& message,
                   bool both_ways = false);
  // One byte from A to B; B writes back what it reads; returns once A has
  // read it.
  void PingPong();

  bool done() const;
  LoopFlow& a() { return *a_end_.flow; }
  LoopFlow& b() { return *b_end_.flow; }

 private:
  // One end's application.
  struct End {
    LoopFlow* flow = nullptr;
    uint64_t to_write = 0;
    uint64_t received = 0;
    uint64_t target = 0;
  };
  enum class Mode { kStream, kPingPong };
  void OnEvent(End& end, FlowEvent event);
  void PumpWrites(End& end);
  void RunUntilDone();

  EventLoop& loop_;
  End a_end_;
  End b_end_;
  Mode mode_ = Mode::kStream;
  absl::Cord message_;
  std::string message_bytes_;  // message_, flat, for copy_writes_
  bool copy_writes_ = false;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_BENCH_FLOW_SOCKET_PAIR_H_
