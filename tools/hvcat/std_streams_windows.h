// hvcat's standard streams on Windows, used without blocking the completion
// port's loop.
//
// Windows has no readiness for anonymous pipes, consoles and files alike,
// and its standard handles are usually not opened for overlapped I/O. So
// each standard stream gets one thread that makes the blocking calls
// (ReadFile, WriteFile) and wakes the loop (IocpLoop::Wake, a completion
// packet) when it has finished one: the input thread reads one chunk at a
// time and waits until the loop has taken it; the output thread writes the
// chunk the loop handed it. Memory stays bounded: one chunk in each thread.
//
// End of input is ReadFile reporting zero bytes or a broken pipe (the writer
// has gone); a missing standard input reads as empty. Stopping a stream (or
// destroying it) only detaches its thread: a thread blocked in ReadFile
// stays blocked until the process exits, but never touches the loop again.
//
// Windows only. Thread-safety: the streams' methods run on the loop's
// thread; `wake` is called from the streams' threads and must be safe there.
#ifndef HVSOCK_TOOLS_HVCAT_STD_STREAMS_WINDOWS_H_
#define HVSOCK_TOOLS_HVCAT_STD_STREAMS_WINDOWS_H_

#include <windows.h>

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "tools/hvcat/copier.h"

namespace hvsock::hvcat {

// Standard input, read by its own thread.
class ThreadedStdInput : public InputStream {
 public:
  // Starts reading `handle` (INVALID_HANDLE_VALUE or null: empty input) in
  // chunks of at most `chunk_size` bytes.
  ThreadedStdInput(HANDLE handle, size_t chunk_size,
                   std::function<void()> wake);
  ~ThreadedStdInput() override { Stop(); }

  absl::StatusOr<Transfer> Read(size_t max_bytes, absl::Cord& into) override;
  absl::Status SetWaiting(bool) override { return absl::OkStatus(); }
  void Stop() override;

  struct Shared;  // between the loop and the thread

 private:
  std::shared_ptr<Shared> shared_;
  absl::Cord unread_;  // a chunk larger than the copy asked for
};

// Standard output, written by its own thread.
class ThreadedStdOutput : public OutputStream {
 public:
  // Fails if `handle` is not a usable standard output.
  static absl::StatusOr<std::unique_ptr<ThreadedStdOutput>> Start(
      HANDLE handle, std::function<void()> wake);
  ~ThreadedStdOutput() override;

  absl::StatusOr<Transfer> Write(absl::Cord& data) override;
  absl::Status SetWaiting(bool) override { return absl::OkStatus(); }
  absl::StatusOr<bool> AllWritten() override;

  struct Shared;

 private:
  explicit ThreadedStdOutput(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_STD_STREAMS_WINDOWS_H_
