// Fuzz target: the multiplexer's frame decoder (core/mux/mux_frame.h) fed
// arbitrary bytes in arbitrary chunks, skipping Data payloads as the
// connection does. The first byte picks the chunk size. Checks: no crash,
// no sanitizer report, the decoder never buffers more than one maximal
// header, and every decoded frame re-encodes to a header that decodes to
// the same frame (for Opens it can serve).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/mux/mux_frame.h"

namespace {

void CheckRoundTrip(const hvsock::MuxFrame& frame) {
  if (frame.command == hvsock::MuxCommand::kOpen &&
      !frame.open_problem.empty()) {
    return;
  }
  absl::StatusOr<std::string> bytes = hvsock::EncodeMuxFrame(frame);
  if (!bytes.ok()) __builtin_trap();
  absl::StatusOr<hvsock::MuxFrame> back = hvsock::DecodeMuxFrame(*bytes);
  if (!back.ok() || back->command != frame.command || back->id != frame.id ||
      back->seq != frame.seq || back->payload_length != frame.payload_length ||
      !(back->destination == frame.destination)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  absl::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  hvsock::MuxFrameDecoder decoder;
  uint64_t payload_left = 0;
  for (size_t at = 0; at < wire.size(); at += chunk) {
    absl::string_view input = wire.substr(at, chunk);
    while (!input.empty()) {
      if (payload_left > 0) {
        const size_t skip =
            payload_left < input.size() ? payload_left : input.size();
        input.remove_prefix(skip);
        payload_left -= skip;
        continue;
      }
      absl::StatusOr<std::optional<hvsock::MuxFrame>> frame =
          decoder.Next(input);
      if (decoder.buffered() > hvsock::kMaxMuxHeaderLength) __builtin_trap();
      if (!frame.ok()) return 0;
      if (!frame->has_value()) break;
      CheckRoundTrip(**frame);
      payload_left = (*frame)->payload_length;
    }
  }
  return 0;
}
