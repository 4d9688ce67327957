// Mux frames: the wire format of vpnkit's multiplexer (Go go/pkg/libproxy,
// frame.go), encoded and decoded.
//
// Every integer is little-endian. A frame header is
//   hdrlen u16 (header bytes, these two included; payload excluded)
//   command u8 (1 Open, 2 Close, 3 Shutdown, 4 Data, 5 Window)
//   id u32 (the channel)
// then, per command:
//   Open:   connection u8 (2 Multiplexed; 1 Dedicated) and a Destination:
//           proto u8 (1 TCP, 2 UDP, 3 Unix); TCP/UDP: iplen u16, ip bytes,
//           port u16; Unix: pathlen u16, path bytes
//   Data:   payloadlen u32, followed by that many payload bytes (not part
//           of the header)
//   Window: seq u64, the absolute count of payload bytes the receiver of
//           this frame may have sent on the channel since Open
//   Close, Shutdown: nothing
//
// The decoder is incremental and bounded: it takes bytes in any chunking,
// buffers at most one header (at most kMaxMuxHeaderLength bytes, checked
// from the first two bytes before anything is buffered) and never looks at
// payload bytes: the caller moves a Data frame's payload itself, so no
// allocation is ever sized by a number the peer sends. Header-level
// violations (an unknown command, a hdrlen that does not match the command's
// fields) are connection errors: after them the stream cannot be trusted.
// An Open whose connection type or destination protocol is not understood is
// still a well-formed frame (hdrlen tells where it ends): it decodes with
// `open_problem` set, so the connection can refuse that one channel.
//
// Thread-compatible.
#ifndef HVSOCK_CORE_MUX_MUX_FRAME_H_
#define HVSOCK_CORE_MUX_MUX_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hvsock {

enum class MuxCommand : uint8_t {
  kOpen = 1,
  kClose = 2,
  kShutdown = 3,
  kData = 4,
  kWindow = 5,
};
absl::string_view MuxCommandName(MuxCommand command);

// Open's connection field (vpnkit: Dedicated is a legacy mode that every
// receiver refuses; NewOpen always sends Multiplexed).
enum class MuxConnectionType : uint8_t { kDedicated = 1, kMultiplexed = 2 };

enum class MuxProto : uint8_t { kTcp = 1, kUdp = 2, kUnix = 3 };

// Where the opener wants the channel connected. For kTcp/kUdp `address`
// holds the raw IP octets (4 or 16) and `port` the port; for kUnix
// `address` is the path.
struct MuxDestination {
  MuxProto proto = MuxProto::kTcp;
  std::string address;
  uint16_t port = 0;

  static MuxDestination Tcp(std::string ip_octets, uint16_t port) {
    return {MuxProto::kTcp, std::move(ip_octets), port};
  }
  static MuxDestination Udp(std::string ip_octets, uint16_t port) {
    return {MuxProto::kUdp, std::move(ip_octets), port};
  }
  static MuxDestination Unix(std::string path) {
    return {MuxProto::kUnix, std::move(path), 0};
  }
  // Checks what the encoder needs: 4- or 16-byte IPs, a Unix path no longer
  // than kMaxMuxUnixPath.
  absl::Status Validate() const;
  // "TCP:127.0.0.1:80", "UDP:[::1]:8080", "Unix:/tmp/foo" (vpnkit's style).
  std::string ToString() const;
  friend bool operator==(const MuxDestination&,
                         const MuxDestination&) = default;
};

// Fixed header sizes (hdrlen) per command.
inline constexpr uint16_t kMuxCloseHeaderLength = 7;
inline constexpr uint16_t kMuxShutdownHeaderLength = 7;
inline constexpr uint16_t kMuxDataHeaderLength = 11;
inline constexpr uint16_t kMuxWindowHeaderLength = 15;
// Bounds this project puts on what it accepts.
inline constexpr size_t kMaxMuxUnixPath = 4096;
inline constexpr uint16_t kMaxMuxHeaderLength =
    8 + 1 + 2 + kMaxMuxUnixPath;  // an Open with the longest Unix path

// One decoded header. For Data, `payload_length` bytes follow on the wire.
struct MuxFrame {
  MuxCommand command = MuxCommand::kClose;
  uint32_t id = 0;
  // Open.
  MuxConnectionType connection = MuxConnectionType::kMultiplexed;
  MuxDestination destination;
  // Set when an Open is well-formed but cannot be served (Dedicated, an
  // unknown connection type or protocol, a bad IP length): says why.
  std::string open_problem;
  // Data.
  uint32_t payload_length = 0;
  // Window.
  uint64_t seq = 0;

  static MuxFrame Open(uint32_t id, MuxDestination destination) {
    MuxFrame f;
    f.command = MuxCommand::kOpen;
    f.id = id;
    f.destination = std::move(destination);
    return f;
  }
  static MuxFrame Close(uint32_t id) { return Simple(MuxCommand::kClose, id); }
  static MuxFrame Shutdown(uint32_t id) {
    return Simple(MuxCommand::kShutdown, id);
  }
  static MuxFrame Data(uint32_t id, uint32_t payload_length) {
    MuxFrame f = Simple(MuxCommand::kData, id);
    f.payload_length = payload_length;
    return f;
  }
  static MuxFrame Window(uint32_t id, uint64_t seq) {
    MuxFrame f = Simple(MuxCommand::kWindow, id);
    f.seq = seq;
    return f;
  }
  // "Open 5 Multiplexed Unix:/tmp/foo", "Data 7 len 4096", "Window 9 8888888".
  std::string ToString() const;

 private:
  static MuxFrame Simple(MuxCommand command, uint32_t id) {
    MuxFrame f;
    f.command = command;
    f.id = id;
    return f;
  }
};

// The header bytes of `frame` (a Data frame's payload is not included).
// Fails only for an Open whose destination does not Validate().
absl::StatusOr<std::string> EncodeMuxFrame(const MuxFrame& frame);

// Writes a fixed-size header (Close, Shutdown, Data, Window) into `out`,
// which must hold kMuxWindowHeaderLength bytes; returns its length.
size_t EncodeFixedMuxHeader(const MuxFrame& frame, char* out);

// Decodes one complete header (exactly hdrlen bytes).
absl::StatusOr<MuxFrame> DecodeMuxFrame(absl::string_view header);

// Incremental header decoder.
class MuxFrameDecoder {
 public:
  // Consumes bytes from the front of `in` until one header is complete
  // (returned), or `in` is used up (nullopt), or the header is invalid (an
  // error; the decoder is then stuck with it). Never consumes payload.
  absl::StatusOr<std::optional<MuxFrame>> Next(absl::string_view& in);
  // Header bytes of an incomplete frame held now (at most
  // kMaxMuxHeaderLength).
  size_t buffered() const { return header_.size(); }
  // Bytes that surely belong to the current header (never to a payload):
  // what is missing of it, counting an unknown hdrlen as a Data header's
  // 11 (every header is at least 7 bytes, so reading up to 11 can only
  // reach into the next header).
  size_t header_bytes_wanted() const {
    return (need_ == 2 ? kMuxDataHeaderLength : need_) - header_.size();
  }

 private:
  std::string header_;
  size_t need_ = 2;  // bytes of header_ wanted before the next step
  absl::Status error_;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_MUX_FRAME_H_
