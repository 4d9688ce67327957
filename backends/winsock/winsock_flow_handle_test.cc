// The application interface on Windows: the same echo and client, written
// only against FlowHandle and Loop (backends/flow_handle_echo.h), that the
// posix test runs on LoopFlows, here on WinsockFlows over a loopback
// connection driven by the IocpLoop.
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "backends/flow_handle.h"
#include "backends/flow_handle_echo.h"
#include "backends/loop.h"
#include "backends/winsock/winsock_flow.h"
#include "backends/winsock/winsock_iocp_loop.h"
#include "backends/winsock/winsock_test_pair.h"
#include "core/flow_options.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::EchoMessage;
using ::hvsock::testing::ExpectEchoRoundTrip;
using ::hvsock::testing::HandleClient;
using ::hvsock::testing::HandleEcho;

using testing::kPatience;

void EchoOverTheSharedInterface(Codec codec, size_t size) {
  absl::StatusOr<std::unique_ptr<IocpLoop>> created = IocpLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  Loop& loop = **created;
  absl::StatusOr<testing::SocketPair> sockets =
      testing::ConnectSockets(**created);
  ASSERT_TRUE(sockets.ok()) << sockets.status();
  FlowOptions options;
  options.codec = codec;
  HandleEcho echo;
  HandleClient client(EchoMessage(size));
  absl::StatusOr<std::unique_ptr<WinsockFlow>> server_flow =
      WinsockFlow::Create(**created, std::move(sockets->server), options,
                          [&](FlowHandle& flow, FlowEvent event) {
                            echo.OnEvent(flow, event);
                          });
  ASSERT_TRUE(server_flow.ok()) << server_flow.status();
  absl::StatusOr<std::unique_ptr<WinsockFlow>> client_flow =
      WinsockFlow::Create(**created, std::move(sockets->client), options,
                          [&](FlowHandle& flow, FlowEvent event) {
                            client.OnEvent(flow, event);
                          });
  ASSERT_TRUE(client_flow.ok()) << client_flow.status();
  FlowHandle& client_handle = **client_flow;
  client.Start(client_handle);

  ExpectEchoRoundTrip(loop, client, echo, client_handle, EchoMessage(size),
                      kPatience);
}

TEST(FlowHandleOnWinsockFlow, AnEchoWrittenAgainstTheHandleRunsNative) {
  EchoOverTheSharedInterface(Codec::kNative, 1 << 20);
}

TEST(FlowHandleOnWinsockFlow, AnEchoWrittenAgainstTheHandleRunsFramed) {
  EchoOverTheSharedInterface(Codec::kFramed, 1 << 20);
}

TEST(FlowHandleOnWinsockFlow, LoopPostRunsOnTheLoopThroughTheSharedInterface) {
  absl::StatusOr<std::unique_ptr<IocpLoop>> created = IocpLoop::Create();
  ASSERT_TRUE(created.ok()) << created.status();
  Loop& loop = **created;
  bool ran = false;
  ASSERT_TRUE(loop.Post([&] { ran = true; }));
  EXPECT_FALSE(ran);  // never from inside Post
  ASSERT_TRUE(loop.RunUntil([&] { return ran; }, kPatience).ok());
}

}  // namespace
}  // namespace hvsock
