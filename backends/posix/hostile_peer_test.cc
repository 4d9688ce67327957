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
#include <functional>
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
using ::hvsock::testing::PeerAct;
using ::hvsock::testing::PeerReader;
using ::hvsock::testing::SocketPair;

constexpr absl::Duration kLimit = absl::Seconds(20);

// One case's run: the flow on its loop, the raw peer socket, and what the
// application and the peer have seen. Each step runs the loop until it is
// done (bounded by kLimit).
class HostilePeerOverSockets : public ::testing::TestWithParam<size_t> {
 protected:
  const HostileCase& Case() const { return HostileCases()[GetParam()]; }

  // The flow under attack, with the local application's writes and close.
  void StartFlow() {
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    auto fds = SocketPair();
    peer_ = std::move(fds[1]);
    absl::StatusOr<LoopFlow*> added = loop_->AddFlow(
        std::move(fds[0]), HostileCaseOptions(Case().codec), nullptr);
    ASSERT_TRUE(added.ok()) << added.status();
    flow_ = *added;
    if (!Case().local_sends.empty()) {
      ASSERT_TRUE(flow_->Write(Case().local_sends).ok());
    }
    if (Case().local_closes) {
      ASSERT_TRUE(flow_->Close().ok());
    }
  }

  // One turn of the application: it reads only once the flow stops taking
  // bytes from the transport, or once the peer is done.
  void Turn() {
    ExpectWithinLimits(flow_->flow());
    if (script_done_ || !flow_->flow().WantsRead()) {
      testing::ReadAvailable(*flow_, app_);
    }
  }

  void RunUntil(const std::function<bool()>& done) {
    absl::Status run = loop_->RunUntil(done, kLimit);
    ASSERT_TRUE(run.ok()) << run << " (state "
                          << FlowStateName(flow_->flow().state()) << ")";
  }

  void Play(const PeerAct& act) {
    switch (act.kind) {
      case PeerAct::Kind::kSend:
        return PeerSends(act.bytes);
      case PeerAct::Kind::kEnd:
        ASSERT_EQ(::shutdown(peer_.get(), SHUT_WR), 0);
        return;
      case PeerAct::Kind::kExpect:
        return PeerExpects(act.bytes);
      case PeerAct::Kind::kReset:
        return PeerResets();
    }
  }

  // The peer writes `bytes` as the kernel accepts them.
  void PeerSends(absl::string_view rest) {
    RunUntil([&] {
      while (!rest.empty()) {
        ssize_t n = ::send(peer_.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0) {
          // The flow may rightly have failed and closed its end.
          if (errno != EAGAIN) {
            peer_write_refused_ = true;
            return true;
          }
          pushed_back_ = true;
          break;
        }
        rest.remove_prefix(static_cast<size_t>(n));
      }
      Turn();
      return rest.empty() || flow_->flow().IsFinished();
    });
  }

  // The peer reads until `bytes` more have arrived (or its end does).
  void PeerExpects(const std::string& bytes) {
    peer_reader_.Expect(bytes);
    RunUntil([&] {
      char buffer[4096];
      ssize_t n;
      while ((n = ::recv(peer_.get(), buffer, sizeof(buffer), MSG_DONTWAIT)) >
             0) {
        peer_reader_.Received(
            absl::string_view(buffer, static_cast<size_t>(n)));
      }
      Turn();
      return peer_reader_.satisfied() || n == 0;
    });
    EXPECT_TRUE(peer_reader_.satisfied())
        << "the flow never sent what the peer waits for";
    peer_reader_.Check();
  }

  // A Unix socket closed with unread bytes resets its peer: the local
  // application's bytes arrive first.
  void PeerResets() {
    RunUntil([&] {
      Turn();
      return !flow_->flow().HasTransmit() || flow_->flow().IsFinished();
    });
    peer_.reset();
  }

  // After the script: the late write, if the case has one, then until
  // reading has ended and the flow has nothing left to do (a peer that
  // never finishes is left to the close timeout).
  void Finish() {
    script_done_ = true;
    if (Case().late_write_error.has_value()) {
      RunUntil([&] {
        Turn();
        return app_.ReadEnded();
      });
      absl::Status late = flow_->Write("late");
      EXPECT_TRUE(IsFlowError(late, *Case().late_write_error)) << late;
    }
    RunUntil([&] {
      Turn();
      const Flow& f = flow_->flow();
      return app_.ReadEnded() && (f.IsFinished() || !Case().local_closes) &&
             (!Case().fails_after_eof.has_value() ||
              f.state() == FlowState::kFailed);
    });
  }

  std::unique_ptr<EventLoop> loop_;
  UniqueFd peer_;
  LoopFlow* flow_ = nullptr;
  testing::ReadLog app_;
  PeerReader peer_reader_;
  bool peer_write_refused_ = false;
  bool pushed_back_ = false;  // a peer's write found the transport full
  bool script_done_ = false;
};

TEST_P(HostilePeerOverSockets, ApplicationSeesTheStatedOutcome) {
  const HostileCase& c = Case();
  ASSERT_NO_FATAL_FAILURE(StartFlow());
  for (const PeerAct& act : c.peer) {
    ASSERT_NO_FATAL_FAILURE(Play(act));
  }
  ASSERT_NO_FATAL_FAILURE(Finish());
  ExpectOutcome(c, app_, flow_->flow(), peer_write_refused_);
  if (c.delivered.size() > (4u << 20) - 1) {
    EXPECT_TRUE(pushed_back_) << "a flood larger than every buffer on the "
                                 "way never pushed back on the peer";
  }
}

INSTANTIATE_TEST_SUITE_P(Hostile, HostilePeerOverSockets,
                         ::testing::Range(size_t{0}, HostileCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return HostileCaseName(HostileCases()[info.param]);
                         });

}  // namespace
}  // namespace hvsock
