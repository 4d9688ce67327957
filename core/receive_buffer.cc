#include "core/receive_buffer.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <utility>

namespace hvsock {

absl::Span<char> ReceiveBuffer::Space(size_t max) {
  lent_ = false;
  next_.reset();  // a second span not committed goes back
  next_committed_ = 0;
  first_lent_ = 0;
  if (max == 0) return {};
  if (block_ == nullptr) {
    // Go on filling a released block that Cords still keep alive.
    block_ = released_.lock();
    released_.reset();
    if (block_ == nullptr) filled_ = 0;
  }
  if (block_ != nullptr && filled_ > 0 && block_.use_count() == 1) {
    // No Cord references the block any more (committed bytes were copied or
    // their Cords freed): reuse it from the start instead of allocating a
    // fresh block, whose first touch would fault its pages in again. The
    // fence pairs with the release of the last Cord, possibly on another
    // thread, so its reads of the block happen before our reuse.
#if !defined(__SANITIZE_THREAD__)  // ThreadSanitizer does not model fences
    std::atomic_thread_fence(std::memory_order_acquire);
#endif
    filled_ = 0;
  }
  if (block_ == nullptr || filled_ == kBlockSize) {
    NextBlock();
    filled_ = 0;
  }
  lent_ = true;
  first_lent_ = std::min(max, kBlockSize - filled_);
  return absl::Span<char>(block_.get() + filled_, first_lent_);
}

size_t ReceiveBuffer::Spaces(size_t max, absl::Span<char> (&out)[2]) {
  out[0] = Space(max);
  if (out[0].empty()) return 0;
  if (out[0].size() == max) return 1;  // the first span holds it all
  std::shared_ptr<char[]> first = std::move(block_);
  NextBlock();
  next_ = std::exchange(block_, std::move(first));
  out[1] =
      absl::Span<char>(next_.get(), std::min(max - out[0].size(), kBlockSize));
  return 2;
}

namespace {

#if defined(__SANITIZE_ADDRESS__)
#define HVSOCK_RECEIVE_BLOCK_CACHE 0  // let ASan see every block's lifetime
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HVSOCK_RECEIVE_BLOCK_CACHE 0
#endif
#endif
#ifndef HVSOCK_RECEIVE_BLOCK_CACHE
#define HVSOCK_RECEIVE_BLOCK_CACHE 1
#endif

// Process-wide cache of free receive blocks (see the header). The last
// Cord referencing a block may be freed on any thread, hence the mutex; it
// is taken once per 64 KiB block, never per frame.
class BlockCache {
 public:
  char* Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_ == 0 ? nullptr : blocks_[--count_];
  }
  // Keeps `block` for reuse, or frees it when the cache is full.
  void Put(char* block) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (count_ < ReceiveBuffer::kCachedBlocks) {
        blocks_[count_++] = block;
        return;
      }
    }
    delete[] block;
  }

 private:
  std::mutex mutex_;
  char* blocks_[ReceiveBuffer::kCachedBlocks] = {};
  size_t count_ = 0;
};

BlockCache& Cache() {
  // Never destroyed: Cords may outlive static destruction.
  static BlockCache* cache = new BlockCache;
  return *cache;
}

void ReturnBlock(char* block) {
  if (HVSOCK_RECEIVE_BLOCK_CACHE) {
    Cache().Put(block);
  } else {
    delete[] block;
  }
}

}  // namespace

void ReceiveBuffer::NextBlock() {
  char* block = HVSOCK_RECEIVE_BLOCK_CACHE ? Cache().Take() : nullptr;
  if (block == nullptr) block = new char[kBlockSize];
  block_ = std::shared_ptr<char[]>(block, ReturnBlock);
}

absl::string_view ReceiveBuffer::Commit(size_t n) {
  lent_ = false;
  const size_t first = std::min(n, first_lent_);
  next_committed_ = next_ != nullptr ? n - first : 0;
  if (next_committed_ == 0) next_.reset();  // not reached: back it goes
  if (first == 0) return {};
  absl::string_view committed(block_.get() + filled_, first);
  filled_ += first;
  return committed;
}

absl::string_view ReceiveBuffer::CommitNext() {
  if (next_committed_ == 0) return {};
  // The first block is full (a read reaches the second span only then):
  // the buffer goes on in the second.
  block_ = std::move(next_);
  released_.reset();
  filled_ = std::exchange(next_committed_, 0);
  return absl::string_view(block_.get(), filled_);
}

void ReceiveBuffer::Release() {
  if (lent_) return;
  released_ = block_;
  block_.reset();
}

bool ReceiveBuffer::Compact(size_t max) {
  if (lent_ || readable_.empty() || readable_.size() > max) return false;
  readable_ = absl::Cord(std::string(readable_));
  block_.reset();
  released_.reset();
  filled_ = 0;
  return true;
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
