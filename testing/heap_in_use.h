// HeapInUse: the bytes malloc has handed out and not had back (mallinfo2:
// small-block and mmapped allocations), the heap's own count. Tests and
// benchmarks measure a documented memory bound as its growth, not as a
// count of payload bytes. glibc only; sanitizers' allocators keep their own
// books (skip such measurements there).
#ifndef HVSOCK_TESTING_HEAP_IN_USE_H_
#define HVSOCK_TESTING_HEAP_IN_USE_H_

#include <malloc.h>

#include <cstddef>

namespace hvsock::testing {

inline size_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_HEAP_IN_USE_H_
