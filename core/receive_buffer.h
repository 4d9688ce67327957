// ReceiveBuffer: received payload waiting for the application, and the
// writable space a backend reads the transport into.
//
// The data path copies each byte once: the backend reads straight into
// Space(), and payload handed to the application references that memory
// (an absl::Cord over a shared block) instead of copying it. Small pieces
// (under kShareThreshold bytes) are copied instead, so that a peer sending
// tiny frames cannot pin a whole block per byte. The flow decides how much
// may be buffered; this class only holds it.
//
// Blocks are allocated lazily and released when full or on Release(), so an
// idle flow holds no receive memory.
//
// Thread-compatible. Cords handed out may be used and freed on any thread.
#ifndef HVSOCK_CORE_RECEIVE_BUFFER_H_
#define HVSOCK_CORE_RECEIVE_BUFFER_H_

#include <cstddef>
#include <memory>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hvsock {

class ReceiveBuffer {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;
  static constexpr size_t kShareThreshold = 1024;

  // Writable space of at most `max` bytes (empty if max is 0).
  absl::Span<char> Space(size_t max);
  // The first `n` bytes of the last Space() now hold received bytes; returns
  // them. They stay valid until the next Space() call.
  absl::string_view Commit(size_t n);
  // Makes `piece` (part of what Commit returned) readable.
  void Deliver(absl::string_view piece);
  // Takes up to `max` readable bytes, oldest first.
  absl::Cord Take(size_t max);

  size_t readable() const { return readable_.size(); }
  // Drops the reference to the current block (readable bytes stay).
  void Release() { block_.reset(); }
  // Drops everything, readable bytes included. Returns how many were dropped.
  size_t Clear();

 private:
  std::shared_ptr<char[]> block_;
  size_t filled_ = 0;  // bytes of block_ already committed
  absl::Cord readable_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_RECEIVE_BUFFER_H_
