// SendQueue: small writes coalesced into plain blocks, large ones shared,
// all leaving in order, with spans that stay valid until consumed.
#include "core/send_queue.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/flow_options.h"
#include "core/frame.h"
#include "core/frame_decoder.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

// `size` bytes that differ from their neighbours, so that a byte out of
// place shows.
std::string Pattern(size_t size, size_t seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>('a' + (seed * 7 + i) % 26);
  }
  return bytes;
}

// Everything the queue hands out, taking `max_spans` spans and consuming
// `consume_step` bytes at a time (any boundary), until it is empty.
std::string Transmit(SendQueue& queue, size_t max_spans,
                     size_t consume_step = SIZE_MAX) {
  std::string wire;
  while (queue.wire_bytes() > 0) {
    std::vector<absl::string_view> spans(max_spans);
    size_t count = queue.Peek(absl::MakeSpan(spans));
    EXPECT_GT(count, 0u);
    if (count == 0) break;
    size_t exposed = 0;
    for (size_t i = 0; i < count; ++i) exposed += spans[i].size();
    size_t take = std::min(exposed, consume_step);
    size_t left = take;
    for (size_t i = 0; i < count && left > 0; ++i) {
      size_t n = std::min(left, spans[i].size());
      wire.append(spans[i].data(), n);
      left -= n;
    }
    queue.Consume(take);
  }
  return wire;
}

// The payload carried by framed wire bytes (Data messages only).
std::string Unframe(absl::string_view wire) {
  FrameDecoder decoder;
  std::string payload;
  while (!wire.empty()) {
    DecodedItem item = decoder.Next(wire);
    EXPECT_NE(item.kind, DecodedItem::Kind::kError);
    if (item.kind == DecodedItem::Kind::kPayload) {
      payload.append(item.payload.data(), item.payload.size());
    } else if (item.kind != DecodedItem::Kind::kNeedMore) {
      ADD_FAILURE() << "unexpected control message";
      break;
    }
  }
  return payload;
}

TEST(SendQueue, ManySmallWritesLeaveAsAFewLargeSpans) {
  SendQueue queue(Codec::kNative, kDefaultMaxSendFrame);
  std::string written;
  for (size_t i = 0; i < 1000; ++i) {
    std::string message = Pattern(64, i);
    queue.AppendCopy(message);
    written += message;
  }
  EXPECT_EQ(queue.payload_bytes(), written.size());
  std::vector<absl::string_view> spans(256);
  size_t count = queue.Peek(absl::MakeSpan(spans));
  // 64,000 bytes in blocks of kCoalesceBlock (the last, partly filled one
  // copied into a few pieces of its size), not a span per write.
  EXPECT_LE(count, written.size() / SendQueue::kCoalesceBlock + 4);
  std::string peeked;
  for (size_t i = 0; i < count; ++i)
    peeked.append(spans[i].data(), spans[i].size());
  EXPECT_EQ(peeked, written);
}

TEST(SendQueue, SmallCordWritesAreCoalescedLikeCopies) {
  SendQueue queue(Codec::kNative, kDefaultMaxSendFrame);
  std::string written;
  for (size_t i = 0; i < 300; ++i) {
    std::string message = Pattern(100, i);
    queue.Append(absl::Cord(message));
    written += message;
  }
  std::vector<absl::string_view> spans(256);
  size_t count = queue.Peek(absl::MakeSpan(spans));
  EXPECT_LE(count, written.size() / SendQueue::kCoalesceBlock + 4);
  EXPECT_EQ(Transmit(queue, 256), written);
}

TEST(SendQueue, SmallAndLargeWritesLeaveInTheOrderWritten) {
  SendQueue queue(Codec::kFramed, kDefaultMaxSendFrame);
  std::string written;
  for (size_t i = 0; i < 40; ++i) {
    // Small copies, a shared Cord, a large copy, a small Cord.
    std::string small = Pattern(1 + i * 3, i);
    std::string large = Pattern(5000 + i, i + 1);
    std::string large_copy = Pattern(700, i + 2);
    std::string small_cord = Pattern(200, i + 3);
    queue.AppendCopy(small);
    queue.Append(absl::Cord(large));
    queue.AppendCopy(large_copy);
    queue.Append(absl::Cord(small_cord));
    written += small + large + large_copy + small_cord;
  }
  EXPECT_EQ(queue.payload_bytes(), written.size());
  EXPECT_EQ(Unframe(Transmit(queue, 7, 1234)), written);
  EXPECT_EQ(queue.payload_bytes(), 0u);
}

