// The hostile-peer table (testing/hostile_peer.h) over real sockets: the
// flow runs on the epoll EventLoop with the posix SocketDriver; the peer is
// the raw other end of an AF_UNIX socket pair, writing the case's bytes as
// the kernel accepts them, shutting down or resetting. The application
// stalls (does not read) while the flow can still take bytes, so floods
// push back through the kernel onto the peer. Real time, bounded by
// RunUntil's limit; nothing asserts on timing.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/test_sockets.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"
#include "testing/hostile_peer.h"

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
using ::hvsock::testing::SocketPair;

constexpr absl::Duration kLimit = absl::Seconds(20);

class HostilePeerOverSockets : public ::testing::TestWithParam<size_t> {};

TEST_P(HostilePeerOverSockets, ApplicationSeesTheStatedOutcome) {
  const HostileCase& c = HostileCases()[GetParam()];
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  auto fds = SocketPair();
  UniqueFd peer = std::move(fds[1]);

  Observed app;
  PeerReader peer_reader;
  bool peer_write_refused = false;
  bool script_done = false;
  absl::StatusOr<LoopFlow*> added = (*loop)->AddFlow(
      std::move(fds[0]), HostileCaseOptions(c.codec), nullptr);
  ASSERT_TRUE(added.ok()) << added.status();
  LoopFlow& flow = **added;
  if (!c.local_sends.empty()) {
    ASSERT_TRUE(flow.Write(c.local_sends).ok());
  }
  if (c.local_closes) {
    ASSERT_TRUE(flow.Close().ok());
  }

  // One turn of the application: it reads only once the flow stops taking
  // bytes from the transport, or once the peer is done.
  auto turn = [&] {
    ExpectWithinLimits(flow.flow());
    if (script_done || !flow.flow().WantsRead()) {
      while (app.Record(flow.Read())) {
      }
    }
  };

  bool pushed_back = false;  // the peer's write found the transport full
  for (const PeerAct& act : c.peer) {
    switch (act.kind) {
      case PeerAct::Kind::kSend: {
        absl::string_view rest = act.bytes;
        absl::Status run = (*loop)->RunUntil(
            [&] {
              while (!rest.empty()) {
                ssize_t n = ::send(peer.get(), rest.data(), rest.size(),
                                   MSG_NOSIGNAL);
                if (n < 0) {
                  // The flow may rightly have failed and closed its end.
                  if (errno != EAGAIN) {
                    peer_write_refused = true;
                    return true;
                  }
                  pushed_back = true;
                  break;
                }
                rest.remove_prefix(static_cast<size_t>(n));
              }
              turn();
              return rest.empty() || flow.flow().IsFinished();
            },
            kLimit);
        ASSERT_TRUE(run.ok()) << run;
        break;
      }
      case PeerAct::Kind::kEnd:
        ASSERT_EQ(::shutdown(peer.get(), SHUT_WR), 0);
        break;
      case PeerAct::Kind::kExpect: {
        peer_reader.Expect(act.bytes);
        absl::Status run = (*loop)->RunUntil(
            [&] {
              char buffer[4096];
              ssize_t n;
              while ((n = ::recv(peer.get(), buffer, sizeof(buffer),
                                 MSG_DONTWAIT)) > 0) {
                peer_reader.Received(
                    absl::string_view(buffer, static_cast<size_t>(n)));
              }
              turn();
              return peer_reader.satisfied() || n == 0;
            },
            kLimit);
        ASSERT_TRUE(run.ok()) << run;
        EXPECT_TRUE(peer_reader.satisfied())
            << "the flow never sent what the peer waits for";
        peer_reader.Check();
        break;
      }
      case PeerAct::Kind::kReset: {
        // A Unix socket closed with unread bytes resets its peer: let the
        // local application's bytes arrive first.
        absl::Status run = (*loop)->RunUntil(
            [&] {
              turn();
              return !flow.flow().HasTransmit() || flow.flow().IsFinished();
            },
            kLimit);
        ASSERT_TRUE(run.ok()) << run;
        peer.reset();
        break;
      }
    }
  }
  script_done = true;
  if (c.late_write_error.has_value()) {
    ASSERT_TRUE((*loop)->RunUntil([&] {
                  turn();
                  return app.done();
                }, kLimit).ok());
    absl::Status late = flow.Write("late");
    EXPECT_TRUE(IsFlowError(late, *c.late_write_error)) << late;
  }
  // Runs until reading has ended and the flow has nothing left to do; a
  // peer that never finishes is left to the close timeout.
  absl::Status run = (*loop)->RunUntil(
      [&] {
        turn();
        const Flow& f = flow.flow();
        return app.done() &&
               (f.IsFinished() || !c.local_closes) &&
               (!c.fails_after_eof.has_value() ||
                f.state() == FlowState::kFailed);
      },
      kLimit);
  ASSERT_TRUE(run.ok()) << run << " (state "
                        << FlowStateName(flow.flow().state()) << ")";
  ExpectOutcome(c, app, flow.flow(), peer_write_refused);
  if (c.delivered.size() > (4u << 20) - 1) {
    EXPECT_TRUE(pushed_back) << "a flood larger than every buffer on the "
                                "way never pushed back on the peer";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, HostilePeerOverSockets,
    ::testing::Range(size_t{0}, HostileCases().size()),
    [](const ::testing::TestParamInfo<size_t>& info) {
      return HostileCaseName(HostileCases()[info.param]);
    });

}  // namespace
}  // namespace hvsock
