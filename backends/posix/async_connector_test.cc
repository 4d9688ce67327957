// ConnectAsync over AF_UNIX sockets in a private /tmp directory (Bazel's
// TEST_TMPDIR can be too long for sun_path). Never AF_VSOCK: there is no
// loopback transport here. Every run is bounded by RunUntil's limit;
// nothing asserts on timing.
#include "backends/posix/async_connector.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/posix/connector.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/listener.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/test_sockets.h"
#include "backends/posix/unix_socket_test_base.h"
#include "core/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;
using ::hvsock::testing::UnixSocketTestBase;

using ::testing::HasSubstr;

constexpr absl::Duration kLimit = absl::Seconds(20);

// One connect's outcome, and how many times the callback ran.
struct Outcome {
  int calls = 0;
  std::optional<absl::StatusOr<UniqueFd>> result;
  ConnectCallback Callback() {
    return [this](absl::StatusOr<UniqueFd> fd) {
      ++calls;
      result = std::move(fd);
    };
  }
  bool done() const { return calls > 0; }
  absl::Status status() const { return result->status(); }
};

class AsyncConnectTest : public UnixSocketTestBase {
 protected:
  void SetUp() override {
    UnixSocketTestBase::SetUp();
    loop_ = *EventLoop::Create();
  }

  void RunUntil(const std::function<bool()>& done) {
    absl::Status status = loop_->RunUntil(done, kLimit);
    ASSERT_TRUE(status.ok()) << status;
  }

  // Runs passes until a loop timer `wait` from now has fired.
  void RunFor(absl::Duration wait) {
    bool elapsed = false;
    LoopTimer timer =
        loop_->AddTimer(loop_->Now() + wait, [&] { elapsed = true; });
    RunUntil([&] { return elapsed; });
  }

  std::unique_ptr<EventLoop> loop_;
};

ConnectOptions Quick() {
  ConnectOptions options;
  options.timeout = absl::Seconds(5);
  return options;
}

TEST_F(AsyncConnectTest, ConnectsAndCallsBackFromTheLoopOnce) {
  std::unique_ptr<Listener> listener = MustListen(Unix("a.sock"));
  ASSERT_NE(listener, nullptr);
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), Quick(), outcome.Callback());
  EXPECT_EQ(outcome.calls, 0);  // never from inside ConnectAsync
  EXPECT_TRUE(connect.pending());
  RunUntil([&] { return outcome.done(); });
  EXPECT_FALSE(connect.pending());
  ASSERT_TRUE(outcome.result->ok()) << outcome.status();
  UniqueFd fd = *std::move(*outcome.result);

  absl::StatusOr<std::optional<AcceptedConnection>> accepted =
      listener->Accept();
  ASSERT_TRUE(accepted.ok() && accepted->has_value()) << accepted.status();
  ASSERT_EQ(::send(fd.get(), "hi", 2, MSG_NOSIGNAL), 2);
  char buffer[2];
  ASSERT_EQ(::recv((*accepted)->fd.get(), buffer, 2, 0), 2);
  EXPECT_EQ(std::string(buffer, 2), "hi");

  RunFor(absl::Milliseconds(5));
  EXPECT_EQ(outcome.calls, 1);
}

TEST_F(AsyncConnectTest, MissingSocketFileIsNotFoundAsWithConnect) {
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), Quick(), outcome.Callback());
  EXPECT_EQ(outcome.calls, 0);
  RunUntil([&] { return outcome.done(); });
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(outcome.status().message(), HasSubstr("no socket file"));
  EXPECT_EQ(outcome.status(), Connect(Unix("a.sock"), Quick()).status());
}

TEST_F(AsyncConnectTest, NoListenerIsUnavailableAsWithConnect) {
  MakeStaleSocket(Path("a.sock"));
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), Quick(), outcome.Callback());
  RunUntil([&] { return outcome.done(); });
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(outcome.status().message(),
              HasSubstr(absl::StrCat("connect unix://", Path("a.sock"),
                                     ": connection refused")));
  EXPECT_EQ(outcome.status(), Connect(Unix("a.sock"), Quick()).status());
}

TEST_F(AsyncConnectTest, BadArgumentsAreReportedThroughTheCallback) {
  ConnectOptions no_timeout;
  no_timeout.timeout = absl::InfiniteDuration();
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), no_timeout, outcome.Callback());
  EXPECT_EQ(outcome.calls, 0);
  RunUntil([&] { return outcome.done(); });
  EXPECT_EQ(outcome.status(), Connect(Unix("a.sock"), no_timeout).status());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);

  Outcome too_long;
  UnixAddress long_path{"/tmp/" + std::string(200, 'x')};
  PendingConnect second =
      ConnectAsync(*loop_, long_path, Quick(), too_long.Callback());
  RunUntil([&] { return too_long.done(); });
  EXPECT_THAT(too_long.status().message(), HasSubstr("at most 107 fit"));
}

