// The heart of hvcat, shared by every platform: copies standard input to a
// flow and the flow to standard output at the same time, with bounded
// memory, and decides the exit status.
//
// At most one chunk (kChunk bytes) waits in each direction beyond the flow's
// own bounded buffers, so a peer that echoes a large stream cannot deadlock
// the copy. At standard-input EOF the flow is closed (flush, then the
// end-of-writes signal) and the copy goes on until the flow's Eof. The
// outcome is known once every received byte has been written out: success
// when the close completed, otherwise the failure, as one line on standard
// error (Complain).
//
// It is written against the shared application interface only: the flow is
// a FlowHandle and the loop a Loop (backends/flow_handle.h, backends/loop.h),
// so one Copier runs on every platform. The platform supplies them and the
// two standard streams (platform.h). The streams never block: they
// report kWouldBlock and wake the loop once they may move more. Linux uses
// the epoll loop and non-blocking descriptors (hvcat_std_streams_posix.h);
// Windows a completion port and one thread per standard stream
// (hvcat_std_streams_windows.h).
//
// Thread-safety: single-threaded; everything runs on the loop's thread.
#ifndef HVSOCK_TOOLS_HVCAT_COPIER_H_
#define HVSOCK_TOOLS_HVCAT_COPIER_H_

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/loop.h"
#include "core/flow.h"

namespace hvsock::hvcat {

// Bytes moved per read of standard input or of the flow: socat's -b 262144,
// and the flow's default send and receive limits, so one read can fill
// the flow's send queue and one can empty its receive buffer.
inline constexpr size_t kChunk = 256 * 1024;

// What one non-blocking transfer on a standard stream did.
enum class Transfer {
  kMoved,       // at least one byte
  kWouldBlock,  // nothing now; the loop is woken when more may move
  kEnded,       // end of input
};

// Standard input.
class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads at most `max_bytes` into `into` (replacing it) without waiting.
  // Fails only for a real read error.
  virtual absl::StatusOr<Transfer> Read(size_t max_bytes, absl::Cord& into) = 0;
  // Whether the copy is waiting for input (it is not while it holds a chunk
  // the flow has not taken yet).
  virtual absl::Status SetWaiting(bool waiting) = 0;
  // No more reads will come.
  virtual void Stop() = 0;
};

// Standard output.
class OutputStream {
 public:
  virtual ~OutputStream() = default;
  // Writes a prefix of `data` without waiting, and removes it from `data`.
  // Fails only for a real write error.
  virtual absl::StatusOr<Transfer> Write(absl::Cord& data) = 0;
  // Whether the copy is waiting to write (it holds bytes).
  virtual absl::Status SetWaiting(bool waiting) = 0;
  // Whether every byte taken by Write has reached the stream; fails if one
  // could not be written.
  virtual absl::StatusOr<bool> AllWritten() = 0;
};

class Copier {
 public:
  // Waits for events with `loop`.RunOnce, which runs `flow`.
  Copier(FlowHandle& flow, InputStream& in, OutputStream& out, Loop& loop)
      : flow_(flow), in_(in), out_(out), loop_(loop) {}
  Copier(const Copier&) = delete;
  Copier& operator=(const Copier&) = delete;

  // Copies until the outcome is known; returns the exit status (hvcat_exit.h)
  // after complaining about any failure.
  int Run();

 private:
  bool Pump();
  void EndInput();
  std::optional<int> Outcome();

  FlowHandle& flow_;
  InputStream& in_;
  OutputStream& out_;
  Loop& loop_;
  bool input_done_ = false;
  absl::Cord pending_;  // read from standard input, not yet taken by the flow
  absl::Cord out_buffer_;    // read from the flow, not yet written out
  bool read_ended_ = false;  // the flow's Read gave Eof or an error
  absl::Status read_error_;
  absl::Status unsent_;  // why standard input could not all be sent
  absl::Status fatal_;   // a standard stream failed
};

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_COPIER_H_
