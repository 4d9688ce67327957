// Hostile peers: scripted misbehaviour on the wire, and what the application
// on the other end must see.
//
// A peer VM is untrusted. Each HostileCase is a story: what the local
// application does, what the peer sends (bytes chosen to break framing
// rules, floods, endings at awkward places, resets), and the outcome the
// application observes: exactly which bytes Read() delivered, then a clean
// Eof or which error. The same table runs over the deterministic loopback
// transport (testing/hostile_peer_test.cc, in several chunkings, with a
// stalled reader) and over real sockets
// (backends/posix/hostile_peer_test.cc), so a backend cannot change the
// outcome.
//
// Runners also check, after every step, that the flow's buffers stay within
// FlowOptions' limits whatever the peer sends, and that a finished flow
// holds no buffered bytes.
#ifndef HVSOCK_TESTING_HOSTILE_PEER_H_
#define HVSOCK_TESTING_HOSTILE_PEER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "testing/scripted_app.h"

namespace hvsock::testing {

// One thing the peer does to its end of the transport.
struct PeerAct {
  enum class Kind : uint8_t {
    kSend,    // writes `bytes` (the runner pushes them as the flow reads)
    kEnd,     // shuts down its write side: the flow sees transport EOF
    kReset,   // drops the connection abruptly
    kExpect,  // reads what the flow sent until it has `bytes` more, which
              // must be exactly these (a peer that waits for our markers)
  };
  Kind kind;
  std::string bytes;
};

struct HostileCase {
  const char* story = "";  // what the peer does, as a test name
  Codec codec = Codec::kFramed;
  // The local application writes this at the start and closes its write
  // side then if `local_closes` (else never).
  std::string local_sends = {};
  bool local_closes = false;
  std::vector<PeerAct> peer = {};

  // ── What the application sees ──────────────────────────────────────
  std::string delivered = {};               // every byte Read() returned
  std::optional<FlowErrorKind> error = {};  // none: Read() ended with Eof
  // After a clean Eof (every byte the peer sent before its end marker was
  // delivered), the flow still fails with this error when the peer
  // misbehaves later; Close(), error() and the kFailed event report it.
  std::optional<FlowErrorKind> fails_after_eof = {};
  // If set, a Write() after the peer's script reports this error.
  std::optional<FlowErrorKind> late_write_error = {};
  // The close completes cleanly (kClosed, no timeout), and no write of the
  // peer's ever meets a transport we already closed (ocaml-hvsock's Close
  // write failing with EPIPE, or killing it with SIGPIPE).
  bool completes = false;
};

// Options for the flow under attack: default limits, except a short close
// timeout so that runners over real time stay quick.
FlowOptions HostileCaseOptions(Codec codec);

// Every case. Payloads are deterministic.
const std::vector<HostileCase>& HostileCases();

// gtest parameter names: the story with non-alphanumerics removed.
std::string HostileCaseName(const HostileCase& c);

// ── Runners' shared parts ─────────────────────────────────────────────

// gtest expectations: memory within the flow's limits (call after every
// step).
void ExpectWithinLimits(const Flow& flow);
// gtest expectations: what the application read (testing/scripted_app.h)
// and the flow's end match the case. `peer_write_refused`: a write of the
// peer's met a transport the flow had already closed.
void ExpectOutcome(const HostileCase& c, const testing::ReadLog& seen,
                   const Flow& flow, bool peer_write_refused = false);

// What a peer that reads (kExpect acts) has received, against what it
// expects.
class PeerReader {
 public:
  // The bytes the next kExpect waits for are added to what is expected.
  void Expect(const std::string& bytes) { expected_ += bytes; }
  void Received(absl::string_view bytes) {
    received_.append(bytes.data(), bytes.size());
  }
  // Everything expected so far has arrived.
  bool satisfied() const { return received_.size() >= expected_.size(); }
  // gtest expectations: the bytes received so far are what was expected.
  void Check() const;

 private:
  std::string expected_;
  std::string received_;
};

// ── Wire helpers ───────────────────────────────────────────────────────
// A Data frame carrying `payload`.
std::string DataFrame(const std::string& payload);

}  // namespace hvsock::testing

#endif  // HVSOCK_TESTING_HOSTILE_PEER_H_