TEST_F(AsyncConnectTest, RetriesUntilTheListenerAppears) {
  std::unique_ptr<Listener> listener;
  LoopTimer up;
  std::vector<absl::StatusCode> retried;
  ConnectOptions options = Quick();
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  options.on_retry = [&](int attempt, const absl::Status& why) {
    EXPECT_EQ(attempt, static_cast<int>(retried.size()) + 1);
    retried.push_back(why.code());
    // Once refused by the stale file, the listener comes up a while later.
    if (why.code() == absl::StatusCode::kUnavailable && !up.pending() &&
        listener == nullptr) {
      up = loop_->AddTimer(loop_->Now() + absl::Milliseconds(10), [&] {
        listener = MustListen(Unix("a.sock"));  // replaces the stale file
      });
    }
  };
  // Loop timers change what the connect finds: first no socket file, then
  // a stale one (refused), then a listener.
  LoopTimer stale = loop_->AddTimer(loop_->Now() + absl::Milliseconds(10),
                                    [&] { MakeStaleSocket(Path("a.sock")); });
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), options, outcome.Callback());
  RunUntil([&] { return outcome.done(); });
  ASSERT_TRUE(outcome.result->ok()) << outcome.status();
  ASSERT_NE(listener, nullptr);
  ASSERT_FALSE(retried.empty());
  EXPECT_EQ(retried.front(), absl::StatusCode::kNotFound);
  EXPECT_EQ(retried.back(), absl::StatusCode::kUnavailable);
  absl::StatusOr<std::optional<AcceptedConnection>> accepted =
      listener->Accept();
  ASSERT_TRUE(accepted.ok() && accepted->has_value()) << accepted.status();
}

TEST_F(AsyncConnectTest, TimesOutWhileTheBacklogStaysFull) {
  ListenOptions listen_options;
  listen_options.backlog = 0;
  std::unique_ptr<Listener> listener =
      MustListen(Unix("a.sock"), std::move(listen_options));
  std::vector<UniqueFd> queued = FillBacklog(Path("a.sock"));
  ConnectOptions impatient;
  impatient.timeout = absl::Milliseconds(30);
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), impatient, outcome.Callback());
  RunUntil([&] { return outcome.done(); });
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(outcome.status().message(), HasSubstr("timed out after 30ms"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("backlog is full"));
}

TEST_F(AsyncConnectTest, TimesOutRetryingAMissingFile) {
  ConnectOptions options;
  options.timeout = absl::Milliseconds(20);
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  Outcome outcome;
  PendingConnect connect =
      ConnectAsync(*loop_, Unix("a.sock"), options, outcome.Callback());
  RunUntil([&] { return outcome.done(); });
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(outcome.status().message(), HasSubstr("timed out after 20ms ("));
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("attempts; the last: no socket file at that path)"));
}

TEST_F(AsyncConnectTest, CancelledConnectsNeverCallBack) {
  ConnectOptions options = Quick();
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  int retries = 0;
  options.on_retry = [&](int, const absl::Status&) { ++retries; };
  Outcome cancelled;
  Outcome destroyed;
  Outcome from_a_callback;
  Outcome before_any_pass;
  PendingConnect a =
      ConnectAsync(*loop_, Unix("a.sock"), options, cancelled.Callback());
  auto b = std::make_unique<PendingConnect>(
      ConnectAsync(*loop_, Unix("a.sock"), options, destroyed.Callback()));
  PendingConnect c =
      ConnectAsync(*loop_, Unix("a.sock"), options, from_a_callback.Callback());
  {
    // Its first attempt has already failed (no file): a result waits on
    // the loop, and must not be delivered.
    PendingConnect d = ConnectAsync(*loop_, Unix("a.sock"), options,
                                    before_any_pass.Callback());
  }
  RunUntil([&] { return retries >= 6; });  // they are retrying
  a.Cancel();
  EXPECT_FALSE(a.pending());
  b.reset();
  LoopTimer cancel_c = loop_->AddTimer(loop_->Now(), [&] { c.Cancel(); });
  RunFor(absl::Milliseconds(5));
  std::unique_ptr<Listener> listener = MustListen(Unix("a.sock"));
  RunFor(absl::Milliseconds(30));
  EXPECT_EQ(cancelled.calls, 0);
  EXPECT_EQ(destroyed.calls, 0);
  EXPECT_EQ(from_a_callback.calls, 0);
  EXPECT_EQ(before_any_pass.calls, 0);
  absl::StatusOr<std::optional<AcceptedConnection>> accepted =
      listener->Accept();
  ASSERT_TRUE(accepted.ok());
  EXPECT_FALSE(accepted->has_value());  // nobody connected
}

