// The application interface on Linux: code written only against FlowHandle
// and Loop (backends/flow_handle_echo.h) runs unchanged on LoopFlows over a
// Unix socket pair driven by the EventLoop.
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/flow_handle_echo.h"
#include "backends/loop.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/test_sockets.h"
#include "core/flow_options.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::EchoMessage;
using ::hvsock::testing::ExpectEchoRoundTrip;
using ::hvsock::testing::HandleClient;
using ::hvsock::testing::HandleEcho;
using ::hvsock::testing::SocketPair;

constexpr absl::Duration kLimit = absl::Seconds(30);

// Runs an echo between two LoopFlows, seen by the test only as a Loop and
// two FlowHandles.
void EchoOverTheSharedInterface(Codec codec, size_t size) {
  absl::StatusOr<std::unique_ptr<EventLoop>> created = EventLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  Loop& loop = **created;
  auto fds = SocketPair();
  FlowOptions options;
  options.codec = codec;
  HandleEcho echo;
  HandleClient client(EchoMessage(size));
  absl::StatusOr<LoopFlow*> server_flow = (*created)->AddFlow(
      std::move(fds[0]), options,
      [&](FlowHandle& flow, FlowEvent event) { echo.OnEvent(flow, event); });
  ASSERT_TRUE(server_flow.ok()) << server_flow.status();
  absl::StatusOr<LoopFlow*> client_flow = (*created)->AddFlow(
      std::move(fds[1]), options,
      [&](FlowHandle& flow, FlowEvent event) { client.OnEvent(flow, event); });
  ASSERT_TRUE(client_flow.ok()) << client_flow.status();
  FlowHandle& client_handle = **client_flow;
  client.Start(client_handle);

  ExpectEchoRoundTrip(loop, client, echo, client_handle, EchoMessage(size),
                      kLimit);
}

TEST(FlowHandleOnLoopFlow, AnEchoWrittenAgainstTheHandleRunsNative) {
  EchoOverTheSharedInterface(Codec::kNative, 1 << 20);
}

TEST(FlowHandleOnLoopFlow, AnEchoWrittenAgainstTheHandleRunsFramed) {
  EchoOverTheSharedInterface(Codec::kFramed, 1 << 20);
}

TEST(FlowHandleOnLoopFlow, LoopPostRunsOnTheLoopThroughTheSharedInterface) {
  absl::StatusOr<std::unique_ptr<EventLoop>> created = EventLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  Loop& loop = **created;
  bool ran = false;
  ASSERT_TRUE(loop.Post([&] { ran = true; }));
  EXPECT_FALSE(ran);  // never from inside Post
  ASSERT_TRUE(loop.RunUntil([&] { return ran; }, kLimit).ok());
}

TEST(FlowHandleOnLoopFlow, RunUntilGivesUpAtItsLimitWithDeadlineExceeded) {
  absl::StatusOr<std::unique_ptr<EventLoop>> created = EventLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  Loop& loop = **created;
  absl::Status status =
      loop.RunUntil([] { return false; }, absl::Milliseconds(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace hvsock
