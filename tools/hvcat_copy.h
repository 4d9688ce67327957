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
// The platform supplies the flow, the two standard streams and a way to wait
// for the next event (its loop's run-once). The streams never block: they
// report kWouldBlock and wake the loop once they may move more. Linux uses
// the epoll loop and non-blocking descriptors (hvcat_std_streams_posix.h);
// Windows a completion port and one thread per standard stream
// (hvcat_std_streams_windows.h).
//
// Thread-safety: single-threaded; everything runs on the loop's thread.
#ifndef HVSOCK_TOOLS_HVCAT_COPY_H_
#define HVSOCK_TOOLS_HVCAT_COPY_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
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

// The flow's application commands, as the platform's driver offers them.
class CopyFlow {
 public:
  virtual ~CopyFlow() = default;
  virtual absl::Status Write(absl::Cord data) = 0;
  virtual absl::StatusOr<ReadResult> Read(size_t max_bytes) = 0;
  virtual absl::Status Close() = 0;
  virtual void Abort() = 0;
  virtual const Flow& flow() const = 0;
};

// A driver's flow as the copy sees it: any type with those commands under
// the same names (LoopFlow on Linux, WinsockFlow on Windows).
template <typename DriverFlow>
class DriverCopyFlow : public CopyFlow {
 public:
  explicit DriverCopyFlow(DriverFlow& flow) : flow_(flow) {}
  absl::Status Write(absl::Cord data) override {
    return flow_.Write(std::move(data));
  }
  absl::StatusOr<ReadResult> Read(size_t max_bytes) override {
    return flow_.Read(max_bytes);
  }
  absl::Status Close() override { return flow_.Close(); }
  void Abort() override { flow_.Abort(); }
  const Flow& flow() const override { return flow_.flow(); }

 private:
  DriverFlow& flow_;
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

// Waits at most `max_wait` for the next event (completion, readiness,
// deadline) and handles it.
using WaitForEvents = std::function<absl::Status(absl::Duration max_wait)>;

class Copier {
 public:
  Copier(CopyFlow& flow, InputStream& in, OutputStream& out, WaitForEvents wait)
      : flow_(flow), in_(in), out_(out), wait_(std::move(wait)) {}
  Copier(const Copier&) = delete;
  Copier& operator=(const Copier&) = delete;

  // Copies until the outcome is known; returns the exit status (hvcat_exit.h)
  // after complaining about any failure.
  int Run();

 private:
  bool Pump();
  void EndInput();
  std::optional<int> Outcome();

  CopyFlow& flow_;
  InputStream& in_;
  OutputStream& out_;
  WaitForEvents wait_;
  bool input_done_ = false;
  absl::Cord pending_;  // read from standard input, not yet taken by the flow
  absl::Cord out_buffer_;    // read from the flow, not yet written out
  bool read_ended_ = false;  // the flow's Read gave Eof or an error
  absl::Status read_error_;
  absl::Status unsent_;  // why standard input could not all be sent
  absl::Status fatal_;   // a standard stream failed
};

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_COPY_H_
