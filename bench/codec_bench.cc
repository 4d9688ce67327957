// Codec: the framed encoder and decoder on 64 B, 4 KiB and 64 KiB
// application writes, with the native codec's pass-through for comparison.
//
//  * BM_Encode: SendQueue (the encoder) takes a batch of writes (256 KiB, a
//    send queue's worth), then hands out every transmit span and has it
//    consumed, as a backend would. `by_reference` is the fraction of
//    payload bytes whose spans point into the application's own buffer:
//    1 means no payload was copied (writes of 512 B and more are shared;
//    smaller ones are coalesced by copy, by design). `frames_per_second`
//    shows that the framed encoder's cost follows frames, not bytes.
//  * BM_Decode: FrameDecoder alone over a stream of Data messages of the
//    write size, fed in 64 KiB pieces (a receive block's worth).
//  * BM_Receive: the flow's whole receive path over the same bytes: copy a
//    piece into the receive space, commit it (decoding when framed), read
//    it out. The native codec here is the pass-through.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "core/flow.h"
#include "core/frame.h"
#include "core/frame_decoder.h"
#include "core/send_queue.h"
#include "testing/pattern.h"

namespace hvsock::testing {
namespace {

constexpr size_t kBatch = 256 * 1024;  // a send queue's worth
constexpr size_t kPiece = 64 * 1024;   // a receive block's worth

void BM_Encode(benchmark::State& state, Codec codec) {
  const size_t write_size = static_cast<size_t>(state.range(0));
  const size_t writes = kBatch / write_size;
  const absl::Cord message(testing::PatternBytes(write_size, 1));
  const absl::string_view app_buffer = *message.TryFlat();
  SendQueue queue(codec, kDefaultMaxSendFrame);
  uint64_t frames = 0;
  uint64_t shared_bytes = 0;
  absl::string_view spans[64];
  for (auto _ : state) {
    for (size_t i = 0; i < writes; ++i) queue.Append(message);
    while (queue.wire_bytes() > 0) {
      size_t count = queue.Peek(absl::MakeSpan(spans));
      size_t bytes = 0;
      for (size_t i = 0; i < count; ++i) {
        bytes += spans[i].size();
        if (spans[i].data() >= app_buffer.data() &&
            spans[i].data() < app_buffer.data() + app_buffer.size()) {
          shared_bytes += spans[i].size();
        }
      }
      frames += queue.Consume(bytes).frames;
    }
  }
  const double payload =
      static_cast<double>(state.iterations() * writes * write_size);
  state.SetBytesProcessed(static_cast<int64_t>(payload));
  state.counters["frames_per_second"] = benchmark::Counter(
      static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["by_reference"] = static_cast<double>(shared_bytes) / payload;
}

// `total` payload bytes as Data messages of `frame_size` bytes.
std::string FramedStream(size_t total, size_t frame_size) {
  const std::string payload = testing::PatternBytes(frame_size, 2);
  std::string wire;
  wire.reserve(total / frame_size * (frame_size + kFrameHeaderSize));
  for (size_t sent = 0; sent < total; sent += frame_size) {
    char header[kFrameHeaderSize];
    EncodeFrameHeader(static_cast<uint32_t>(frame_size), header);
    wire.append(header, kFrameHeaderSize);
    wire.append(payload);
  }
  return wire;
}

void BM_Decode(benchmark::State& state) {
  const size_t frame_size = static_cast<size_t>(state.range(0));
  const std::string wire = FramedStream(kBatch, frame_size);
  FrameDecoder decoder;
  uint64_t payload = 0;
  for (auto _ : state) {
    for (size_t at = 0; at < wire.size(); at += kPiece) {
      absl::string_view input = absl::string_view(wire).substr(at, kPiece);
      while (true) {
        DecodedItem item = decoder.Next(input);
        if (item.kind == DecodedItem::Kind::kNeedMore) break;
        if (item.kind != DecodedItem::Kind::kPayload) std::abort();
        payload += item.payload.size();
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(payload));
  state.counters["frames_per_second"] = benchmark::Counter(
      static_cast<double>(decoder.frames()), benchmark::Counter::kIsRate);
}

void BM_Receive(benchmark::State& state, Codec codec) {
  const size_t frame_size = static_cast<size_t>(state.range(0));
  const std::string wire = codec == Codec::kFramed
                               ? FramedStream(kBatch, frame_size)
                               : testing::PatternBytes(kBatch, 2);
  FlowOptions options;
  options.codec = codec;
  Flow flow = Flow::Create(options).value();
  uint64_t payload = 0;
  for (auto _ : state) {
    absl::string_view input = wire;
    while (!input.empty()) {
      absl::Span<char> space = flow.ReceiveSpace();
      size_t n = std::min({space.size(), input.size(), kPiece});
      std::memcpy(space.data(), input.data(), n);
      flow.CommitReceived(n);
      input.remove_prefix(n);
      while (true) {
        absl::StatusOr<ReadResult> result = flow.Read();
        if (!result.ok()) std::abort();
        if (!result->is_data()) break;
        payload += result->data().size();
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(payload));
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(4096)->Arg(64 * 1024);
}

BENCHMARK_CAPTURE(BM_Encode, native, Codec::kNative)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Encode, framed, Codec::kFramed)->Apply(Sizes);
BENCHMARK(BM_Decode)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Receive, native, Codec::kNative)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Receive, framed, Codec::kFramed)->Apply(Sizes);

}  // namespace
}  // namespace hvsock::testing

BENCHMARK_MAIN();
