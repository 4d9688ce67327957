// The multiplexer's connection preamble (vpnkit Go libproxy handshake.go):
// both sides send, at once, the 52-byte magic
//   "https://github.com/moby/vpnkit multiplexer protocol\n"
// then a u16 little-endian payload length and that many payload bytes
// (vpnkit sends 0 and ignores whatever it receives; reserved for feature
// negotiation). This project sends the same 54 bytes and accepts and
// ignores a payload of up to kMaxMuxPreamblePayload bytes.
//
// MuxPreambleReader consumes the peer's preamble from a byte stream in any
// chunking and leaves the bytes after it untouched.
//
// Thread-compatible.
#ifndef HVSOCK_CORE_MUX_MUX_PREAMBLE_H_
#define HVSOCK_CORE_MUX_MUX_PREAMBLE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hvsock {

inline constexpr absl::string_view kMuxMagic =
    "https://github.com/moby/vpnkit multiplexer protocol\n";
inline constexpr size_t kMaxMuxPreamblePayload = 4096;

// The 54 bytes this project sends: magic + a zero payload length.
absl::string_view MuxPreamble();

class MuxPreambleReader {
 public:
  // Consumes preamble bytes from the front of `in`. Returns OK while more
  // are needed or once done(); an error (sticky) when the bytes are not a
  // multiplexer preamble.
  absl::Status Consume(absl::string_view& in);
  bool done() const { return done_; }
  // Preamble bytes consumed so far.
  size_t consumed() const { return consumed_; }
  // The error for a transport that ends before done().
  absl::Status EndedEarly() const;

 private:
  size_t consumed_ = 0;
  uint16_t payload_length_ = 0;
  bool done_ = false;
  absl::Status error_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_PREAMBLE_H_
