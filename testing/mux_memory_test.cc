// The multiplexer's receive memory bound holds for what is actually
// allocated, not for a count of payload bytes. A peer opens many channels
// and sends each a payload the application never reads, in the patterns
// that waste memory (small payloads that leave every channel's receive
// block mostly empty, payloads that straddle blocks), read both in place and
// by copy; the heap's own count (mallinfo2) must stay within what
// MuxOptions::receive_budget documents: twice the bytes counted, plus an
// eighth of the budget, plus the payload being read in place.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/mux/mux_connection.h"
#include "core/mux/mux_frame.h"
#include "core/mux/mux_preamble.h"
#include "core/receive_buffer.h"
#include "gtest/gtest.h"
#include "testing/heap_in_use.h"
#include "testing/wire_by_hand.h"

namespace hvsock {
namespace {

struct Pattern {
  const char* name;
  size_t channels;
  size_t payload;  // one Data frame per channel, never read
  bool in_place;
};

void PrintTo(const Pattern& p, std::ostream* os) {
  *os << p.name << (p.in_place ? ", read in place" : ", copied");
}

std::vector<Pattern> Patterns() {
  std::vector<Pattern> out;
  for (bool in_place : {false, true}) {
    // Within the default grants: 8 KiB of credit for every channel, 256
    // KiB for the first 128 (from the shared half of the budget).
    out.push_back({"2 KB on each of 1000 channels", 1000, 2000, in_place});
    out.push_back({"8 KB on each of 3000 channels", 3000, 8000, in_place});
    out.push_back({"40 KB on each of 120 channels", 120, 40000, in_place});
    out.push_back({"150 KB on each of 120 channels", 120, 150000, in_place});
  }
  return out;
}

class MuxMemory : public ::testing::TestWithParam<Pattern> {};

TEST_P(MuxMemory, ReceivedDataStaysWithinTheDocumentedBound) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators keep their own books";
#endif
  const Pattern& p = GetParam();
  MuxOptions options;
  options.connector = false;
  options.max_pending_opens = p.channels;
  std::string opens = absl::StrCat(kMuxMagic, std::string(2, '\0'));
  std::string data;
  for (uint32_t id = 1; id <= p.channels; ++id) {
    opens +=
        EncodeMuxFrame(MuxFrame::Open(id, MuxDestination::Unix("/m"))).value();
    data += EncodeMuxFrame(MuxFrame::Data(id, static_cast<uint32_t>(p.payload)))
                .value();
    data += std::string(p.payload, static_cast<char>('a' + id % 26));
  }
  std::unique_ptr<MuxConnection> mux = MuxConnection::Create(options).value();
  mux->HandleReceived(opens);
  size_t accepted = 0;
  while (MuxChannel* channel = mux->PollIncoming()) {
    ASSERT_TRUE(mux->Accept(channel).ok());
    ++accepted;
  }
  ASSERT_EQ(accepted, p.channels);
  testing::DiscardTransmit(*mux);

  const size_t before = testing::HeapInUse();
  if (p.in_place) {
    testing::ReceiveInPlace(*mux, data, 64 * 1024);
  } else {
    mux->HandleReceived(data);
  }
  testing::DiscardTransmit(*mux);
  const size_t after = testing::HeapInUse();

  ASSERT_TRUE(mux->error().ok()) << mux->error();
  const MuxConnectionStats stats = mux->stats();
  // Every channel got its whole payload (the grants covered them).
  ASSERT_EQ(stats.receive_buffered, p.channels * p.payload);
  const size_t block = ReceiveBuffer::kBlockSize;
  const size_t allowance =
      std::max<size_t>(16 * 2 * block, options.receive_budget / 8);
  const size_t bound = 2 * stats.receive_buffered + allowance + 2 * block;
  const size_t grown = after - before;
  std::printf("%-32s %-9s %9zu bytes held for %9zu received (bound %zu)\n",
              p.name, p.in_place ? "in place" : "copied", grown,
              static_cast<size_t>(stats.receive_buffered), bound);
  EXPECT_GT(grown, stats.receive_buffered)
      << "the heap did not report the channels' buffers";
  EXPECT_LE(grown, bound);
}

INSTANTIATE_TEST_SUITE_P(Patterns, MuxMemory, ::testing::ValuesIn(Patterns()));

}  // namespace
}  // namespace hvsock
