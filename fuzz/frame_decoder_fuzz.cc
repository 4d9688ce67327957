// Fuzz target: the framed decoder fed arbitrary bytes in arbitrary chunks.
// The first byte picks the chunk size. Checks: no crash, no sanitizer
// report, payload never exceeds what the headers announced, and a Flow fed
// the same bytes keeps its memory within its receive limit.
#include <cstddef>
#include <cstdint>

#include "core/flow.h"
#include "core/frame_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  absl::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  hvsock::FrameDecoder decoder(/*max_frame=*/1024);
  size_t payload = 0;
  for (size_t at = 0; at < wire.size(); at += chunk) {
    absl::string_view input = wire.substr(at, chunk);
    while (true) {
      hvsock::DecodedItem item = decoder.Next(input);
      if (item.kind == hvsock::DecodedItem::Kind::kPayload) {
        payload += item.payload.size();
      }
      if (item.kind == hvsock::DecodedItem::Kind::kNeedMore ||
          item.kind == hvsock::DecodedItem::Kind::kError) {
        break;
      }
    }
  }
  if (payload > wire.size()) __builtin_trap();

  hvsock::FlowOptions options;
  options.codec = hvsock::Codec::kFramed;
  options.receive_limit = 4096;
  options.max_receive_frame = 1024;
  hvsock::Flow flow = hvsock::Flow::Create(options).value();
  for (size_t at = 0; at < wire.size(); at += chunk) {
    flow.HandleReceived(wire.substr(at, chunk));
    if (flow.stats().receive_buffered > options.receive_limit) {
      __builtin_trap();
    }
    if (data[0] & 0x80) (void)flow.Read(chunk);
  }
  flow.HandleTransportEof();
  return 0;
}
