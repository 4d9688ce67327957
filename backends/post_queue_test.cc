// PostQueue: when it wakes the loop, what Take and Close hand back, and
// that nothing posted from many threads at once is lost.
#include "backends/post_queue.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hvsock {
namespace {

TEST(PostQueue, OnlyTheFirstPostAfterATakeWakesTheLoop) {
  int wakes = 0;
  PostQueue queue([&] { ++wakes; });
  EXPECT_FALSE(queue.wake_pending());
  EXPECT_TRUE(queue.Post([] {}));
  EXPECT_TRUE(queue.Post([] {}));
  EXPECT_EQ(wakes, 1);
  EXPECT_TRUE(queue.wake_pending());
  EXPECT_EQ(queue.Take().size(), 2u);
  EXPECT_FALSE(queue.wake_pending());
  EXPECT_TRUE(queue.Post([] {}));
  EXPECT_EQ(wakes, 2);
}

TEST(PostQueue, TakeReturnsCallbacksInPostOrder) {
  PostQueue queue([] {});
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) queue.Post([&order, i] { order.push_back(i); });
  for (PostedCallback& callback : queue.Take()) std::move(callback)();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(PostQueue, CloseReturnsWhatWasLeftAndRefusesLaterPostsWithoutWaking) {
  int wakes = 0;
  PostQueue queue([&] { ++wakes; });
  queue.Post([] {});
  EXPECT_EQ(queue.Close().size(), 1u);
  auto token = std::make_shared<int>(0);
  EXPECT_FALSE(queue.Post([token] {}));
  EXPECT_EQ(token.use_count(), 1);  // refused callback destroyed, unrun
  EXPECT_EQ(wakes, 1);
  EXPECT_TRUE(queue.Take().empty());
}

TEST(LoopPoster, EmptyHandleRefusesAndAHandleKeepsTheQueueAlive) {
  EXPECT_FALSE(LoopPoster().Post([] {}));
  auto queue = std::make_shared<PostQueue>([] {});
  LoopPoster poster(queue);
  std::weak_ptr<PostQueue> weak = queue;
  queue->Close();
  queue.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_FALSE(poster.Post([] {}));
}

TEST(PostQueue, ManyThreadsPostingWhileTheLoopTakesLoseNothing) {
  // The "loop" takes whenever woken; every post must be taken exactly once,
  // and there must be a wake outstanding whenever callbacks are queued.
  std::atomic<int> wakes{0};
  PostQueue queue([&] { wakes.fetch_add(1); });
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) queue.Post([&ran] { ran.fetch_add(1); });
    });
  }
  int consumed_wakes = 0;
  while (ran.load() < kThreads * kEach) {
    if (wakes.load() == consumed_wakes) {
      std::this_thread::yield();
      continue;
    }
    ++consumed_wakes;  // consume the signal, then take
    for (PostedCallback& callback : queue.Take()) std::move(callback)();
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ran.load(), kThreads * kEach);
  EXPECT_TRUE(queue.Take().empty());
}

}  // namespace
}  // namespace hvsock
