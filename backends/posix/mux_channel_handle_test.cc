// A channel of a multiplexed connection is a FlowHandle: the same echo and
// client that run on LoopFlow and WinsockFlow (backends/flow_handle_echo.h)
// run unchanged on channels, many at once over one socket.
#include "backends/posix/mux_channel_handle.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/flow_handle_echo.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/test_sockets.h"
#include "core/mux/mux_connection.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"

namespace hvsock {
namespace {

using ::hvsock::testing::HandleClient;
using ::hvsock::testing::HandleEcho;
using ::hvsock::testing::SocketPair;

// One end's channels by the core's channel pointer, and the news dispatch
// a LoopMux application writes: each channel with news delivers its
// events to its handle.
struct Handles {
  std::map<MuxChannel*, std::unique_ptr<MuxChannelHandle>> by_channel;

  void OnNews(LoopMux& mux) {
    while (MuxChannel* channel = mux.mux().PollChannelEvent()) {
      auto it = by_channel.find(channel);
      if (it != by_channel.end()) it->second->DeliverEvents();
    }
  }
};

TEST(MuxChannelHandle, TheFlowHandleEchoRunsUnchangedOnChannels) {
  constexpr int kChannels = 8;
  auto loop = EventLoop::Create().value();
  auto fds = SocketPair();
  std::vector<std::unique_ptr<HandleClient>> clients;
  std::vector<std::unique_ptr<HandleEcho>> echoes;
  std::vector<std::string> messages;
  for (int i = 0; i < kChannels; ++i) {
    messages.push_back(testing::PatternBytes(100'000 + 33'333 * i, i));
    clients.push_back(std::make_unique<HandleClient>(messages.back()));
  }

  Handles client_side, server_side;
  MuxOptions client_options;
  client_options.connector = true;
  MuxOptions server_options;
  auto client_mux = LoopMux::Create(*loop, std::move(fds[0]), client_options,
                                    [&](LoopMux& m) { client_side.OnNews(m); })
                        .value();
  auto server_mux =
      LoopMux::Create(*loop, std::move(fds[1]), server_options,
                      [&](LoopMux& m) {
                        // Every Open is accepted and served by an echo.
                        while (MuxChannel* incoming = m.mux().PollIncoming()) {
                          ASSERT_TRUE(m.mux().Accept(incoming).ok());
                          echoes.push_back(std::make_unique<HandleEcho>());
                          HandleEcho* echo = echoes.back().get();
                          server_side.by_channel[incoming] =
                              std::make_unique<MuxChannelHandle>(
                                  m, incoming,
                                  [echo](FlowHandle& flow, FlowEvent event) {
                                    echo->OnEvent(flow, event);
                                  });
                          m.Kick();
                        }
                        server_side.OnNews(m);
                      })
          .value();

  std::vector<MuxChannelHandle*> client_handles;
  for (int i = 0; i < kChannels; ++i) {
    MuxChannel* channel =
        client_mux->mux()
            .Open(MuxDestination::Unix(absl::StrCat("/echo/", i)), loop->Now())
            .value();
    HandleClient* client = clients[i].get();
    auto handle = std::make_unique<MuxChannelHandle>(
        *client_mux, channel, [client](FlowHandle& flow, FlowEvent event) {
          client->OnEvent(flow, event);
        });
    client_handles.push_back(handle.get());
    client_side.by_channel[channel] = std::move(handle);
    clients[i]->Start(*client_handles.back());  // the same call as on a flow
  }

  Loop& shared = *loop;  // run through the shared interface, too
  ASSERT_TRUE(shared
                  .RunUntil(
                      [&] {
                        for (auto& c : clients) {
                          if (!c->done()) return false;
                        }
                        return true;
                      },
                      absl::Seconds(60))
                  .ok());
  for (int i = 0; i < kChannels; ++i) {
    EXPECT_TRUE(clients[i]->error().ok()) << clients[i]->error();
    EXPECT_EQ(clients[i]->received(), messages[i]) << "channel " << i;
    EXPECT_EQ(client_handles[i]->state(), FlowState::kClosed);
  }
  ASSERT_EQ(echoes.size(), static_cast<size_t>(kChannels));
  for (auto& echo : echoes) EXPECT_TRUE(echo->error().ok()) << echo->error();
  // One socket carried every channel.
  EXPECT_GT(client_mux->driver().stats().sends, 0u);
  client_side.by_channel.clear();
  server_side.by_channel.clear();
}

}  // namespace
}  // namespace hvsock
