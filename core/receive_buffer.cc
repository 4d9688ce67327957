#include "core/receive_buffer.h"

#include <algorithm>
#include <atomic>
#include <utility>

namespace hvsock {

absl::Span<char> ReceiveBuffer::Space(size_t max) {
  lent_ = false;
  if (max == 0) return {};
  if (block_ != nullptr && filled_ > 0 && block_.use_count() == 1) {
    // No Cord references the block any more (committed bytes were copied or
    // their Cords freed): reuse it from the start instead of allocating a
    // fresh block, whose first touch would fault its pages in again. The
    // fence pairs with the release of the last Cord, possibly on another
    // thread, so its reads of the block happen before our reuse.
    std::atomic_thread_fence(std::memory_order_acquire);
    filled_ = 0;
  }
  if (block_ == nullptr || filled_ == kBlockSize) {
    NextBlock();
    filled_ = 0;
  }
  lent_ = true;
  return absl::Span<char>(block_.get() + filled_,
                          std::min(max, kBlockSize - filled_));
}

void ReceiveBuffer::NextBlock() {
  // A full block that Cords still reference becomes a spare; a spare that
  // nothing else references any more is reused before a fresh allocation
  // (whose pages the allocator may have handed back to the kernel, so that
  // the backend's read would fault them in again).
  std::shared_ptr<char[]> full = std::move(block_);
  for (std::shared_ptr<char[]>& spare : spares_) {
    if (spare != nullptr && spare.use_count() == 1) {
      std::atomic_thread_fence(std::memory_order_acquire);
      block_ = std::move(spare);
      break;
    }
  }
  if (full != nullptr) {
    // Into an empty slot, else in place of the oldest spare still in use.
    std::shared_ptr<char[]>* slot = &spares_[0];
    for (std::shared_ptr<char[]>& spare : spares_) {
      if (spare == nullptr) {
        slot = &spare;
        break;
      }
    }
    *slot = std::move(full);
  }
  if (block_ == nullptr) {
    block_ = std::make_shared_for_overwrite<char[]>(kBlockSize);
  }
}

absl::string_view ReceiveBuffer::Commit(size_t n) {
  lent_ = false;
  if (n == 0) return {};
  absl::string_view committed(block_.get() + filled_, n);
  filled_ += n;
  return committed;
}

void ReceiveBuffer::Release() {
  if (lent_) return;
  block_.reset();
  for (std::shared_ptr<char[]>& spare : spares_) spare.reset();
  filled_ = 0;
}

void ReceiveBuffer::Deliver(absl::string_view piece) {
  if (piece.empty()) return;
  if (piece.size() < kShareThreshold) {
    readable_.Append(piece);
    return;
  }
  readable_.Append(absl::MakeCordFromExternal(
      piece, [block = block_](absl::string_view) {}));
}

absl::Cord ReceiveBuffer::Take(size_t max) {
  if (max >= readable_.size()) return std::exchange(readable_, absl::Cord());
  absl::Cord taken = readable_.Subcord(0, max);
  readable_.RemovePrefix(max);
  return taken;
}

size_t ReceiveBuffer::Clear() {
  size_t dropped = readable_.size();
  readable_.Clear();
  Release();
  return dropped;
}

}  // namespace hvsock
