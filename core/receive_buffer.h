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
// idle flow holds no receive memory. A block that no handed-out Cord still
// references is reused from its start, so a reader that keeps up works in
// one block's memory. A block released while Cords still reference it is
// not abandoned half empty: the buffer keeps a weak reference and the next
// Space() goes on filling it after its last committed byte if it is still
// alive. So blocks are filled densely whatever the read sizes (a peer that
// trickles 1 KiB pieces, each followed by a drained transport, cannot make
// every piece pin a block of its own): received bytes, in the buffer or in
// Cords handed out, pin at most their own size plus one partly filled block
// per flow. A block freed by its last reference (the buffer's or
// a Cord's) goes to a small process-wide cache of free blocks (at most
// kCachedBlocks, shared by every flow, thread-safe; off under ASan) rather
// than back to malloc, whose heap trimming would return its pages to the
// kernel and make the backend's next read into a new block fault them in
// again (a streaming flow releases its block whenever the transport drains).
// An idle flow still holds no receive memory.
//
// Lent space: from Space() until the matching Commit(), the space belongs to
// the backend, which may be filling it asynchronously (an overlapped
// WSARecv). Release() and Clear() never free a block while space in it is
// lent (call them again after Commit()); destroying the buffer does, so a
// backend must not destroy its flow while a read into the space is still in
// flight.
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
  static constexpr size_t kCachedBlocks = 16;  // process-wide, 1 MiB

  // Writable space of at most `max` bytes (empty if max is 0), lent to the
  // caller until Commit().
  absl::Span<char> Space(size_t max);
  // Space() for one vectored read: out[0] is Space(max) and, when that is
  // the rest of a block and less than `max`, out[1] is the start of a
  // fresh block, so that at most `max` bytes fit in both. Returns how many
  // spans (0, 1 or 2); both are lent until Commit(). A second block the
  // read did not reach goes back (to the block cache) at Commit().
  size_t Spaces(size_t max, absl::Span<char> (&out)[2]);
  // The first `n` bytes (n may be 0) of the last Space() or Spaces() now
  // hold received bytes (in order across the spans); returns those of the
  // first span and ends the loan. They stay valid until the next Space()
  // call. Bytes that reached the second span come from CommitNext().
  absl::string_view Commit(size_t n);
  // After Commit(): the bytes the read put in the second span (empty if
  // none). The buffer has then moved on to that block (the first is full).
  absl::string_view CommitNext();
  // Makes `piece` (part of what Commit returned) readable.
  void Deliver(absl::string_view piece);
  // Takes up to `max` readable bytes, oldest first.
  absl::Cord Take(size_t max);

  size_t readable() const { return readable_.size(); }
  // Size of the block held for the next read (0 if none).
  size_t block_bytes() const { return block_ != nullptr ? kBlockSize : 0; }
  // Drops the reference to the current block (readable bytes stay), unless
  // space in it is lent.
  void Release();
  // When at most `max` bytes are readable (and none is lent): copies them
  // into memory of their own and lets go of the receive blocks they were
  // in, so that a few unread bytes do not keep a whole block. (A
  // multiplexer has a receive buffer per channel: many channels each
  // holding a little would otherwise hold a block each.) Returns whether
  // it copied.
  bool Compact(size_t max);
  // Drops every readable byte, and the block unless space in it is lent.
  // Returns how many readable bytes were dropped.
  size_t Clear();
  bool space_lent() const { return lent_; }

 private:
  // Makes block_ a block free for writing from its start (cached or new).
  void NextBlock();

  std::shared_ptr<char[]> block_;
  // The block released while Cords still referenced it: filled on from
  // filled_ if it is still alive at the next Space().
  std::weak_ptr<char[]> released_;
  size_t filled_ = 0;      // bytes of block_ (or released_) already committed
  bool lent_ = false;      // a Space() awaits its Commit()
  size_t first_lent_ = 0;  // size of the first span lent
  // The second span's block, lent by Spaces() (null unless lent), and how
  // many committed bytes landed in it (waiting for CommitNext()).
  std::shared_ptr<char[]> next_;
  size_t next_committed_ = 0;
  absl::Cord readable_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_RECEIVE_BUFFER_H_
