// The documented per-flow memory bound holds for what is actually
// allocated, not for a count of payload bytes: many flows are driven through
// the hostile patterns that waste memory (trickled pieces that pin receive
// blocks, tiny frames, an application that echoes what it reads into a send
// queue nobody drains), and the heap's own count of allocated bytes
// (mallinfo2) per flow is checked against the bound README.md states.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/flow.h"
#include "core/frame.h"
#include "gtest/gtest.h"
#include "testing/heap_in_use.h"

namespace hvsock {
namespace {

constexpr size_t kFlows = 128;

// Feeds `wire` to the flow in reads of `read_size`, each followed by the
// transport draining (the backend releases its receive block), as long as
// the flow wants to read. Returns the bytes taken.
size_t Trickle(Flow& flow, const std::string& wire, size_t read_size) {
  size_t at = 0;
  while (at < wire.size() && flow.WantsRead()) {
    absl::Span<char> space = flow.ReceiveSpace();
    if (space.empty()) break;
    size_t n = std::min({space.size(), read_size, wire.size() - at});
    std::copy_n(wire.data() + at, n, space.data());
    flow.CommitReceived(n);
    flow.ReleaseReceiveSpace();
    at += n;
  }
  return at;
}

// An application that echoes every byte it reads back into the flow, to a
// peer that never reads: received Cords end up in the send queue. When the
// queue pushes back it keeps what it read (`pending`, its own memory) and
// stops reading, as an echo server does.
void Echo(Flow& flow, absl::Cord& pending) {
  while (true) {
    if (pending.empty()) {
      absl::StatusOr<ReadResult> r = flow.Read();
      if (!r.ok() || !r->is_data()) return;
      pending = std::move(*r).data();
    }
    if (!flow.Write(absl::Cord(pending)).ok()) return;
    pending.Clear();
  }
}

std::string Frames(size_t payload, size_t count) {
  std::string wire;
  for (size_t i = 0; i < count; ++i) {
    wire += FrameHeader(static_cast<uint32_t>(payload));
    wire += std::string(payload, static_cast<char>('a' + i % 26));
  }
  return wire;
}

struct Pattern {
  const char* name;
  Codec codec;
  std::string wire;
  size_t read_size;
  bool echo;  // else the application never reads
};

std::vector<Pattern> Patterns() {
  const size_t kMiB = 1 << 20;
  return {
      {"bulk native, stalled reader", Codec::kNative,
       std::string(2 * kMiB, 'n'), 64 * 1024, false},
      {"bulk framed, stalled reader", Codec::kFramed, Frames(4096, 512),
       64 * 1024, false},
      {"1 KiB pieces trickled, stalled reader", Codec::kNative,
       std::string(2 * kMiB, 't'), 1024, false},
      {"1 KiB frames trickled, stalled reader", Codec::kFramed,
       Frames(1024, 2048), 1028, false},
      {"1-byte frames, stalled reader", Codec::kFramed, Frames(1, 200'000),
       64 * 1024, false},
      {"1 KiB pieces trickled, echoed to a peer that never reads",
       Codec::kNative, std::string(2 * kMiB, 'e'), 1024, true},
      {"bulk framed, echoed to a peer that never reads", Codec::kFramed,
       Frames(4096, 512), 64 * 1024, true},
  };
}

void PrintTo(const Pattern& p, std::ostream* os) { *os << p.name; }

class FlowMemory : public ::testing::TestWithParam<Pattern> {};

TEST_P(FlowMemory, AllocatedBytesPerFlowStayWithinTheDocumentedBound) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators keep their own books";
#endif
  const Pattern& p = GetParam();
  FlowOptions options;
  options.codec = p.codec;
  std::vector<std::unique_ptr<Flow>> flows;
  std::vector<absl::Cord> pending;  // the echoing application's own bytes
  flows.reserve(kFlows);
  pending.reserve(kFlows);
  size_t application_bytes = 0;
  const size_t before = testing::HeapInUse();
  for (size_t i = 0; i < kFlows; ++i) {
    flows.push_back(std::make_unique<Flow>(Flow::Create(options).value()));
    pending.emplace_back();
    Flow& flow = *flows.back();
    size_t at = 0;
    // Round after round until the flow stops taking bytes.
    while (true) {
      size_t taken = Trickle(flow, p.wire.substr(at), p.read_size);
      at += taken;
      if (p.echo) Echo(flow, pending.back());
      if (taken == 0) break;
    }
    ASSERT_EQ(flow.state(), FlowState::kOpen) << flow.error();
    application_bytes += pending.back().size();
  }
  const size_t after = testing::HeapInUse();
  ASSERT_GT(after, before + kFlows * options.receive_limit / 2)
      << "the heap did not report the flows' buffers";
  const size_t per_flow = (after - before) / kFlows;
  // The application's own buffers come on top of what the flow holds.
  const size_t bound = Flow::MemoryBound(options) + application_bytes / kFlows;
  RecordProperty("bytes_per_flow", static_cast<int>(per_flow));
  std::printf("%-60s %8zu bytes per flow (bound %zu)\n", p.name, per_flow,
              bound);
  EXPECT_LE(per_flow, bound) << p.name;
}

// An application that writes 64-byte messages (as bytes and as Cords,
// both codecs) to a transport that takes nothing: the send queue coalesces
// them into blocks and stays within the bound however many writes it took.
TEST(FlowMemorySmallWrites, QueuedSmallWritesStayWithinTheDocumentedBound) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators keep their own books";
#endif
  for (Codec codec : {Codec::kNative, Codec::kFramed}) {
    FlowOptions options;
    options.codec = codec;
    const std::string message(64, 'm');
    std::vector<std::unique_ptr<Flow>> flows;
    flows.reserve(kFlows);
    size_t writes = 0;
    const size_t before = testing::HeapInUse();
    for (size_t i = 0; i < kFlows; ++i) {
      flows.push_back(std::make_unique<Flow>(Flow::Create(options).value()));
      Flow& flow = *flows.back();
      for (bool as_cord = false;; as_cord = !as_cord) {
        absl::Status status = as_cord ? flow.Write(absl::Cord(message))
                                      : flow.Write(absl::string_view(message));
        if (!status.ok()) break;
        ++writes;
      }
      ASSERT_GE(flow.stats().send_queued, options.send_limit);
    }
    const size_t after = testing::HeapInUse();
    const size_t per_flow = (after - before) / kFlows;
    std::printf(
        "64-byte writes queued (%s), %zu writes per flow   %8zu "
        "bytes per flow (bound %zu)\n",
        codec == Codec::kNative ? "native" : "framed", writes / kFlows,
        per_flow, Flow::MemoryBound(options));
    EXPECT_LE(per_flow, Flow::MemoryBound(options));
  }
}

// A peer that reads one byte for every two the application writes: the
// transport takes a byte at a time, so the send queue is read between
// almost every pair of writes, and what stays queued must still be dense.
TEST(FlowMemorySmallWrites, ASlowReaderBetweenTinyWritesStaysWithinTheBound) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators keep their own books";
#endif
  constexpr size_t kSlowFlows = 16;
  for (Codec codec : {Codec::kNative, Codec::kFramed}) {
    FlowOptions options;
    options.codec = codec;
    options.send_limit = 32 * 1024;
    std::vector<std::unique_ptr<Flow>> flows;
    flows.reserve(kSlowFlows);
    const size_t before = testing::HeapInUse();
    for (size_t i = 0; i < kSlowFlows; ++i) {
      flows.push_back(std::make_unique<Flow>(Flow::Create(options).value()));
      Flow& flow = *flows.back();
      while (flow.Write(absl::string_view("ab")).ok()) {
        absl::string_view spans[4];
        if (flow.PeekTransmit(absl::MakeSpan(spans)) > 0) {
          flow.ConsumeTransmitted(1);
        }
      }
      ASSERT_GE(flow.stats().send_queued, options.send_limit);
    }
    const size_t per_flow = (testing::HeapInUse() - before) / kSlowFlows;
    std::printf(
        "2-byte writes, 1 byte read between (%s)   %8zu bytes per "
        "flow (bound %zu)\n",
        codec == Codec::kNative ? "native" : "framed", per_flow,
        Flow::MemoryBound(options));
    EXPECT_LE(per_flow, Flow::MemoryBound(options));
  }
}

INSTANTIATE_TEST_SUITE_P(Patterns, FlowMemory, ::testing::ValuesIn(Patterns()),
                         [](const ::testing::TestParamInfo<Pattern>& info) {
                           std::string name;
                           for (const char* c = info.param.name; *c; ++c) {
                             if (std::isalnum(static_cast<unsigned char>(*c)))
                               name += *c;
                           }
                           return name;
                         });

}  // namespace
}  // namespace hvsock
