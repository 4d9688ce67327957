// EventLoop over real AF_UNIX sockets: many flows on one thread, timers
// from close timeouts, releasing flows from callbacks, fd watches. Every
// run is bounded by RunUntil's limit; nothing asserts on timing.
#include "backends/posix/event_loop.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/posix/test_sockets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"
#include "testing/scripted_app.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;

constexpr absl::Duration kLimit = absl::Seconds(20);

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? *std::move(loop) : nullptr;
}

// A scripted application for one flow: writes its bytes, closes, reads to
// Eof, and releases the flow once its close has completed.
struct App : testing::ScriptedApp {
  App() { max_write = 8192; }

  bool completed = false;
  bool released = false;
  absl::Status error;  // the first failure: a write's, a read's or the flow's

  void Pump(FlowHandle& flow) {
    Act(flow, [&flow] {
      flow.Close().IgnoreError();  // a failed flow reports through kFailed
      return absl::OkStatus();
    });
    if (error.ok()) error = write_error.ok() ? read_error : write_error;
  }

  FlowEventCallback Callback() {
    return [this](FlowHandle& flow, FlowEvent event) {
      Pump(flow);
      if (event == FlowEvent::kCloseCompleted) completed = true;
      if (event == FlowEvent::kFailed && error.ok())
        error = flow.flow().error();
      if ((completed && eof) || !error.ok()) {
        released = true;
        LoopFlow::Of(flow).Release();
      }
    };
  }
};

void RaiseFdLimit(rlim_t wanted) {
  rlimit limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
}

TEST(EventLoop, RunsHundredsOfFlowsOnOneThread) {
  constexpr size_t kPairs = 300;
  RaiseFdLimit(2 * kPairs + 64);
  std::unique_ptr<EventLoop> loop = NewLoop();
  FlowOptions options;
  std::vector<std::unique_ptr<App>> apps;
  for (size_t i = 0; i < kPairs; ++i) {
    options.codec = i % 2 == 0 ? Codec::kNative : Codec::kFramed;
    auto fds = SocketPair();
    for (int side = 0; side < 2; ++side) {
      auto app = std::make_unique<App>();
      app->to_send =
          testing::PatternBytes(1000 + 97 * i + side * 5000, 2 * i + side);
      absl::StatusOr<LoopFlow*> flow =
          loop->AddFlow(std::move(fds[side]), options, app->Callback());
      ASSERT_TRUE(flow.ok()) << flow.status();
      app->Pump(**flow);
      apps.push_back(std::move(app));
    }
  }
  EXPECT_EQ(loop->flow_count(), 2 * kPairs);
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        for (const auto& app : apps) {
                          if (!app->released) return false;
                        }
                        return true;
                      },
                      kLimit)
                  .ok());
  for (size_t i = 0; i < apps.size(); ++i) {
    const App& app = *apps[i];
    const App& peer = *apps[i ^ 1];
    ASSERT_TRUE(app.error.ok()) << i << ": " << app.error;
    EXPECT_TRUE(app.completed) << i;
    EXPECT_EQ(app.received, peer.to_send) << i;
  }
  EXPECT_EQ(loop->flow_count(), 0u);
}

TEST(EventLoop, CloseTimeoutFiresFromTheLoopsTimers) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  auto fds = SocketPair();
  FlowOptions impatient;
  impatient.close_timeout = absl::Milliseconds(20);
  App closer;
  closer.to_send = "bye";
  App silent;
  silent.close_when_done = false;  // reads, never closes
  LoopFlow* a = *loop->AddFlow(std::move(fds[0]), impatient, closer.Callback());
  LoopFlow* b =
      *loop->AddFlow(std::move(fds[1]), FlowOptions(), silent.Callback());
  closer.Pump(*a);
  silent.Pump(*b);
  ASSERT_TRUE(loop->RunUntil([&] { return closer.released; }, kLimit).ok());
  EXPECT_TRUE(IsFlowError(closer.error, FlowErrorKind::kCloseTimeout))
      << closer.error;
  EXPECT_EQ(silent.received, "bye");
  EXPECT_TRUE(silent.eof);
}

