// EventLoop::Post: worker threads hand work (writes to flows) to a running
// loop. Run under TSan (bazel test --config=tsan) to check the hand-over.
// Every run is bounded by RunUntil's limit; nothing asserts on timing.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/cord.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/test_sockets.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;

constexpr absl::Duration kLimit = absl::Seconds(20);

std::unique_ptr<EventLoop> NewLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? *std::move(loop) : nullptr;
}

TEST(EventLoopPost, CallbackRunsOnTheLoopThreadNotInsidePost) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::thread::id ran_on;
  bool ran = false;
  std::thread poster([&] {
    ASSERT_TRUE(loop->Post([&] {
      ran_on = std::this_thread::get_id();
      ran = true;
    }));
  });
  poster.join();
  EXPECT_FALSE(ran);  // posted, not yet run: the loop has not passed
  ASSERT_TRUE(loop->RunUntil([&] { return ran; }, kLimit).ok());
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(EventLoopPost, WakesALoopAsleepWithNothingElseToDo) {
  // No flows, watches or timers: without the wake-up the loop would sleep
  // until RunUntil's limit and fail.
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::atomic<bool> loop_started{false};
  bool ran = false;
  std::thread poster([&] {
    while (!loop_started.load()) std::this_thread::yield();
    loop->Post([&] { ran = true; });
  });
  loop_started.store(true);
  absl::Status run = loop->RunUntil([&] { return ran; }, kLimit);
  poster.join();
  EXPECT_TRUE(run.ok()) << run;
}

TEST(EventLoopPost, StopPostedFromAnotherThreadEndsRun) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::thread stopper([&] {
    EventLoop* raw = loop.get();
    raw->Post([raw] { raw->Stop(); });
  });
  EXPECT_TRUE(loop->Run().ok());
  stopper.join();
}

TEST(EventLoopPost, PostsFromOneThreadRunInOrderAndNoneIsLost) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  constexpr int kPosts = 10000;
  std::vector<int> seen;
  std::thread poster([&] {
    for (int i = 0; i < kPosts; ++i)
      loop->Post([&seen, i] { seen.push_back(i); });
  });
  ASSERT_TRUE(
      loop->RunUntil([&] { return seen.size() == kPosts; }, kLimit).ok());
  poster.join();
  for (int i = 0; i < kPosts; ++i) ASSERT_EQ(seen[i], i);
}

TEST(EventLoopPost, APostFromAPostedCallbackWaitsForALaterPass) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  bool inner_ran = false;
  bool inner_ran_inside_outer = false;
  loop->Post([&] {
    loop->Post([&] { inner_ran = true; });
    inner_ran_inside_outer = inner_ran;
  });
  ASSERT_TRUE(loop->RunUntil([&] { return inner_ran; }, kLimit).ok());
  EXPECT_FALSE(inner_ran_inside_outer);
}

TEST(EventLoopPost, PostsLeftAtDestructionRunInTheDestructorWhileFlowsExist) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::array<UniqueFd, 2> fds = SocketPair();
  LoopFlow* flow = *loop->AddFlow(std::move(fds[0]), FlowOptions(),
                                  [](FlowHandle&, FlowEvent) {});
  bool ran = false;
  bool flow_usable = false;
  loop->Post([&] {
    ran = true;
    flow_usable = flow->Write("still here").ok();
  });
  loop.reset();  // never ran a pass
  EXPECT_TRUE(ran);
  EXPECT_TRUE(flow_usable);
}

TEST(EventLoopPost, PosterThatOutlivesTheLoopRefusesAndDropsItsCallback) {
  std::unique_ptr<EventLoop> loop = NewLoop();
  LoopPoster poster = loop->poster();
  bool posted_during_destruction_accepted = true;
  // A callback run by the destructor posts again: refused, the loop is
  // going away.
  loop->Post([&] { posted_during_destruction_accepted = poster.Post([] {}); });
  loop.reset();
  EXPECT_FALSE(posted_during_destruction_accepted);

  auto token = std::make_shared<int>(0);
  bool ran = false;
  EXPECT_FALSE(poster.Post([token, &ran] { ran = true; }));
  EXPECT_FALSE(ran);
  EXPECT_EQ(token.use_count(), 1);  // the refused callback was destroyed
}

