// A scripted multiplexer peer for tests, written from vpnkit's wire format
// (Go go/pkg/libproxy frame.go, handshake.go) independently of core/mux: it
// shares no code with the implementation it checks, so a mistake in the
// core's codec cannot hide behind the same mistake here.
//
// Builders produce the bytes a peer sends (well-formed or deliberately
// broken); PeerFrameReader parses what the multiplexer under test sends and
// checks the rules every sender must keep: the preamble first, well-formed
// frames, nothing on an id after its Close (until the id is opened again),
// no Data beyond the window the peer granted.
//
// Thread-compatible.
#ifndef HVSOCK_TESTING_MUX_SCRIPT_PEER_H_
#define HVSOCK_TESTING_MUX_SCRIPT_PEER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hvsock::testing {

// Command numbers as vpnkit defines them.
inline constexpr uint8_t kPeerOpen = 1;
inline constexpr uint8_t kPeerClose = 2;
inline constexpr uint8_t kPeerShutdown = 3;
inline constexpr uint8_t kPeerData = 4;
inline constexpr uint8_t kPeerWindow = 5;

std::string PeerPreamble();
// An Open with explicit connection type (2 Multiplexed, 1 Dedicated) and
// protocol byte; for protocols 1/2 `address` is IP octets and a port follows.
std::string PeerOpenRaw(uint32_t id, uint8_t connection, uint8_t proto,
                        absl::string_view address, uint16_t port = 0);
std::string PeerOpenUnix(uint32_t id, absl::string_view path);
std::string PeerClose(uint32_t id);
std::string PeerShutdown(uint32_t id);
std::string PeerWindow(uint32_t id, uint64_t seq);
std::string PeerData(uint32_t id, absl::string_view payload);
// A Data header announcing `length` bytes (the payload is not included).
std::string PeerDataHeader(uint32_t id, uint32_t length);
// A header with any command byte and hdrlen.
std::string PeerRawHeader(uint16_t hdrlen, uint8_t command, uint32_t id);

struct PeerSeenFrame {
  uint8_t command = 0;
  uint32_t id = 0;
  uint64_t value = 0;            // Data: payload length; Window: seq
  std::string payload;           // Data
  std::string open_fields;       // Open: the bytes after the id
  std::string Describe() const;  // "Close 5"
};

class PeerFrameReader {
 public:
  // Parses bytes from the multiplexer under test (any chunking).
  void Feed(absl::string_view bytes);
  // The peer granted `seq` on `id` (its own Window): Data may reach it.
  void Granted(uint32_t id, uint64_t seq);

  const std::vector<PeerSeenFrame>& frames() const { return frames_; }
  // Non-empty once a rule was broken: says which.
  const std::string& violation() const { return violation_; }
  bool preamble_seen() const { return preamble_done_; }
  // Payload bytes received on `id`, concatenated.
  std::string PayloadOn(uint32_t id) const;
  bool Saw(absl::string_view description) const;

 private:
  void OnFrame(PeerSeenFrame frame);
  std::string buffer_;
  bool preamble_done_ = false;
  std::vector<PeerSeenFrame> frames_;
  std::set<uint32_t> closed_;
  std::map<uint32_t, uint64_t> granted_;
  std::map<uint32_t, uint64_t> data_;
  std::string violation_;
};

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_MUX_SCRIPT_PEER_H_