TEST(EventLoop, CallbacksMayReleaseOtherFlowsAndThemselves) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  auto fds = SocketPair();
  auto other = SocketPair();
  LoopFlow* bystander =
      *loop->AddFlow(std::move(other[0]), FlowOptions(), nullptr);
  ASSERT_EQ(::write(other[1].get(), "x", 1), 1);  // gives it an event too
  bool released = false;
  LoopFlow* a = *loop->AddFlow(std::move(fds[0]), FlowOptions(),
                               [&](FlowHandle& self, FlowEvent event) {
                                 if (event != FlowEvent::kReadable || released)
                                   return;
                                 released = true;
                                 bystander->Release();
                                 LoopFlow::Of(self).Release();
                               });
  (void)a;
  ASSERT_EQ(::write(fds[1].get(), "hello", 5), 5);
  ASSERT_TRUE(loop->RunUntil([&] { return released; }, kLimit).ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(loop->flow_count(), 0u);
  // Both sockets are closed: the peers see the end.
  char byte;
  EXPECT_EQ(::read(fds[1].get(), &byte, 1), 0);
}

TEST(EventLoop, ReleasingAFlowWithWorkQueuedForTheNextPassIsSafe) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  auto fds = SocketPair();
  bool released = false;
  *loop->AddFlow(std::move(fds[0]), FlowOptions(),
                 [&](FlowHandle& flow, FlowEvent) {
                   if (released) return;
                   // Reading data queues the flow for the next pass...
                   absl::StatusOr<ReadResult> read = flow.Read();
                   ASSERT_TRUE(read.ok() && read->is_data());
                   // ...and releasing it must unqueue it.
                   released = true;
                   LoopFlow::Of(flow).Release();
                 });
  ASSERT_EQ(::write(fds[1].get(), "x", 1), 1);
  ASSERT_TRUE(loop->RunUntil([&] { return released; }, kLimit).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  }
  EXPECT_EQ(loop->flow_count(), 0u);
}

TEST(EventLoop, WatchesOtherDescriptors) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  std::string got;
  bool hung_up = false;
  FdWatch* watch = nullptr;
  absl::StatusOr<FdWatch*> watched =
      loop->Watch(read_end.get(), Readiness::kReadable, [&](Readiness ready) {
        char buffer[64];
        ssize_t n = ::read(read_end.get(), buffer, sizeof(buffer));
        if (n > 0) got.append(buffer, static_cast<size_t>(n));
        if (n == 0 || Any(ready & Readiness::kError)) {
          hung_up = true;
          watch->Release();
        }
      });
  ASSERT_TRUE(watched.ok()) << watched.status();
  watch = *watched;
  ASSERT_EQ(::write(write_end.get(), "abc", 3), 3);
  ASSERT_TRUE(loop->RunUntil([&] { return got == "abc"; }, kLimit).ok());
  write_end.reset();
  ASSERT_TRUE(loop->RunUntil([&] { return hung_up; }, kLimit).ok());
}

TEST(EventLoop, RegularFilesCannotBeWatched) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  UniqueFd file(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  absl::StatusOr<FdWatch*> watch =
      loop->Watch(file.get(), Readiness::kReadable, [](Readiness) {});
  EXPECT_FALSE(watch.ok());
}

// A loop on a virtual clock that only moves when the test says so. Passes
// run with no wait (RunOnce(ZeroDuration())), so nothing sleeps.
struct VirtualClockLoop {
  absl::Time now = absl::FromUnixSeconds(1000);
  std::unique_ptr<EventLoop> loop;
  VirtualClockLoop() {
    EventLoop::Options options;
    options.clock = [this] { return now; };
    loop = *EventLoop::Create(std::move(options));
  }
  void Pass() { ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok()); }
};

