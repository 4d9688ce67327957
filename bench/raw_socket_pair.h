// RawSocketPair: the raw transport that the flow benchmarks are measured
// against. One AF_UNIX socketpair moved with plain write() and read() calls
// (one write() per application message, no flow, no coalescing), driven by
// the same EventLoop as the flows through two FdWatches.
//
// Thread-compatible: used on the loop's thread.
#ifndef HVSOCK_BENCH_RAW_SOCKET_PAIR_H_
#define HVSOCK_BENCH_RAW_SOCKET_PAIR_H_

#include <cstddef>
#include <cstdint>

#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"

namespace hvsock::testing {

class RawSocketPair {
 public:
  // Largest write size Stream() accepts, and the reader's read() size.
  static constexpr size_t kMaxWrite = 64 * 1024;

  explicit RawSocketPair(EventLoop& loop);
  ~RawSocketPair();
  RawSocketPair(const RawSocketPair&) = delete;
  RawSocketPair& operator=(const RawSocketPair&) = delete;

  // Moves `total` bytes from end A to end B in write()s of `write_size`
  // bytes (the last one may be shorter) while B read()s up to kMaxWrite
  // bytes at a time. Returns once B has read them all.
  void Stream(size_t total, size_t write_size);
  // Starts a stream without running the loop, for benchmarks that run many
  // pairs at once; done() says when B has read everything.
  void StartStream(size_t total, size_t write_size);
  // One byte from A to B; B writes it back as soon as it reads it; returns
  // when A has read it.
  void PingPong();

  bool done() const { return received_ >= target_; }

 private:
  enum class Mode { kIdle, kStream, kPingPong };
  void OnA(Readiness ready);
  void OnB(Readiness ready);
  void RunUntilDone();

  EventLoop& loop_;
  UniqueFd a_;
  UniqueFd b_;
  FdWatch* a_watch_ = nullptr;
  FdWatch* b_watch_ = nullptr;
  Mode mode_ = Mode::kIdle;
  size_t write_size_ = 0;
  uint64_t to_write_ = 0;  // bytes A has still to write
  uint64_t received_ = 0;  // bytes read by B (stream) or A (ping-pong)
  uint64_t target_ = 0;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_BENCH_RAW_SOCKET_PAIR_H_
