// ReadBuffers: the buffers hvcat reads standard input into, reused once the
// flow has sent their bytes, so a long copy neither allocates nor zeroes a
// buffer per read (and takes no fresh pages from the kernel).
//
// Take() lends an uninitialised buffer of buffer_size() bytes; Wrap(buffer,
// n) turns its first n bytes into a Cord without copying, and the buffer
// comes back here when the Cord's last reference goes (when the flow has
// transmitted those bytes). At most `keep` idle buffers are kept; more are
// freed. A short read (less than a quarter of a buffer, as from a terminal
// or a slow pipe) is copied into a Cord of its own size and the buffer is
// kept for the next read, so memory held by queued bytes stays within
// about four times what is queued.
//
// The pool's state is shared with the Cords it makes, so they may outlive
// the ReadBuffers object. Thread-compatible: Take, Wrap and the release of
// every Cord it made on one thread (hvcat's loop thread).
#ifndef HVSOCK_TOOLS_HVCAT_READ_BUFFERS_H_
#define HVSOCK_TOOLS_HVCAT_READ_BUFFERS_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/strings/cord.h"

namespace hvsock::hvcat {

class ReadBuffers {
 public:
  using Buffer = std::unique_ptr<char[]>;

  ReadBuffers(size_t buffer_size, size_t keep);

  size_t buffer_size() const { return state_->buffer_size; }
  // Idle buffers held for reuse (for tests).
  size_t idle() const { return state_->idle.size(); }
  // Buffers allocated so far (for tests).
  size_t allocated() const { return state_->allocated; }

  // An idle buffer, or a new one; its contents are unspecified.
  Buffer Take();
  // The first `n` bytes of `buffer` (from Take; n <= buffer_size()) as a
  // Cord; see above for when `buffer` is copied instead and when it
  // returns to the pool.
  absl::Cord Wrap(Buffer buffer, size_t n);
  // Gives back a buffer that was not wrapped.
  void Return(Buffer buffer) { state_->Return(std::move(buffer)); }

 private:
  struct State {
    size_t buffer_size;
    size_t keep;
    size_t allocated = 0;
    std::vector<Buffer> idle;
    void Return(Buffer buffer) {
      if (idle.size() < keep) idle.push_back(std::move(buffer));
    }
  };
  std::shared_ptr<State> state_;
};

}  // namespace hvsock::hvcat

#endif  // HVSOCK_TOOLS_HVCAT_READ_BUFFERS_H_
