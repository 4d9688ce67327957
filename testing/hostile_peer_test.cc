// The hostile-peer table (testing/hostile_peer.h) over the deterministic
// loopback transport: every case in three chunkings, with a reader that
// stalls until the flow stops reading the transport. Each case must end
// with exactly the bytes and the outcome the table states, with the flow's
// buffers within their limits at every step.
#include "testing/hostile_peer.h"

#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "backends/loopback/byte_pipe.h"
#include "backends/loopback/loopback_driver.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::ExpectOutcome;
using ::hvsock::testing::ExpectWithinLimits;
using ::hvsock::testing::HostileCase;
using ::hvsock::testing::HostileCaseName;
using ::hvsock::testing::HostileCaseOptions;
using ::hvsock::testing::HostileCases;
using ::hvsock::testing::PeerAct;
using ::hvsock::testing::PeerReader;

const absl::Time kT0 = absl::UnixEpoch();

class HostilePeerOverLoopback
    : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {
 protected:
  const HostileCase& story() const {
    return HostileCases()[std::get<0>(GetParam())];
  }
  size_t chunk() const { return std::get<1>(GetParam()); }

  // Moves bytes until nothing moves: the flow transmits into a peer that
  // never reads, and receives in `chunk()`-byte reads; the application
  // reads only once the flow has stopped reading the transport.
  void Pump() {
    for (bool moved = true; moved;) {
      moved = false;
      while (driver_.CanTransmit()) {
        driver_.Transmit(SIZE_MAX);
        moved = true;
      }
      while (driver_.CanReceive()) {
        driver_.Receive(chunk());
        ExpectWithinLimits(flow_);
        moved = true;
      }
      const bool ended = app_.ReadEnded();
      const size_t read = testing::ReadAvailable(flow_, app_);
      if (read > 0 || app_.ReadEnded() != ended) moved = true;
      driver_.CloseTransportIfFinished();
    }
  }

  void Play(const PeerAct& act) {
    switch (act.kind) {
      case PeerAct::Kind::kSend:
        // A transport the flow has closed refuses the peer's bytes, as a
        // socket would with EPIPE.
        if (driver_.transport_closed()) peer_write_refused_ = true;
        ASSERT_TRUE(to_flow_.Write(act.bytes).ok());
        break;
      case PeerAct::Kind::kExpect:
        PeerExpects(act.bytes);
        break;
      case PeerAct::Kind::kEnd:
        to_flow_.CloseWrite();
        break;
      case PeerAct::Kind::kReset:
        to_flow_.Reset(absl::UnavailableError("connection reset by peer"));
        break;
    }
    Pump();
  }

  void PeerExpects(const std::string& bytes) {
    peer_reader_.Expect(bytes);
    Pump();
    char buffer[4096];
    while (true) {
      absl::StatusOr<size_t> n = from_flow_.Read(absl::MakeSpan(buffer));
      if (!n.ok() || *n == 0) break;
      peer_reader_.Received(absl::string_view(buffer, *n));
    }
    EXPECT_TRUE(peer_reader_.satisfied())
        << "the flow never sent what the peer waits for";
    peer_reader_.Check();
  }

  Flow flow_ = Flow::Create(HostileCaseOptions(story().codec)).value();
  BytePipe to_flow_, from_flow_;
  LoopbackDriver driver_{flow_, to_flow_, from_flow_};
  testing::ReadLog app_;
  PeerReader peer_reader_;
  bool peer_write_refused_ = false;
};

TEST_P(HostilePeerOverLoopback, ApplicationSeesTheStatedOutcome) {
  const HostileCase& c = story();
  if (!c.local_sends.empty()) {
    ASSERT_TRUE(flow_.Write(c.local_sends).ok());
  }
  if (c.local_closes) {
    ASSERT_TRUE(flow_.Close(kT0).ok());
  }
  for (const PeerAct& act : c.peer) {
    ASSERT_NO_FATAL_FAILURE(Play(act));
  }
  if (c.late_write_error.has_value()) {
    absl::Status late = flow_.Write("late");
    EXPECT_TRUE(IsFlowError(late, *c.late_write_error)) << late;
  }
  // A peer that never finishes is left to the close timeout.
  if (!flow_.IsFinished() && flow_.NextDeadline().has_value()) {
    flow_.HandleTimeout(*flow_.NextDeadline());
    Pump();
  }
  ExpectOutcome(c, app_, flow_, peer_write_refused_);
}

// One-byte reads of the multi-megabyte floods would take millions of steps
// and show nothing the other two chunkings do not; they are left out.
std::vector<std::tuple<size_t, size_t>> AllCasesInThreeChunkings() {
  std::vector<std::tuple<size_t, size_t>> params;
  for (size_t i = 0; i < HostileCases().size(); ++i) {
    size_t wire = 0;
    for (const PeerAct& act : HostileCases()[i].peer) wire += act.bytes.size();
    for (size_t chunk : {size_t{1}, size_t{509}, size_t{65536}}) {
      if (chunk == 1 && wire > (1 << 20)) continue;
      params.emplace_back(i, chunk);
    }
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, HostilePeerOverLoopback,
    ::testing::ValuesIn(AllCasesInThreeChunkings()),
    [](const ::testing::TestParamInfo<std::tuple<size_t, size_t>>& info) {
      return absl::StrCat(
          HostileCaseName(HostileCases()[std::get<0>(info.param)]), "_Reads",
          std::get<1>(info.param));
    });

}  // namespace
}  // namespace hvsock
