// LoopGroup: connections accepted by one listener are spread over the
// loops in turn and served on each loop's own thread. Clients are plain
// blocking Unix sockets on the test's thread; every wait is bounded by the
// kernel (the server closes) and nothing asserts on timing.
#include "backends/posix/loop_group.h"

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/posix/socket_address.h"
#include "backends/posix/unix_socket_test_base.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::UnixSocketTestBase;

class LoopGroupTest : public UnixSocketTestBase {};

TEST_F(LoopGroupTest, ZeroLoopsIsRefusedWithAReason) {
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(0);
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(group.status().message().find("at least 1"), std::string::npos);
}

TEST_F(LoopGroupTest, NextLoopGoesRoundTheLoopsInTurn) {
  std::unique_ptr<LoopGroup> group = *LoopGroup::Create(3);
  std::vector<size_t> picked;
  for (int i = 0; i < 7; ++i) picked.push_back(group->NextLoop());
  EXPECT_EQ(picked, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST_F(LoopGroupTest, PostRunsOnThatLoopsOwnThread) {
  std::unique_ptr<LoopGroup> group = *LoopGroup::Create(2);
  group->Start();
  std::mutex mutex;
  std::map<size_t, std::thread::id> ran_on;
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(group->Post(i, [&, i] {
      std::lock_guard<std::mutex> lock(mutex);
      ran_on[i] = std::this_thread::get_id();
    }));
  }
  // Stop() queues each loop's Stop behind the posts above and joins.
  ASSERT_TRUE(group->Stop().ok());
  ASSERT_EQ(ran_on.size(), 2u);
  EXPECT_NE(ran_on[0], ran_on[1]);
  EXPECT_NE(ran_on[0], std::this_thread::get_id());
  EXPECT_NE(ran_on[1], std::this_thread::get_id());
}

TEST_F(LoopGroupTest, ServeAfterStartIsRefused) {
  std::unique_ptr<Listener> listener = MustListen(Unix("late.sock"));
  std::unique_ptr<LoopGroup> group = *LoopGroup::Create(1);
  group->Start();
  absl::Status served = group->Serve(*listener, nullptr);
  EXPECT_EQ(served.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(group->Stop().ok());
}

// Echoes a flow and closes it at the client's Eof; touched only on the
// flow's loop thread.
void Echo(FlowHandle& flow, FlowEvent event) {
  if (event == FlowEvent::kCloseCompleted || event == FlowEvent::kFailed) {
    LoopFlow::Of(flow).Release();
    return;
  }
  for (;;) {
    absl::StatusOr<ReadResult> read = flow.Read();
    if (!read.ok() || read->would_block()) return;
    if (read->is_eof()) {
      flow.Close().IgnoreError();
      return;
    }
    // Small messages: the flow's send buffer takes them whole.
    EXPECT_TRUE(flow.Write(std::move(*read).data()).ok());
  }
}

TEST_F(LoopGroupTest,
       AcceptedConnectionsAreSpreadRoundRobinAndServedOnEachLoop) {
  constexpr size_t kLoops = 3;
  constexpr int kClients = 7;
  std::unique_ptr<Listener> listener = MustListen(Unix("spread.sock"));
  std::unique_ptr<LoopGroup> group = *LoopGroup::Create(kLoops);
  std::mutex mutex;
  std::vector<size_t> adopted_by;
  std::map<size_t, std::set<std::thread::id>> threads_of;
  ASSERT_TRUE(group
                  ->Serve(*listener,
                          [&](size_t index, EventLoop& loop,
                              AcceptedConnection connection) {
                            {
                              std::lock_guard<std::mutex> lock(mutex);
                              adopted_by.push_back(index);
                              threads_of[index].insert(
                                  std::this_thread::get_id());
                            }
                            EXPECT_TRUE(loop.AddFlow(std::move(connection.fd),
                                                     FlowOptions(), Echo)
                                            .ok());
                          })
                  .ok());
  group->Start();

  SocketAddress address = *SocketAddress::From(Unix("spread.sock"));
  for (int i = 0; i < kClients; ++i) {
    // One at a time, so the hand-offs happen in the clients' order.
    UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(client.get(), address.get(), address.size()), 0);
    std::string message = absl::StrCat("client ", i);
    ASSERT_EQ(::write(client.get(), message.data(), message.size()),
              static_cast<ssize_t>(message.size()));
    ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
    std::string echoed;
    char buffer[256];
    for (;;) {
      ssize_t n = ::read(client.get(), buffer, sizeof(buffer));
      ASSERT_GE(n, 0) << strerror(errno);
      if (n == 0) break;
      echoed.append(buffer, static_cast<size_t>(n));
    }
    EXPECT_EQ(echoed, message);
  }
  ASSERT_TRUE(group->Stop().ok());

  EXPECT_EQ(adopted_by, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0}));
  std::set<std::thread::id> all;
  for (const auto& [index, ids] : threads_of) {
    EXPECT_EQ(ids.size(), 1u) << "loop " << index << " ran on several threads";
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), kLoops);
  EXPECT_FALSE(all.contains(std::this_thread::get_id()));
}

TEST_F(LoopGroupTest, AHandOffLeftWhenTheGroupStopsClosesUnadopted) {
  std::unique_ptr<Listener> listener = MustListen(Unix("stopped.sock"));
  std::unique_ptr<LoopGroup> group = *LoopGroup::Create(2);
  int adopted = 0;
  ASSERT_TRUE(group
                  ->Serve(*listener, [&](size_t, EventLoop&,
                                         AcceptedConnection) { ++adopted; })
                  .ok());
  SocketAddress address = *SocketAddress::From(Unix("stopped.sock"));
  UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), address.get(), address.size()), 0);
  // Not started: one pass of loop 0 here accepts the connection and posts
  // its hand-off (to loop 0, first in turn), which no pass runs before
  // the group stops. Loop 0's destructor runs the post; it must drop it.
  ASSERT_TRUE(group->loop(0).RunOnce(absl::Seconds(10)).ok());
  ASSERT_EQ(listener->accepted_count(), 1u);
  ASSERT_TRUE(group->Stop().ok());
  group.reset();
  EXPECT_EQ(adopted, 0);
  char byte;
  EXPECT_EQ(::read(client.get(), &byte, 1), 0);  // closed by the server
}

}  // namespace
}  // namespace hvsock