TEST(EventLoopTimers, FireOnceWhenDueInOrderOfTimeThenOfAdding) {
  VirtualClockLoop v;
  const absl::Time t0 = v.now;
  std::vector<std::string> fired;
  LoopTimer c =
      v.loop->AddTimer(t0 + absl::Seconds(3), [&] { fired.push_back("c"); });
  LoopTimer a1 =
      v.loop->AddTimer(t0 + absl::Seconds(1), [&] { fired.push_back("a1"); });
  LoopTimer b =
      v.loop->AddTimer(t0 + absl::Seconds(2), [&] { fired.push_back("b"); });
  LoopTimer a2 =
      v.loop->AddTimer(t0 + absl::Seconds(1), [&] { fired.push_back("a2"); });
  EXPECT_EQ(v.loop->timer_count(), 4u);
  v.Pass();
  EXPECT_TRUE(fired.empty());
  v.now = t0 + absl::Seconds(1);
  v.Pass();
  EXPECT_EQ(fired, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_FALSE(a1.pending());
  EXPECT_TRUE(b.pending());
  v.now = t0 + absl::Seconds(10);
  v.Pass();
  v.Pass();
  EXPECT_EQ(fired, (std::vector<std::string>{"a1", "a2", "b", "c"}));
  EXPECT_EQ(v.loop->timer_count(), 0u);
}

TEST(EventLoopTimers, CancelledOrDestroyedHandlesNeverFire) {
  VirtualClockLoop v;
  int fired = 0;
  LoopTimer cancelled = v.loop->AddTimer(v.now, [&] { ++fired; });
  EXPECT_TRUE(cancelled.pending());
  cancelled.Cancel();
  EXPECT_FALSE(cancelled.pending());
  cancelled.Cancel();  // twice is harmless
  {
    LoopTimer dropped = v.loop->AddTimer(v.now, [&] { ++fired; });
  }
  LoopTimer replaced = v.loop->AddTimer(v.now, [&] { ++fired; });
  replaced =
      v.loop->AddTimer(v.now, [&] { fired += 10; });  // cancels the first
  LoopTimer moved_from = v.loop->AddTimer(v.now, [&] { fired += 100; });
  LoopTimer moved_to = std::move(moved_from);
  EXPECT_FALSE(moved_from.pending());
  EXPECT_TRUE(moved_to.pending());
  EXPECT_EQ(v.loop->timer_count(), 2u);
  v.Pass();
  EXPECT_EQ(fired, 110);
  LoopTimer empty;
  EXPECT_FALSE(empty.pending());
}

TEST(EventLoopTimers, CallbacksMayCancelDestroyAndAddTimers) {
  VirtualClockLoop v;
  std::vector<std::string> fired;
  LoopTimer second;
  LoopTimer added;
  auto self = std::make_unique<LoopTimer>();
  *self = v.loop->AddTimer(v.now, [&] {
    fired.push_back("self");
    EXPECT_FALSE(self->pending());  // firing: no longer pending
    self.reset();                   // destroying its own handle is safe
    second.Cancel();                // due in this pass too, but cancelled
    // Already due, but added by a timer: waits for the next pass.
    added = v.loop->AddTimer(v.now - absl::Seconds(1),
                             [&] { fired.push_back("added"); });
  });
  second = v.loop->AddTimer(v.now, [&] { fired.push_back("second"); });
  v.Pass();
  EXPECT_EQ(fired, (std::vector<std::string>{"self"}));
  EXPECT_TRUE(added.pending());
  v.Pass();
  EXPECT_EQ(fired, (std::vector<std::string>{"self", "added"}));
}

TEST(EventLoopTimers, AFlowCallbackMayAddATimerThatIsDueAtOnce) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  auto fds = SocketPair();
  LoopTimer timer;
  bool fired = false;
  LoopFlow* flow = *loop->AddFlow(
      std::move(fds[0]), FlowOptions(), [&](FlowHandle& f, FlowEvent event) {
        if (event != FlowEvent::kReadable || timer.pending()) return;
        f.Read().IgnoreError();
        timer = loop->AddTimer(loop->Now(), [&] { fired = true; });
      });
  (void)flow;
  ASSERT_EQ(::write(fds[1].get(), "x", 1), 1);
  ASSERT_TRUE(loop->RunUntil([&] { return fired; }, kLimit).ok());
}

TEST(EventLoopTimers, TheLoopWakesUpForTheEarliestTimer) {
  // Nothing else to wait for: without the timer in the wait computation
  // this pass would sleep forever (and the test would time out).
  std::unique_ptr<EventLoop> loop = NewLoop();
  bool fired = false;
  LoopTimer later = loop->AddTimer(loop->Now() + absl::Hours(1), [] {});
  LoopTimer soon = loop->AddTimer(loop->Now() + absl::Milliseconds(5),
                                  [&] { fired = true; });
  while (!fired) ASSERT_TRUE(loop->RunOnce().ok());
  EXPECT_TRUE(later.pending());
}

TEST(EventLoop, RunUntilIsBounded) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  absl::Status status =
      loop->RunUntil([] { return false; }, absl::Milliseconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(EventLoop, InvalidOptionsAreRejected) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  auto fds = SocketPair();
  FlowOptions bad;
  bad.receive_limit = 0;
  EXPECT_FALSE(loop->AddFlow(std::move(fds[0]), bad, nullptr).ok());
}

TEST(EventLoop, PerFlowMemory) {
  // Not a limit: recorded so that changes are visible in test logs.
  std::cout << "sizeof(Flow)=" << sizeof(Flow)
            << " sizeof(SocketDriver)=" << sizeof(SocketDriver)
            << " sizeof(LoopFlow)=" << sizeof(LoopFlow) << "\n";
}

}  // namespace
}  // namespace hvsock
