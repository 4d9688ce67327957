// Scripted applications for tests and benchmarks: the loops every flow user
// writes (read everything available, write until the flow pushes back) and a
// small application built from them (write a script of bytes, close when
// done, read to Eof).
//
// They work with anything that has the flow's application calls:
// `absl::StatusOr<ReadResult> Read(size_t max_bytes)` and
// `absl::Status Write(absl::Cord)` — Flow, MuxChannel, SocketDriver, LoopFlow,
// WinsockFlow — so one loop serves every backend's tests. Kept on the
// application's side of the contract: after kReadable read until WouldBlock;
// after kWouldBlock write again only after kWritable.
//
// Header-only (the Windows tests use it through CMake). Thread-compatible:
// use an application from the thread that drives its flow.
#ifndef HVSOCK_TESTING_SCRIPTED_APP_H_
#define HVSOCK_TESTING_SCRIPTED_APP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/flow.h"
#include "core/flow_error.h"

namespace hvsock::testing {

// Reads from `reader` until WouldBlock, Eof or an error, handing each piece
// of data to `on_data(absl::Cord&&)`. Returns what ended the run: the error,
// or a ReadResult that is WouldBlock or Eof.
template <typename Reader, typename OnData>
absl::StatusOr<ReadResult> ReadUntilBlocked(Reader& reader, OnData&& on_data,
                                            size_t max_read = SIZE_MAX) {
  while (true) {
    absl::StatusOr<ReadResult> result = reader.Read(max_read);
    if (!result.ok() || !result->is_data()) return result;
    on_data(std::move(*result).data());
  }
}

// What an application has read, and how its reading ended.
struct ReadLog {
  std::string received;     // every byte read, in order
  bool eof = false;         // Read() yielded Eof
  absl::Status read_error;  // Read() failed with this

  bool ReadEnded() const { return eof || !read_error.ok(); }
};

// Reads everything available from `reader` into `log` (nothing once its
// reading has ended). Returns the number of bytes read.
template <typename Reader>
size_t ReadAvailable(Reader& reader, ReadLog& log, size_t max_read = SIZE_MAX) {
  if (log.ReadEnded()) return 0;
  const size_t before = log.received.size();
  absl::StatusOr<ReadResult> end = ReadUntilBlocked(
      reader,
      [&log](absl::Cord data) {
        for (absl::string_view chunk : data.Chunks()) {
          log.received.append(chunk.data(), chunk.size());
        }
      },
      max_read);
  if (!end.ok()) {
    log.read_error = end.status();
  } else if (end->is_eof()) {
    log.eof = true;
  }
  return log.received.size() - before;
}

// Writes `bytes` from `*written` on, in writes of at most `max_write` bytes,
// advancing `*written`, until all are written or the writer pushes back
// (kWouldBlock: wait for kWritable). Returns OK then, or the write's error.
template <typename Writer>
absl::Status WriteUntilBlocked(Writer& writer, absl::string_view bytes,
                               size_t* written, size_t max_write) {
  while (*written < bytes.size()) {
    const size_t n = std::min(bytes.size() - *written, max_write);
    absl::Status status = writer.Write(absl::Cord(bytes.substr(*written, n)));
    if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
    if (!status.ok()) return status;
    *written += n;
  }
  return absl::OkStatus();
}

// Writes `message` again and again while `*to_write` bytes are left (the
// last write may be whole though fewer are left), counting `*to_write` down,
// until the writer pushes back. Flows share a Cord's bytes, so a benchmark
// measures the flow rather than the making of buffers. Returns OK then, or
// the write's error.
template <typename Writer>
absl::Status WriteRepeatedly(Writer& writer, const absl::Cord& message,
                             uint64_t* to_write) {
  while (*to_write > 0) {
    absl::Status status = writer.Write(absl::Cord(message));
    if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
    if (!status.ok()) return status;
    *to_write -= std::min<uint64_t>(*to_write, message.size());
  }
  return absl::OkStatus();
}

// An application that writes `to_send` (in writes of up to `max_write`
// bytes), closes once it is all written, and reads everything that arrives.
struct ScriptedApp : ReadLog {
  std::string to_send;
  size_t max_write = 16 * 1024;
  bool close_when_done = true;
  bool reads = true;  // false: a stalled reader (never reads)

  size_t sent = 0;
  bool closed = false;
  absl::Status write_error;  // a write or the close failed with this

  // One turn of the application on `flow`: write what it takes, close when
  // done (`close()` returns the close's absl::Status, e.g.
  // `[&] { return flow.Close(now); }`), read everything available. Returns
  // whether the turn changed anything.
  template <typename FlowLike, typename Close>
  bool Act(FlowLike& flow, Close&& close) {
    const size_t sent_before = sent;
    const bool closed_before = closed;
    const bool write_ok_before = write_error.ok();
    if (write_error.ok())
      write_error = WriteUntilBlocked(flow, to_send, &sent, max_write);
    if (sent == to_send.size() && close_when_done && !closed &&
        write_error.ok()) {
      closed = true;
      write_error = close();
    }
    const bool read_ended_before = ReadEnded();
    const size_t read = reads ? ReadAvailable(flow, *this) : 0;
    return sent != sent_before || closed != closed_before ||
           write_error.ok() != write_ok_before || read > 0 ||
           ReadEnded() != read_ended_before;
  }
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_SCRIPTED_APP_H_
