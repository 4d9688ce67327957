// The two example poll() loops (flow_by_hand.h: the Flow's own inputs and
// outputs; driver_poll_loop.h: through SocketDriver), each run against a
// plain blocking peer on a socketpair, as the READMEs show them.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "backends/posix/test_sockets.h"
#include "backends/posix/unique_fd.h"
#include "core/flow.h"
#include "core/flow_error.h"
#include "examples/driver_poll_loop.h"
#include "examples/flow_by_hand.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"

namespace hvsock::examples {
namespace {

using ::hvsock::testing::SocketPair;

// The peer's end, blocking: plain read/write, no hvsock.
UniqueFd Blocking(UniqueFd fd) {
  int flags = fcntl(fd.get(), F_GETFL);
  EXPECT_EQ(fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK), 0);
  return fd;
}

// Sends `payload` in 10 KiB pieces, or until the socket fails (MSG_NOSIGNAL:
// EPIPE, no SIGPIPE).
void SendAll(int fd, const std::string& payload) {
  for (size_t at = 0; at < payload.size();) {
    ssize_t n =
        send(fd, payload.data() + at,
             std::min<size_t>(10240, payload.size() - at), MSG_NOSIGNAL);
    if (n <= 0) return;
    at += n;
  }
}

// Sends `payload`, then ends its writes (shutdown), while reading until
// EOF; returns what it read.
std::string SendAndCollect(UniqueFd fd, std::string payload) {
  std::thread writer([&] {
    SendAll(fd.get(), payload);
    shutdown(fd.get(), SHUT_WR);
  });
  std::string received;
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n <= 0) break;
    received.append(buffer, n);
  }
  writer.join();
  return received;
}

// An echo application, for either loop: `Commands` is the Flow itself or
// the SocketDriver (both Read, Write and Close). It records the events.
struct Echo {
  absl::Cord unsent;
  bool ended = false;
  std::vector<FlowEvent> events;

  template <typename Commands>
  void operator()(Commands& flow, FlowEvent event, absl::Time now) {
    events.push_back(event);
    while (true) {
      if (!unsent.empty()) {
        // A copy of a Cord shares its bytes; kWouldBlock takes nothing.
        if (!flow.Write(absl::Cord(unsent)).ok()) return;
        unsent.Clear();
      }
      if (ended) return;
      absl::StatusOr<ReadResult> read = flow.Read(64 * 1024);
      if (!read.ok() || read->would_block()) return;
      if (read->is_eof()) {
        ended = true;
        // Fails only if the flow has failed meanwhile: the outcome says so.
        flow.Close(now).IgnoreError();
        return;
      }
      unsent = std::move(*read).data();
    }
  }
};

// An application that never reads.
struct Deaf {
  template <typename Commands>
  void operator()(Commands&, FlowEvent, absl::Time) {}
};

// The two loops behind one call: a fresh native flow on `fd`.
struct ByHand {
  template <typename Application>
  static absl::Status Run(UniqueFd fd, Application& application) {
    Flow flow = *Flow::Create({});
    absl::Status status = RunFlowByHand(
        flow, std::move(fd), [&](Flow& f, FlowEvent event, absl::Time now) {
          application(f, event, now);
        });
    // The example's loop ends only when the flow has.
    if (status.ok()) {
      EXPECT_EQ(flow.state(), FlowState::kClosed);
    }
    return status;
  }
};

struct WithDriver {
  template <typename Application>
  static absl::Status Run(UniqueFd fd, Application& application) {
    return RunDriverWithPoll(*Flow::Create({}), std::move(fd),
                             [&](SocketDriver& driver, FlowEvent event) {
                               application(driver, event, absl::Now());
                             });
  }
};

template <typename Loop>
class PollLoopTest : public ::testing::Test {};
using Loops = ::testing::Types<ByHand, WithDriver>;
TYPED_TEST_SUITE(PollLoopTest, Loops);

TYPED_TEST(PollLoopTest, EchoesAStreamAndCompletesTheClose) {
  auto [ours, theirs] = SocketPair();
  // Well beyond both socket buffers.
  const std::string payload = testing::PatternBytes(3 << 20, 1);
  std::string echoed;
  std::thread peer([&, fd = Blocking(std::move(theirs))]() mutable {
    echoed = SendAndCollect(std::move(fd), payload);
  });
  Echo echo;
  absl::Status status = TypeParam::Run(std::move(ours), echo);
  peer.join();

  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "the echo differs from what was sent";
  ASSERT_FALSE(echo.events.empty());
  EXPECT_EQ(echo.events.back(), FlowEvent::kCloseCompleted);
}

TYPED_TEST(PollLoopTest, APeerThatClosesWithoutReadingIsAResetNotAnEof) {
  auto [ours, theirs] = SocketPair();
  // 64 KiB fit in the socket's buffer, so the peer's send completes
  // however slowly we read; whether our echo then meets the closed socket
  // (EPIPE) or was left unread in it (ECONNRESET), it is a reset.
  std::thread peer([fd = Blocking(std::move(theirs))]() mutable {
    SendAll(fd.get(), testing::PatternBytes(64 << 10, 1));
    fd.reset();  // gone, with our echo unread
  });
  Echo echo;
  absl::Status status = TypeParam::Run(std::move(ours), echo);
  peer.join();

  EXPECT_TRUE(IsFlowError(status, FlowErrorKind::kReset)) << status;
  EXPECT_EQ(echo.events.back(), FlowEvent::kFailed);
}

TYPED_TEST(PollLoopTest, StopsWithAnErrorWhenOnlyTheApplicationCouldAct) {
  // The application never reads: the flow's receive buffer fills, the flow
  // stops asking to read, and with no timeout set nothing can happen. The
  // loop says so instead of sleeping forever (or spinning).
  auto [ours, theirs] = SocketPair();
  std::thread peer([fd = Blocking(std::move(theirs))]() mutable {
    // Ends when our socket is closed.
    SendAll(fd.get(), testing::PatternBytes(4 << 20, 1));
  });
  Deaf deaf;
  absl::Status status = TypeParam::Run(std::move(ours), deaf);
  peer.join();

  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

}  // namespace
}  // namespace hvsock::examples
