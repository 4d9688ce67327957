// ReadBuffers: standard input's read buffers come back for reuse once the
// bytes wrapped around them are gone, short reads are copied, and the
// number kept idle is bounded.
#include "tools/hvcat/read_buffers.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace hvsock::hvcat {
namespace {

TEST(ReadBuffers, AWrappedBufferReturnsWhenItsCordIsGoneAndIsReused) {
  ReadBuffers buffers(1024, 2);
  ReadBuffers::Buffer buffer = buffers.Take();
  char* address = buffer.get();
  std::memset(address, 'x', 1000);
  absl::Cord cord = buffers.Wrap(std::move(buffer), 1000);
  EXPECT_EQ(cord, std::string(1000, 'x'));
  EXPECT_EQ(buffers.idle(), 0u);  // lent to the cord, not copied

  absl::Cord share = cord;  // the flow's queue holds a reference, say
  cord.Clear();
  EXPECT_EQ(buffers.idle(), 0u);
  share.Clear();
  EXPECT_EQ(buffers.idle(), 1u);
  EXPECT_EQ(buffers.Take().get(), address);  // the same memory again
  EXPECT_EQ(buffers.allocated(), 1u);
}

TEST(ReadBuffers, AShortReadIsCopiedAndItsBufferKeptForTheNextRead) {
  ReadBuffers buffers(1024, 2);
  ReadBuffers::Buffer buffer = buffers.Take();
  std::memcpy(buffer.get(), "hello", 5);
  absl::Cord cord = buffers.Wrap(std::move(buffer), 5);
  EXPECT_EQ(cord, "hello");
  EXPECT_EQ(buffers.idle(), 1u);  // back at once: the cord has a copy
}

TEST(ReadBuffers, AtMostKeepIdleBuffersAreKept) {
  ReadBuffers buffers(64, 2);
  ReadBuffers::Buffer a = buffers.Take();
  ReadBuffers::Buffer b = buffers.Take();
  ReadBuffers::Buffer c = buffers.Take();
  buffers.Return(std::move(a));
  buffers.Return(std::move(b));
  buffers.Return(std::move(c));
  EXPECT_EQ(buffers.idle(), 2u);
  EXPECT_EQ(buffers.allocated(), 3u);
}

TEST(ReadBuffers, CordsMayOutliveThePool) {
  absl::Cord cord;
  {
    ReadBuffers buffers(64, 1);
    ReadBuffers::Buffer buffer = buffers.Take();
    std::memset(buffer.get(), 'y', 64);
    cord = buffers.Wrap(std::move(buffer), 64);
  }
  EXPECT_EQ(cord, std::string(64, 'y'));
  cord.Clear();  // releases into the pool's state, still alive (ASan checks)
}

}  // namespace
}  // namespace hvsock::hvcat
