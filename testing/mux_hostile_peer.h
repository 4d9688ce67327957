// Hostile multiplexer peers: scripted misbehaviour on the wire of a vpnkit
// multiplexer connection, and what the local side must do about it.
//
// Each MuxHostileCase is a story in the manner of testing/hostile_peer.h:
// what the local application does (open a channel, accept the peer's
// Opens, write, close), the bytes the peer sends (built with the
// independent builders of testing/mux_script_peer.h), and the outcome:
// whether the whole connection fails (and the words its error must
// contain), what the first channel's application read and how it ended,
// which frames the local side answered with, and what the statistics
// counted. Runners (testing/mux_hostile_peer_test.cc) play every case in
// several chunkings and check after every step that memory stays within
// the configured limits and that the local side never breaks the protocol
// itself (nothing after Close, no Data beyond the peer's window).
#ifndef HVSOCK_TESTING_MUX_HOSTILE_PEER_H_
#define HVSOCK_TESTING_MUX_HOSTILE_PEER_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/flow_error.h"
#include "core/mux/mux_options.h"

namespace hvsock::testing {

struct MuxHostileCase {
  const char* story = "";
  MuxOptions options = {};  // `connector` is forced false: the local side
                            // accepted the transport, its ids count up from 0
  // The local application opens this many channels (ids 0, 1, ...) before
  // the peer's bytes arrive.
  int local_opens = 0;
  // The local application accepts every incoming Open (else leaves them).
  bool local_accepts = true;
  // Written on the first channel (the first opened locally, else the first
  // accepted), and closed after if local_closes.
  std::string local_sends = {};
  bool local_closes = false;
  // The peer's bytes, in order (the preamble is prepended unless
  // `raw_preamble`); the transport ends after them if `peer_ends`.
  std::vector<std::string> peer = {};
  bool raw_preamble = false;
  bool peer_ends = false;
  // Virtual time that passes after the peer's script.
  absl::Duration then_wait = absl::ZeroDuration();

  // ── Outcome ──────────────────────────────────────────────────────────
  // Set: the connection fails and its error contains this text.
  std::optional<std::string> connection_error = {};
  std::string delivered = {};  // read on the first channel
  bool eof = false;            // ... which then read Eof
  std::optional<FlowErrorKind> channel_error = {};
  size_t accepted = 0;  // Opens accepted (or pending)
  uint64_t min_frames_dropped = 0;
  uint64_t opens_refused = 0;
  uint64_t channel_errors = 0;
  // Frames the local side must have sent ("Close 7"), and must not have.
  std::vector<std::string> local_sent = {};
  std::vector<std::string> local_not_sent = {};
  std::string peer_received = {};        // payload on the first channel
  std::vector<uint32_t> local_ids = {};  // ids of the local opens
};

const std::vector<MuxHostileCase>& MuxHostileCases();
// Prints the story (for test names and failure messages).
void PrintTo(const MuxHostileCase& c, std::ostream* os);

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_MUX_HOSTILE_PEER_H_
