// ReceiveBuffer: one copy on the data path, bounded memory, and reuse of a
// block once nothing the application holds points into it.
#include "core/receive_buffer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

// Receives `bytes` as the backend would: read into Space(), Commit, Deliver
// (several reads where a block's end cuts the bytes).
void Receive(ReceiveBuffer& buffer, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    absl::Span<char> space = buffer.Space(bytes.size() - at);
    ASSERT_FALSE(space.empty());
    std::copy_n(bytes.data() + at, space.size(), space.begin());
    buffer.Deliver(buffer.Commit(space.size()));
    at += space.size();
  }
}

TEST(ReceiveBuffer, ReusesTheBlockOnceTheApplicationHasDroppedItsData) {
  ReceiveBuffer buffer;
  const char* start = buffer.Space(1).data();
  buffer.Commit(0);
  Receive(buffer, std::string(4096, 'a'));  // shared with the Cord, not copied
  absl::Cord taken = buffer.Take(SIZE_MAX);
  EXPECT_EQ(buffer.Space(1).data(), start + 4096);  // still referenced
  buffer.Commit(0);
  taken.Clear();
  // Nothing references the block now: the next read starts at its front.
  EXPECT_EQ(buffer.Space(1).data(), start);
}

TEST(ReceiveBuffer, NeverOverwritesBytesTheApplicationStillHolds) {
  ReceiveBuffer buffer;
  const std::string big(4096, 'a');
  Receive(buffer, big);
  absl::Cord held = buffer.Take(SIZE_MAX);
  Receive(buffer, std::string(4096, 'b'));
  absl::Cord second = buffer.Take(SIZE_MAX);
  EXPECT_EQ(std::string(held), big);
  EXPECT_EQ(std::string(second), std::string(4096, 'b'));
}

TEST(ReceiveBuffer, CopiedSmallPiecesDoNotPinTheBlock) {
  ReceiveBuffer buffer;
  const char* start = buffer.Space(1).data();
  buffer.Commit(0);
  Receive(buffer, "tiny");  // copied into the Cord
  absl::Cord held = buffer.Take(SIZE_MAX);
  EXPECT_EQ(buffer.Space(1).data(), start);
  EXPECT_EQ(std::string(held), "tiny");
}

TEST(ReceiveBuffer, IdleReleaseFreesTheBlockButKeepsReadableBytes) {
  ReceiveBuffer buffer;
  Receive(buffer, std::string(2000, 'x'));
  buffer.Release();
  EXPECT_EQ(buffer.readable(), 2000u);
  EXPECT_EQ(std::string(buffer.Take(SIZE_MAX)), std::string(2000, 'x'));
}

