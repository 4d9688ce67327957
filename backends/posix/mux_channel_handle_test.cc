// A channel of a multiplexed connection is a FlowHandle: the same echo and
// client that run on LoopFlow and WinsockFlow (backends/flow_handle_echo.h)
// run unchanged on channels, many at once over one socket, here on the
// posix LoopMux (the Winsock IocpMux runs the same story under Wine:
// backends/winsock/winsock_mux_test.cc).
#include "backends/mux_channel_handle.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "backends/loop.h"
#include "backends/mux_echo_end.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/test_sockets.h"
#include "core/mux/mux_connection.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::MuxEchoEnd;
using ::hvsock::testing::SocketPair;

TEST(MuxChannelHandle, TheFlowHandleEchoRunsUnchangedOnChannelsBothWays) {
  constexpr int kChannelsEachWay = 4;
  auto loop = EventLoop::Create().value();
  auto fds = SocketPair();
  // The runners outlive the ends, whose handles release their channels.
  std::unique_ptr<LoopMux> client_mux, server_mux;
  MuxEchoEnd client_end, server_end;
  MuxOptions client_options;
  client_options.connector = true;
  MuxOptions server_options;
  server_options.connector = false;
  client_mux = LoopMux::Create(*loop, std::move(fds[0]), client_options,
                               [&](LoopMux& mux) { client_end.OnNews(mux); })
                   .value();
  server_mux = LoopMux::Create(*loop, std::move(fds[1]), server_options,
                               [&](LoopMux& mux) { server_end.OnNews(mux); })
                   .value();

  Loop& shared = *loop;  // run through the shared interface, too
  testing::ExpectEchoBothWays(shared, *client_mux, client_end, *server_mux,
                              server_end, kChannelsEachWay, absl::Seconds(60));
  // One socket carried every channel.
  EXPECT_GT(client_mux->driver().stats().sends, 0u);
  EXPECT_GT(server_mux->driver().stats().sends, 0u);
}

}  // namespace
}  // namespace hvsock
