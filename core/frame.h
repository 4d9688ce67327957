// The framed wire protocol, wire-compatible with ocaml-hvsock's
// Flow_shutdown (and the older linuxkit/virtsock framing).
//
// Every message starts with a 4-byte little-endian u32 header. Three values
// are control messages; any other value n is a Data message followed by n
// payload bytes. The constants below are that protocol's; the rest of this
// file is ours.
#ifndef HVSOCK_CORE_FRAME_H_
#define HVSOCK_CORE_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace hvsock {

inline constexpr uint32_t kFrameShutdownRead = 0xdeadbeef;
inline constexpr uint32_t kFrameShutdownWrite = 0xbeefdead;
inline constexpr uint32_t kFrameClose = 0xdeaddead;
inline constexpr size_t kFrameHeaderSize = 4;

// Older peers drain with a 4096-byte buffer, so senders split payload into
// Data messages of at most this many bytes by default.
inline constexpr uint32_t kDefaultMaxSendFrame = 4096;
// Receivers accept Data messages up to this length by default.
inline constexpr uint32_t kDefaultMaxReceiveFrame = 64 * 1024;

inline bool IsControlHeader(uint32_t header) {
  return header == kFrameShutdownRead || header == kFrameShutdownWrite ||
         header == kFrameClose;
}

inline void EncodeFrameHeader(uint32_t value, char out[kFrameHeaderSize]) {
  for (size_t i = 0; i < kFrameHeaderSize; ++i) {
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

// The header for `value` as bytes (for building wire images).
inline std::string FrameHeader(uint32_t value) {
  std::string header(kFrameHeaderSize, '\0');
  EncodeFrameHeader(value, header.data());
  return header;
}

inline uint32_t DecodeFrameHeader(const char in[kFrameHeaderSize]) {
  uint32_t value = 0;
  for (size_t i = 0; i < kFrameHeaderSize; ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(in[i]))
             << (8 * i);
  }
  return value;
}

}  // namespace hvsock

#endif  // HVSOCK_CORE_FRAME_H_