// A few unread bytes copied out of their block let the block go: the next
// read no longer goes on after them in the block they pinned.
TEST(ReceiveBuffer, CompactingFewUnreadBytesLetsTheirBlockGo) {
  ReceiveBuffer buffer;
  const char* start = buffer.Space(1).data();
  buffer.Commit(0);
  std::string bytes(2000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  Receive(buffer, bytes);  // shared with the block
  buffer.Release();
  EXPECT_FALSE(buffer.Compact(1999));  // more than asked: left alone
  EXPECT_EQ(buffer.Space(1).data(), start + 2000);  // still pinned
  buffer.Commit(0);
  buffer.Release();
  ASSERT_TRUE(buffer.Compact(2000));
  EXPECT_EQ(buffer.block_bytes(), 0u);
  EXPECT_NE(buffer.Space(1).data(), start + 2000);
  buffer.Commit(0);
  EXPECT_EQ(std::string(buffer.Take(SIZE_MAX)), bytes);
  EXPECT_FALSE(buffer.Compact(SIZE_MAX));  // nothing readable
}

TEST(ReceiveBuffer, NeverCompactsWhileSpaceIsLent) {
  ReceiveBuffer buffer;
  Receive(buffer, std::string(2000, 'x'));
  absl::Span<char> space = buffer.Space(100);
  ASSERT_FALSE(space.empty());
  EXPECT_FALSE(buffer.Compact(SIZE_MAX));
  buffer.Commit(0);
  EXPECT_TRUE(buffer.Compact(SIZE_MAX));
  EXPECT_EQ(std::string(buffer.Take(SIZE_MAX)), std::string(2000, 'x'));
}

TEST(ReceiveBuffer, LentSpaceSurvivesReleaseAndClearUntilCommitted) {
  ReceiveBuffer buffer;
  absl::Span<char> space = buffer.Space(16);
  EXPECT_TRUE(buffer.space_lent());
  buffer.Release();
  buffer.Clear();
  std::fill(space.begin(), space.end(), 'z');  // ASan would flag a free block
  buffer.Commit(16);
  EXPECT_FALSE(buffer.space_lent());
}

TEST(ReceiveBuffer, BlocksFreedAndReusedKeepEveryCordIntact) {
  // Blocks cycle through allocation, the Cords that pin them and reuse;
  // a Cord still held must never see its bytes overwritten.
  ReceiveBuffer buffer;
  std::vector<absl::Cord> held;
  std::string expected;
  for (int round = 0; round < 200; ++round) {
    std::string bytes(3000, static_cast<char>('a' + round % 26));
    Receive(buffer, bytes);
    absl::Cord taken = buffer.Take(SIZE_MAX);
    EXPECT_TRUE(taken == bytes) << "round " << round;
    if (round % 3 == 0) {
      held.push_back(std::move(taken));
      expected += bytes;
    }
    if (round % 7 == 6) buffer.Release();
  }
  std::string all;
  for (const absl::Cord& cord : held) all += std::string(cord);
  EXPECT_TRUE(all == expected);
}

TEST(ReceiveBuffer, ABlockReleasedWhileCordsHoldItIsFilledOnNotAbandoned) {
  // A trickling peer: one piece per read, the transport drained after each.
  ReceiveBuffer buffer;
  Receive(buffer, std::string(2000, 'a'));
  absl::Cord first = buffer.Take(SIZE_MAX);
  const char* first_byte = first.Flatten().data();
  buffer.Release();
  Receive(buffer, std::string(2000, 'b'));
  absl::Cord second = buffer.Take(SIZE_MAX);
  // The second piece went right behind the first, in the same block.
  EXPECT_EQ(second.Flatten().data(), first_byte + 2000);
  EXPECT_EQ(std::string(first), std::string(2000, 'a'));
}

TEST(ReceiveBuffer, AReleasedBlockNobodyHoldsIsFreedNotResumed) {
  ReceiveBuffer buffer;
  Receive(buffer, std::string(2000, 'a'));
  buffer.Take(SIZE_MAX);  // dropped at once
  buffer.Release();
  EXPECT_EQ(buffer.block_bytes(), 0u);  // an idle buffer holds nothing
  absl::Span<char> space = buffer.Space(10);
  EXPECT_EQ(space.size(), 10u);
  buffer.Commit(0);
}

// A vectored read: the rest of the block, then the start of a second one.
TEST(ReceiveBuffer, OneReadFillsTheBlocksRestAndTheNextBlocksStart) {
  ReceiveBuffer buffer;
  const std::string head(60 * 1024, 'h');
  Receive(buffer, head);
  absl::Span<char> spans[2];
  ASSERT_EQ(buffer.Spaces(64 * 1024, spans), 2u);
  EXPECT_EQ(spans[0].size(), ReceiveBuffer::kBlockSize - head.size());
  EXPECT_EQ(spans[1].size(), 64 * 1024 - spans[0].size());
  std::fill(spans[0].begin(), spans[0].end(), 'a');
  std::fill_n(spans[1].begin(), 1000, 'b');
  const absl::string_view first = buffer.Commit(spans[0].size() + 1000);
  EXPECT_EQ(first, std::string(spans[0].size(), 'a'));
  buffer.Deliver(first);
  const absl::string_view second = buffer.CommitNext();
  EXPECT_EQ(second, std::string(1000, 'b'));
  buffer.Deliver(second);
  EXPECT_EQ(std::string(buffer.Take(SIZE_MAX)),
            head + std::string(spans[0].size(), 'a') + std::string(1000, 'b'));
  // The buffer goes on in the second block (from its start: nothing holds
  // its bytes any more).
  EXPECT_EQ(buffer.Space(1).data(), second.data());
  buffer.Commit(0);
}

TEST(ReceiveBuffer, ASecondSpanTheReadDidNotReachIsGivenBack) {
  ReceiveBuffer buffer;
  Receive(buffer, std::string(60 * 1024, 'h'));
  absl::Span<char> spans[2];
  ASSERT_EQ(buffer.Spaces(64 * 1024, spans), 2u);
  const char* rest = spans[0].data();
  EXPECT_EQ(buffer.Commit(10).size(), 10u);
  EXPECT_TRUE(buffer.CommitNext().empty());
  // Still the first block, after the 10 bytes; only one block is held.
  EXPECT_EQ(buffer.Space(1).data(), rest + 10);
  buffer.Commit(0);
  EXPECT_EQ(buffer.block_bytes(), ReceiveBuffer::kBlockSize);
}

TEST(ReceiveBuffer, OneSpanWhenTheFirstHoldsEverythingWanted) {
  ReceiveBuffer buffer;
  absl::Span<char> spans[2];
  EXPECT_EQ(buffer.Spaces(100, spans), 1u);
  EXPECT_EQ(spans[0].size(), 100u);
  buffer.Commit(0);
  EXPECT_EQ(buffer.Spaces(0, spans), 0u);
}

}  // namespace
}  // namespace hvsock
