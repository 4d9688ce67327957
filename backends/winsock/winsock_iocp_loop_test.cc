// IocpLoop::Post: other threads hand work to the loop's thread through the
// completion port. Runs under Wine (tools/test-windows); every wait is
// bounded and nothing asserts on timing.
#include "backends/winsock/winsock_iocp_loop.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/cord.h"
#include "backends/winsock/winsock_test_pair.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::FlowPair;
using ::hvsock::testing::MakeFlowPair;

std::unique_ptr<IocpLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? *std::move(loop) : nullptr;
}

TEST(IocpLoopPost, CallbackRunsOnTheLoopThreadWhenItWakesTheWait) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  std::thread::id ran_on;
  std::atomic<bool> waiting{false};
  bool ran = false;
  std::thread poster([&] {
    while (!waiting.load()) std::this_thread::yield();
    loop->Post([&] {
      ran_on = std::this_thread::get_id();
      ran = true;
    });
  });
  waiting.store(true);
  // One wait far longer than any test: only the post's packet ends it.
  while (!ran) ASSERT_TRUE(loop->RunOnce(absl::Hours(1)).ok());
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(IocpLoopPost, PostsFromOneThreadRunInOrderAndNoneIsLost) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  constexpr int kPosts = 5000;
  std::vector<int> seen;
  std::thread poster([&] {
    for (int i = 0; i < kPosts; ++i) {
      loop->Post([&seen, i] { seen.push_back(i); });
    }
  });
  ASSERT_TRUE(
      loop->RunUntil([&] { return seen.size() == kPosts; }, absl::Seconds(60))
          .ok());
  poster.join();
  for (int i = 0; i < kPosts; ++i) ASSERT_EQ(seen[i], i);
}

TEST(IocpLoopPost, PostsLeftAtDestructionRunThenLaterPostsAreRefused) {
  std::unique_ptr<IocpLoop> loop = NewLoop();
  LoopPoster poster = loop->poster();
  bool ran = false;
  bool repost_accepted = true;
  loop->Post([&] {
    ran = true;
    repost_accepted = poster.Post([] {});
  });
  loop.reset();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(repost_accepted);
  auto token = std::make_shared<int>(0);
  EXPECT_FALSE(poster.Post([token] {}));
  EXPECT_EQ(token.use_count(), 1);  // refused and destroyed, not run
}

TEST(IocpLoopPost, WorkerThreadsPostWritesToAFlowWhileTheLoopRuns) {
  absl::StatusOr<FlowPair> made = MakeFlowPair(FlowOptions(), FlowOptions());
  ASSERT_TRUE(made.ok()) << made.status();
  FlowPair pair = *std::move(made);
  constexpr int kWorkers = 3;
  constexpr int kRecords = 500;
  // Each record is "w:i;" with a one-digit worker; writes the flow refuses
  // for now wait in `backlog`, on the loop's thread.
  absl::Cord backlog;
  auto flush = [&] {
    if (!backlog.empty() && pair.client->flow->Write(backlog).ok()) {
      backlog.Clear();
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kRecords; ++i) {
        pair.loop->Post([&, w, i] {
          backlog.Append(std::to_string(w) + ":" + std::to_string(i) + ";");
          flush();
        });
      }
    });
  }
  size_t expected = 0;
  for (int i = 0; i < kRecords; ++i) expected += 3 + std::to_string(i).size();
  expected *= kWorkers;
  ASSERT_TRUE(pair.RunUntil([&] {
    flush();
    pair.server->Drain();
    return pair.server->received.size() >= expected;
  }));
  for (std::thread& worker : workers) worker.join();
  ASSERT_EQ(pair.server->received.size(), expected);
  std::vector<int> next(kWorkers, 0);
  size_t at = 0;
  const std::string& got = pair.server->received;
  while (at < got.size()) {
    size_t end = got.find(';', at);
    ASSERT_NE(end, std::string::npos);
    int worker = got[at] - '0';
    ASSERT_GE(worker, 0);
    ASSERT_LT(worker, kWorkers);
    EXPECT_EQ(got.substr(at + 2, end - at - 2), std::to_string(next[worker]));
    ++next[worker];
    at = end + 1;
  }
}

}  // namespace
}  // namespace hvsock
