// LoopListener: accepts on the loop, and when the process runs out of
// descriptors it backs off instead of spinning, says so once, and recovers
// by itself. The descriptor limit is lowered inside this test process
// (RLIMIT_NOFILE) and restored afterwards; the loop runs on a virtual clock,
// so "no spin" is counted in accept calls per pass and per backoff, not
// timed.
#include "backends/posix/loop_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/unique_fd.h"
#include "backends/posix/unix_socket_test_base.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::UnixSocketTestBase;

using Kind = ListenerReport::Kind;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Lowers the soft descriptor limit so that no new descriptor can be made
// (the limit is the lowest free descriptor number), and restores it when
// destroyed or when Restore() is called: the descriptors "free up".
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0);
    int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_GE(lowest_free, 0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    EXPECT_EQ(::open("/dev/null", O_RDONLY | O_CLOEXEC), -1)
        << "the limit did not bite";
    EXPECT_EQ(errno, EMFILE);
  }
  ~DescriptorExhaustion() { Restore(); }
  void Restore() {
    if (restored_) return;
    restored_ = true;
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &saved_), 0);
  }

 private:
  rlimit saved_{};
  bool restored_ = false;
};

// A loop on a virtual clock with a LoopListener's accepted connections and
// reports. A plain struct on purpose: while descriptors are exhausted the
// test calls only non-polymorphic code (UBSan's vptr check needs a pipe to
// inspect memory, which it cannot make then, and would report falsely).
struct AcceptBench {
  absl::Time now = absl::UnixEpoch() + absl::Hours(1);
  std::unique_ptr<EventLoop> loop;
  std::vector<ListenerReport> reports;
  std::vector<UniqueFd> accepted;

  AcceptBench() {
    EventLoop::Options options;
    options.clock = [this] { return now; };
    loop = *EventLoop::Create(std::move(options));
  }

  std::unique_ptr<LoopListener> Start(std::unique_ptr<Listener> listener) {
    LoopListenerOptions options;
    options.on_report = [this](const ListenerReport& report) {
      reports.push_back(report);
    };
    absl::StatusOr<std::unique_ptr<LoopListener>> started = LoopListener::Start(
        *loop, std::move(listener),
        [this](AcceptedConnection connection) {
          accepted.push_back(std::move(connection.fd));
        },
        std::move(options));
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *std::move(started) : nullptr;
  }

  // `passes` passes of the loop without waiting and without time moving.
  void RunPasses(int passes) {
    for (int i = 0; i < passes; ++i) {
      EXPECT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
    }
  }
  void Advance(absl::Duration by) {
    now += by;
    RunPasses(1);
  }
};

UniqueFd ConnectTo(const std::string& path) {
  UniqueFd fd = *NewStreamSocket(AF_UNIX);
  SocketAddress address = *SocketAddress::From(UnixAddress{path});
  EXPECT_EQ(::connect(fd.get(), address.get(), address.size()), 0);
  return fd;
}

using LoopListenerTest = UnixSocketTestBase;

TEST_F(LoopListenerTest, AcceptsEveryPendingConnection) {
  AcceptBench bench;
  std::unique_ptr<LoopListener> listener =
      bench.Start(MustListen(Unix("a.sock")));
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(ConnectTo(Path("a.sock")));
  bench.RunPasses(2);
  EXPECT_THAT(bench.accepted, SizeIs(3));
  EXPECT_TRUE(bench.reports.empty());
  EXPECT_FALSE(listener->paused());
}