TEST(SendQueue, HandedOutSpansStayValidWhileSmallWritesArrive) {
  SendQueue queue(Codec::kNative, kDefaultMaxSendFrame);
  std::string first;
  for (size_t i = 0; i < 10; ++i) first += Pattern(50, i);
  queue.AppendCopy(first.substr(0, 250));
  queue.AppendCopy(first.substr(250));
  std::vector<absl::string_view> spans(16);
  size_t count = queue.Peek(absl::MakeSpan(spans));
  // More small writes than fill several blocks, while the spans are out.
  std::string second;
  for (size_t i = 0; i < 2000; ++i) {
    std::string message = Pattern(33, i + 100);
    queue.AppendCopy(message);
    second += message;
  }
  std::string held;
  for (size_t i = 0; i < count; ++i)
    held.append(spans[i].data(), spans[i].size());
  EXPECT_EQ(held, first);
  queue.Consume(first.size());
  EXPECT_EQ(Transmit(queue, 3, 1000), second);
}

TEST(SendQueue, ConsumingAtAnyBoundaryCrossesCoalescedBlocks) {
  SendQueue queue(Codec::kFramed, 1000);
  std::string written;
  for (size_t i = 0; i < 3000; ++i) {
    std::string message = Pattern(1 + i % 97, i);
    queue.AppendCopy(message);
    written += message;
  }
  EXPECT_EQ(Unframe(Transmit(queue, 5, 777)), written);
}

TEST(SendQueue, DropUnsentCountsCoalescedBytesNobodyHasSeen) {
  SendQueue queue(Codec::kNative, kDefaultMaxSendFrame);
  for (size_t i = 0; i < 10; ++i) queue.AppendCopy(Pattern(64, i));
  EXPECT_EQ(queue.DropUnsent(), 640u);
  EXPECT_EQ(queue.payload_bytes(), 0u);
  EXPECT_EQ(queue.wire_bytes(), 0u);
  // The queue works on after the drop, with only the new bytes.
  std::string after = Pattern(64, 99);
  queue.AppendCopy(after);
  EXPECT_EQ(Transmit(queue, 4), after);
}

TEST(SendQueue, TheEndLeavesAfterCoalescedBytes) {
  SendQueue queue(Codec::kFramed, kDefaultMaxSendFrame);
  std::string written = Pattern(300, 1);
  queue.AppendCopy(written);
  queue.AppendEnd();
  std::string wire = Transmit(queue, 8);
  ASSERT_EQ(wire.size(), kFrameHeaderSize + written.size() + kFrameHeaderSize);
  EXPECT_EQ(Unframe(absl::string_view(wire).substr(
                0, wire.size() - kFrameHeaderSize)),
            written);
  EXPECT_EQ(wire.substr(wire.size() - kFrameHeaderSize),
            FrameHeader(kFrameShutdownWrite));
  EXPECT_TRUE(queue.AtEnd());
}

// Skipping the bytes already handed out gives the same wire as peeking
// everything and cutting them off, at any skip, in both codecs.
TEST(SendQueue, PeekingAfterASkipMatchesPeekingEverything) {
  for (Codec codec : {Codec::kNative, Codec::kFramed}) {
    SendQueue queue(codec, kDefaultMaxSendFrame);
    queue.AppendCopy(Pattern(300, 1));  // coalesced
    queue.Append(absl::Cord(Pattern(20000, 2)));
    queue.AppendCopy(Pattern(100, 3));
    queue.AppendEnd();
    std::vector<absl::string_view> all(64);
    all.resize(queue.Peek(absl::MakeSpan(all)));
    std::string everything;
    for (absl::string_view span : all) {
      everything.append(span.data(), span.size());
    }
    ASSERT_EQ(everything.size(), queue.wire_bytes());
    for (size_t skip :
         {size_t{0}, size_t{1}, size_t{299}, size_t{300}, size_t{4000},
          everything.size() - 1, everything.size(), everything.size() + 5}) {
      std::vector<absl::string_view> spans(64);
      spans.resize(queue.Peek(absl::MakeSpan(spans), skip));
      std::string after;
      for (absl::string_view span : spans) {
        after.append(span.data(), span.size());
      }
      EXPECT_EQ(after, everything.substr(std::min(skip, everything.size())))
          << "skip " << skip << " codec " << static_cast<int>(codec);
    }
  }
}

}  // namespace
}  // namespace hvsock
