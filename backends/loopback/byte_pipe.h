// BytePipe: one direction of an in-memory transport, for the loopback
// backend. Bytes written at one end are read at the other, in order.
//
// It has no policy of its own: no capacity limit, no scheduling, no faults
// beyond what its caller asks for. The test harness (testing/pair.h) decides
// chunk sizes, capacity and when to cut or reset it. The two states a
// transport direction can end in are modelled: the writer's end-of-stream
// (readers drain, then see EOF) and a reset (readers and writers see the
// error at once; unread bytes are lost, as with a TCP reset).
//
// Thread-compatible.
#ifndef HVSOCK_BACKENDS_LOOPBACK_BYTE_PIPE_H_
#define HVSOCK_BACKENDS_LOOPBACK_BYTE_PIPE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock {

class BytePipe {
 public:
  // Appends bytes. Fails after CloseWrite() (a broken pipe) or Reset().
  absl::Status Write(absl::string_view bytes);
  // Copies up to out.size() bytes out. Returns the count; 0 means "nothing
  // now" unless at_eof() or the status is not OK.
  absl::StatusOr<size_t> Read(absl::Span<char> out);
  // The writer will write no more: readers see EOF after the last byte.
  void CloseWrite() { write_closed_ = true; }
  // Both ends fail with `error`; unread bytes are dropped.
  void Reset(absl::Status error);
  // Drops all but the first `keep` unread bytes (a truncating fault).
  void Truncate(size_t keep);

  size_t buffered() const { return bytes_.size() - read_offset_; }
  bool write_closed() const { return write_closed_; }
  bool at_eof() const {
    return write_closed_ && buffered() == 0 && error_.ok();
  }
  const absl::Status& error() const { return error_; }

 private:
  std::string bytes_;
  size_t read_offset_ = 0;
  bool write_closed_ = false;
  absl::Status error_;
};

}  // namespace hvsock

#endif  // HVSOCK_BACKENDS_LOOPBACK_BYTE_PIPE_H_