TEST_F(LoopListenerTest, OutOfDescriptorsItBacksOffReportsOnceAndRecovers) {
  AcceptBench bench;
  std::unique_ptr<LoopListener> listener =
      bench.Start(MustListen(Unix("a.sock")));
  const std::string path = Path("a.sock");
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(ConnectTo(path));
  const Listener& socket = listener->listener();
  uint64_t retries_in_ten_minutes = 0;
  {
    DescriptorExhaustion exhausted;

    // A thousand passes with the clock still: one failed accept, not one
    // per pass (the socket stays readable all along).
    bench.RunPasses(1000);
    EXPECT_EQ(socket.failed_accept_count(), 1u);
    EXPECT_TRUE(listener->paused());
    EXPECT_EQ(bench.reports.size(), 1u);

    // Retries after 10ms, 20ms, 40ms...: one accept each, growing apart.
    bench.Advance(absl::Milliseconds(10));
    EXPECT_EQ(socket.failed_accept_count(), 2u);
    bench.Advance(absl::Milliseconds(10));  // the next is 20ms after the last
    EXPECT_EQ(socket.failed_accept_count(), 2u);
    bench.Advance(absl::Milliseconds(10));
    EXPECT_EQ(socket.failed_accept_count(), 3u);
    // Ten simulated minutes: one retry a second once grown to the maximum.
    for (int second = 0; second < 600; ++second) {
      bench.Advance(absl::Milliseconds(500));
      bench.Advance(absl::Milliseconds(500));
    }
    retries_in_ten_minutes = socket.failed_accept_count() - 3;
    EXPECT_EQ(bench.reports.size(), 1u) << "reported once per episode";
    EXPECT_TRUE(bench.accepted.empty());

    // Descriptors free up: the next retry accepts the waiting clients.
    exhausted.Restore();
  }
  EXPECT_LE(retries_in_ten_minutes, 600u + 6u);  // 40ms..640ms, then 1s
  EXPECT_GE(retries_in_ten_minutes, 600u - 1u);
  ASSERT_THAT(bench.reports, SizeIs(1));
  EXPECT_EQ(bench.reports[0].kind, Kind::kAcceptPaused);
  EXPECT_EQ(bench.reports[0].error.code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(bench.reports[0].error.message()),
              HasSubstr("accept on unix://" + path));
  EXPECT_THAT(std::string(bench.reports[0].error.message()),
              HasSubstr("accepting paused, retrying after 10ms, backing off "
                        "to every 1s"));

  uint64_t failed = socket.failed_accept_count();
  bench.Advance(absl::Seconds(1));
  bench.RunPasses(2);
  EXPECT_THAT(bench.accepted, SizeIs(3));
  EXPECT_FALSE(listener->paused());
  EXPECT_EQ(socket.failed_accept_count(), failed);
  ASSERT_THAT(bench.reports, SizeIs(2));
  EXPECT_EQ(bench.reports[1].kind, Kind::kAcceptResumed);
  EXPECT_EQ(bench.reports[1].failed_retries, failed - 1);
  EXPECT_GT(bench.reports[1].paused, absl::Minutes(10));

  // A new episode starts over: reported again, first retry after 10ms.
  for (int i = 0; i < 2; ++i) clients.push_back(ConnectTo(path));
  {
    DescriptorExhaustion exhausted;
    bench.RunPasses(10);
    EXPECT_EQ(listener->pauses(), 2u);
    EXPECT_EQ(bench.reports.size(), 3u);
    EXPECT_EQ(socket.failed_accept_count(), failed + 1);
  }
  bench.Advance(absl::Milliseconds(10));
  bench.RunPasses(1);
  EXPECT_THAT(bench.accepted, SizeIs(5));
  EXPECT_THAT(bench.reports, SizeIs(4));
}

TEST_F(LoopListenerTest, TheAcceptCallbackMayDestroyTheListener) {
  AcceptBench bench;
  std::unique_ptr<LoopListener> listener;
  absl::StatusOr<std::unique_ptr<LoopListener>> started = LoopListener::Start(
      *bench.loop, MustListen(Unix("a.sock")),
      [&](AcceptedConnection connection) {
        bench.accepted.push_back(std::move(connection.fd));
        listener.reset();  // accept one, then stop listening
      });
  ASSERT_TRUE(started.ok());
  listener = *std::move(started);
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(ConnectTo(Path("a.sock")));
  bench.RunPasses(3);
  EXPECT_THAT(bench.accepted, SizeIs(1));
  EXPECT_EQ(listener, nullptr);
  EXPECT_NE(::access(Path("a.sock").c_str(), F_OK), 0) << "file removed";
}

TEST_F(LoopListenerTest, BackoffsMustMakeSense) {
  AcceptBench bench;
  LoopListenerOptions options;
  options.min_backoff = absl::ZeroDuration();
  EXPECT_EQ(LoopListener::Start(
                *bench.loop, MustListen(Unix("a.sock")),
                [](AcceptedConnection) {}, std::move(options))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  LoopListenerOptions inverted;
  inverted.min_backoff = absl::Seconds(2);
  inverted.max_backoff = absl::Seconds(1);
  EXPECT_EQ(LoopListener::Start(
                *bench.loop, MustListen(Unix("b.sock")),
                [](AcceptedConnection) {}, std::move(inverted))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvsock
