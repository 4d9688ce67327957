// hvcat's standard streams on Linux, used without blocking the epoll loop.
//
// Pipes, FIFOs, terminals and other character devices are reopened through
// /proc/self/fd as private non-blocking descriptions (so other processes
// sharing them are not affected; without /proc the shared description is
// made non-blocking and restored on the way out). Sockets are used with
// MSG_DONTWAIT. Regular files, and whatever epoll cannot watch (such as
// /dev/null), are always ready and use plain reads and writes. The others
// are watched on the loop while the copy waits for them.
//
// Thread-safety: single-threaded, on the loop's thread.
#ifndef HVSOCK_TOOLS_HVCAT_STD_STREAMS_POSIX_H_
#define HVSOCK_TOOLS_HVCAT_STD_STREAMS_POSIX_H_

#include <sys/types.h>
#include <sys/uio.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/unique_fd.h"
#include "tools/hvcat/copier.h"
#include "tools/hvcat/read_buffers.h"

namespace hvsock::hvcat {

// Standard input or output, prepared for use without blocking the loop.
class StdStream {
 public:
  StdStream(int fd, bool output) : fd_(fd), output_(output) {}
  ~StdStream();
  StdStream(const StdStream&) = delete;
  StdStream& operator=(const StdStream&) = delete;

  // Chooses how to use the stream. Fails only for a closed standard output.
  absl::Status Prepare();

  int fd() const { return fd_; }
  bool closed_input() const { return closed_input_; }
  ssize_t Read(char* buffer, size_t size);
  ssize_t Write(const char* data, size_t size);
  ssize_t Writev(const iovec* iov, int count);

 private:
  int fd_;
  bool output_;
  UniqueFd owned_;
  bool socket_ = false;
  bool closed_input_ = false;
  bool restore_flags_ = false;
  int original_flags_ = 0;
};

// Standard input on the epoll loop. Reads go into reused buffers
// (ReadBuffers) that the flow sends from without a copy.
class PosixStdInput : public InputStream {
 public:
  // `stream` must be prepared and outlive this.
  PosixStdInput(EventLoop& loop, StdStream& stream);
  ~PosixStdInput() override { Stop(); }

  absl::StatusOr<Transfer> Read(size_t max_bytes, absl::Cord& into) override;
  absl::Status SetWaiting(bool waiting) override;
  void Stop() override;

 private:
  StdStream& stream_;
  FdWatch* watch_ = nullptr;  // null: always ready (or stopped)
  bool ready_ = true;         // try reading until EAGAIN says otherwise
  // Enough for the flow's send queue (256 KiB) plus the chunk in hand.
  ReadBuffers buffers_{kChunk, 4};
};

// Standard output on the epoll loop. Each write hands the stream as many of
// the Cord's pieces as one writev takes.
class PosixStdOutput : public OutputStream {
 public:
  PosixStdOutput(EventLoop& loop, StdStream& stream);
  ~PosixStdOutput() override;

  absl::StatusOr<Transfer> Write(absl::Cord& data) override;
  absl::Status SetWaiting(bool waiting) override;
  absl::StatusOr<bool> AllWritten() override { return true; }

 private:
  StdStream& stream_;
  FdWatch* watch_ = nullptr;  // null: always ready
  bool ready_ = true;
};

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_STD_STREAMS_POSIX_H_
