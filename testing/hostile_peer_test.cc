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
using ::hvsock::testing::Observed;
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
};

TEST_P(HostilePeerOverLoopback, ApplicationSeesTheStatedOutcome) {
  const HostileCase& c = story();
  Flow flow = Flow::Create(HostileCaseOptions(c.codec)).value();
  BytePipe to_flow, from_flow;
  LoopbackDriver driver(flow, to_flow, from_flow);
  Observed app;
  PeerReader peer_reader;
  bool peer_write_refused = false;
  absl::Time now = kT0;
  if (!c.local_sends.empty()) {
    ASSERT_TRUE(flow.Write(c.local_sends).ok());
  }
  if (c.local_closes) {
    ASSERT_TRUE(flow.Close(now).ok());
  }

  // Moves bytes until nothing moves: the flow transmits into a peer that
  // never reads, and receives in `chunk()`-byte reads; the application
  // reads only once the flow has stopped reading the transport.
  auto pump = [&] {
    for (bool moved = true; moved;) {
      moved = false;
      while (driver.CanTransmit()) {
        driver.Transmit(SIZE_MAX);
        moved = true;
      }
      while (driver.CanReceive()) {
        driver.Receive(chunk());
        ExpectWithinLimits(flow);
        moved = true;
      }
      while (app.Record(flow.Read())) moved = true;
      driver.CloseTransportIfFinished();
    }
  };

  for (const PeerAct& act : c.peer) {
    switch (act.kind) {
      case PeerAct::Kind::kSend:
        // A transport the flow has closed refuses the peer's bytes, as a
        // socket would with EPIPE.
        if (driver.transport_closed()) peer_write_refused = true;
        ASSERT_TRUE(to_flow.Write(act.bytes).ok());
        break;
      case PeerAct::Kind::kExpect: {
        peer_reader.Expect(act.bytes);
        pump();
        char buffer[4096];
        while (true) {
          absl::StatusOr<size_t> n = from_flow.Read(absl::MakeSpan(buffer));
          if (!n.ok() || *n == 0) break;
          peer_reader.Received(absl::string_view(buffer, *n));
        }
        EXPECT_TRUE(peer_reader.satisfied())
            << "the flow never sent what the peer waits for";
        peer_reader.Check();
        break;
      }
      case PeerAct::Kind::kEnd:
        to_flow.CloseWrite();
        break;
      case PeerAct::Kind::kReset:
        to_flow.Reset(absl::UnavailableError("connection reset by peer"));
        break;
    }
    pump();
  }
  if (c.late_write_error.has_value()) {
    absl::Status late = flow.Write("late");
    EXPECT_TRUE(IsFlowError(late, *c.late_write_error)) << late;
  }
  // A peer that never finishes is left to the close timeout.
  if (!flow.IsFinished() && flow.NextDeadline().has_value()) {
    now = *flow.NextDeadline();
    flow.HandleTimeout(now);
    pump();
  }

  ExpectOutcome(c, app, flow, peer_write_refused);
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