TEST_F(AsyncConnectTest, TheCallbackMayDestroyItsOwnHandle) {
  std::unique_ptr<Listener> listener = MustListen(Unix("a.sock"));
  auto connect = std::make_unique<PendingConnect>();
  bool called = false;
  *connect = ConnectAsync(*loop_, Unix("a.sock"), Quick(),
                          [&](absl::StatusOr<UniqueFd> fd) {
                            EXPECT_TRUE(fd.ok()) << fd.status();
                            EXPECT_FALSE(connect->pending());
                            connect->Cancel();  // does nothing now
                            connect.reset();
                            called = true;
                          });
  RunUntil([&] { return called; });
  EXPECT_EQ(connect, nullptr);
}

// Two flows on the loop bounce one byte back and forth; 40 connects wait
// for a listener that appears only after the bytes have made 200 round
// trips. A connect that blocked the loop's thread would stop the bouncing
// (and time out); on the loop, both go on together.
TEST_F(AsyncConnectTest, ManyConnectsDoNotBlockOtherFlowsOnTheLoop) {
  constexpr int kConnects = 40;
  constexpr int kRoundsBeforeListening = 200;
  std::unique_ptr<Listener> listener;
  FdWatch* accept_watch = nullptr;
  int accepted = 0;
  std::vector<UniqueFd> server_sides;
  auto listen_now = [&] {
    listener = MustListen(Unix("a.sock"));
    accept_watch =
        *loop_->Watch(listener->fd(), Readiness::kReadable, [&](Readiness) {
          while (true) {
            absl::StatusOr<std::optional<AcceptedConnection>> next =
                listener->Accept();
            if (!next.ok() || !next->has_value()) return;
            server_sides.push_back(std::move((*next)->fd));
            ++accepted;
          }
        });
  };

  int rounds = 0;
  int rounds_when_first_connected = -1;
  auto fds = SocketPair();
  LoopFlow* echo = *loop_->AddFlow(
      std::move(fds[0]), FlowOptions(), [](FlowHandle& flow, FlowEvent) {
        while (true) {
          absl::StatusOr<ReadResult> read = flow.Read();
          if (!read.ok() || !read->is_data()) return;
          flow.Write(std::move(*read).data()).IgnoreError();
        }
      });
  LoopFlow* bouncer = *loop_->AddFlow(
      std::move(fds[1]), FlowOptions(), [&](FlowHandle& flow, FlowEvent) {
        while (true) {
          absl::StatusOr<ReadResult> read = flow.Read();
          if (!read.ok() || !read->is_data()) return;
          ++rounds;
          if (rounds == kRoundsBeforeListening) listen_now();
          flow.Write("x").IgnoreError();
        }
      });
  ASSERT_TRUE(bouncer->Write("x").ok());

  ConnectOptions options;
  options.timeout = absl::Seconds(15);
  options.retry_refused = true;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(8);
  std::vector<Outcome> outcomes(kConnects);
  std::vector<PendingConnect> connects;
  for (Outcome& outcome : outcomes) {
    connects.push_back(ConnectAsync(
        *loop_, Unix("a.sock"), options,
        [&, inner = outcome.Callback()](absl::StatusOr<UniqueFd> fd) mutable {
          if (rounds_when_first_connected < 0 && fd.ok()) {
            rounds_when_first_connected = rounds;
          }
          inner(std::move(fd));
        }));
  }
  RunUntil([&] {
    for (const Outcome& outcome : outcomes) {
      if (!outcome.done()) return false;
    }
    return accepted == kConnects;
  });
  for (const Outcome& outcome : outcomes) {
    EXPECT_EQ(outcome.calls, 1);
    EXPECT_TRUE(outcome.result->ok()) << outcome.status();
  }
  EXPECT_GE(rounds_when_first_connected, kRoundsBeforeListening);
  // And the bytes keep moving after the connects.
  const int rounds_after = rounds;
  RunUntil([&] { return rounds >= rounds_after + 50; });
  accept_watch->Release();
  echo->Release();
  bouncer->Release();
}

}  // namespace
}  // namespace hvsock