// What arrives on the reading ends: fixed-size records (thread, sequence).
struct Record {
  uint32_t thread;
  uint32_t sequence;
};

// The writing side of a flow, on the loop's thread: bytes the flow would
// not take yet wait here and go on kWritable.
struct Sender {
  LoopFlow* flow = nullptr;
  absl::Cord backlog;
  void Send(absl::Cord bytes) {
    backlog.Append(std::move(bytes));
    Flush();
  }
  void Flush() {
    if (backlog.empty()) return;
    if (flow->Write(backlog).ok()) backlog.Clear();
  }
};

TEST(EventLoopPost, WorkerThreadsPostWritesToFlowsWhileTheLoopRuns) {
  // Four workers each post kRecords writes, spread over two flows; the
  // loop also runs the two flows' reading ends. Each reading end must get
  // every record of the workers writing to it, each worker's in order.
  constexpr int kWorkers = 4;
  constexpr int kFlows = 2;
  constexpr uint32_t kRecords = 3000;
  std::unique_ptr<EventLoop> loop = NewLoop();
  std::array<Sender, kFlows> senders;
  std::array<std::string, kFlows> received;
  for (int f = 0; f < kFlows; ++f) {
    std::array<UniqueFd, 2> fds = SocketPair();
    Sender* sender = &senders[f];
    sender->flow = *loop->AddFlow(std::move(fds[0]), FlowOptions(),
                                  [sender](FlowHandle&, FlowEvent event) {
                                    if (event == FlowEvent::kWritable)
                                      sender->Flush();
                                  });
    std::string* sink = &received[f];
    ASSERT_TRUE(loop->AddFlow(std::move(fds[1]), FlowOptions(),
                              [sink](FlowHandle& flow, FlowEvent event) {
                                if (event != FlowEvent::kReadable) return;
                                for (;;) {
                                  absl::StatusOr<ReadResult> read = flow.Read();
                                  if (!read.ok() || !read->is_data()) return;
                                  sink->append(std::string(read->data()));
                                }
                              })
                    .ok());
  }

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&loop, &senders, w] {
      Sender& sender = senders[w % kFlows];
      for (uint32_t i = 0; i < kRecords; ++i) {
        Record record{static_cast<uint32_t>(w), i};
        std::string bytes(reinterpret_cast<const char*>(&record),
                          sizeof(record));
        ASSERT_TRUE(loop->Post([&sender, bytes = std::move(bytes)] {
          sender.Send(absl::Cord(bytes));
        }));
      }
    });
  }
  constexpr size_t kPerFlow = sizeof(Record) * kRecords * (kWorkers / kFlows);
  absl::Status run = loop->RunUntil(
      [&] {
        return received[0].size() >= kPerFlow && received[1].size() >= kPerFlow;
      },
      kLimit);
  for (std::thread& worker : workers) worker.join();
  ASSERT_TRUE(run.ok()) << run;

  for (int f = 0; f < kFlows; ++f) {
    ASSERT_EQ(received[f].size(), kPerFlow);
    std::array<uint32_t, kWorkers> next{};
    for (size_t at = 0; at < received[f].size(); at += sizeof(Record)) {
      Record record;
      std::memcpy(&record, received[f].data() + at, sizeof(record));
      ASSERT_LT(record.thread, static_cast<uint32_t>(kWorkers));
      EXPECT_EQ(record.thread % kFlows, static_cast<uint32_t>(f));
      ASSERT_EQ(record.sequence, next[record.thread])
          << "worker " << record.thread << " on flow " << f;
      ++next[record.thread];
    }
  }
}

}  // namespace
}  // namespace hvsock
