// MuxEchoEnd: one end of a multiplexed connection in the echo story of
// flow_handle_echo.h, written only against MuxRunner (mux_runner.h) and
// MuxChannelHandle, so each platform's test runs the same code on its own
// driver (LoopMux on epoll, IocpMux on IOCP under Wine).
//
// The end serves every channel the peer opens with a HandleEcho and runs a
// HandleClient on every channel it opens itself (OpenClient), so two ends
// that both open channels exercise both directions of one connection at
// once. Its OnNews is the driver's news callback: it accepts the peer's
// Opens, then lets each channel with news deliver its events to its handle.
// ExpectEchoBothWays tells the whole story on two ends.
//
// Test-only. Thread-compatible: the runner's loop thread only. Destroy the
// end (its handles release their channels) before its runner.
#ifndef HVSOCK_BACKENDS_MUX_ECHO_END_H_
#define HVSOCK_BACKENDS_MUX_ECHO_END_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/flow_handle_echo.h"
#include "backends/loop.h"
#include "backends/mux_channel_handle.h"
#include "backends/mux_runner.h"
#include "core/flow.h"
#include "core/mux/mux_connection.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"

namespace hvsock::testing {

class MuxEchoEnd {
 public:
  MuxEchoEnd() = default;
  MuxEchoEnd(const MuxEchoEnd&) = delete;
  MuxEchoEnd& operator=(const MuxEchoEnd&) = delete;

  // The driver's news callback.
  void OnNews(MuxRunner& mux) {
    while (MuxChannel* incoming = mux.mux().PollIncoming()) {
      if (absl::Status accepted = mux.mux().Accept(incoming); !accepted.ok()) {
        accept_errors_.push_back(accepted);
        incoming->Release();
        continue;
      }
      echoes_.push_back(std::make_unique<HandleEcho>());
      HandleEcho* echo = echoes_.back().get();
      Add(mux, incoming, [echo](FlowHandle& flow, FlowEvent event) {
        echo->OnEvent(flow, event);
      });
      mux.Kick();  // the Window that accepting grants leaves now
    }
    while (MuxChannel* channel = mux.mux().PollChannelEvent()) {
      auto it = handles_.find(channel);
      if (it != handles_.end()) it->second->DeliverEvents();
    }
  }

  // Opens a channel on `mux` and starts a client sending `message` on it:
  // the same Start call as on any flow.
  absl::Status OpenClient(MuxRunner& mux, std::string message) {
    absl::StatusOr<MuxChannel*> channel = mux.mux().Open(
        MuxDestination::Unix(absl::StrCat("/echo/", clients_.size())),
        mux.Now());
    if (!channel.ok()) return channel.status();
    messages_.push_back(message);
    clients_.push_back(std::make_unique<HandleClient>(std::move(message)));
    HandleClient* client = clients_.back().get();
    client_handles_.push_back(
        &Add(mux, *channel, [client](FlowHandle& flow, FlowEvent event) {
          client->OnEvent(flow, event);
        }));
    client->Start(*client_handles_.back());
    return absl::OkStatus();
  }

  // Every client has read its Eof and completed its close (or failed).
  bool clients_done() const {
    for (const auto& client : clients_) {
      if (!client->done()) return false;
    }
    return true;
  }
  // `count` echoes have completed their close (or one failed).
  bool echoes_closed(size_t count) const {
    if (echoes_.size() < count) return false;
    for (const auto& echo : echoes_) {
      if (!echo->closed() && echo->error().ok()) return false;
    }
    return true;
  }
  const std::vector<std::string>& messages() const { return messages_; }

  // Every client got its message back exactly and closed cleanly; this end
  // echoed, without error, one channel per message the peer sent, byte for
  // byte.
  void ExpectRoundTrips(const MuxEchoEnd& peer) const {
    for (size_t i = 0; i < clients_.size(); ++i) {
      EXPECT_TRUE(clients_[i]->error().ok())
          << "client " << i << ": " << clients_[i]->error();
      EXPECT_TRUE(clients_[i]->received() == messages_[i])
          << "client " << i << " received " << clients_[i]->received().size()
          << " bytes, sent " << messages_[i].size() << " (or they differ)";
      EXPECT_EQ(client_handles_[i]->state(), FlowState::kClosed)
          << "client " << i;
    }
    for (const absl::Status& error : accept_errors_) ADD_FAILURE() << error;
    ASSERT_EQ(echoes_.size(), peer.messages_.size());
    size_t echoed = 0;
    size_t sent = 0;
    for (const auto& echo : echoes_) {
      EXPECT_TRUE(echo->error().ok()) << echo->error();
      EXPECT_TRUE(echo->closed());
      echoed += echo->echoed();
    }
    for (const std::string& message : peer.messages_) sent += message.size();
    EXPECT_EQ(echoed, sent);
  }

 private:
  MuxChannelHandle& Add(MuxRunner& mux, MuxChannel* channel,
                        FlowEventCallback on_event) {
    auto handle =
        std::make_unique<MuxChannelHandle>(mux, channel, std::move(on_event));
    MuxChannelHandle& added = *handle;
    handles_[channel] = std::move(handle);
    return added;
  }

  std::map<MuxChannel*, std::unique_ptr<MuxChannelHandle>> handles_;
  std::vector<std::unique_ptr<HandleClient>> clients_;
  std::vector<MuxChannelHandle*> client_handles_;
  std::vector<std::string> messages_;
  std::vector<std::unique_ptr<HandleEcho>> echoes_;
  std::vector<absl::Status> accept_errors_;
};

// The story every platform's mux test tells: `channels_each_way` channels
// opened from each end of one connection at once, each end's clients
// sending distinct patterns of a few hundred KiB; `loop` runs (at most
// `limit`) until every client has read its echo's Eof and every close has
// completed on both ends; then every round trip is checked.
inline void ExpectEchoBothWays(Loop& loop, MuxRunner& a, MuxEchoEnd& a_end,
                               MuxRunner& b, MuxEchoEnd& b_end,
                               int channels_each_way, absl::Duration limit) {
  for (int i = 0; i < channels_each_way; ++i) {
    ASSERT_TRUE(
        a_end.OpenClient(a, PatternBytes(300'000 + 33'333 * i, i)).ok());
    ASSERT_TRUE(
        b_end.OpenClient(b, PatternBytes(200'000 + 12'345 * i, 100 + i)).ok());
  }
  const size_t count = static_cast<size_t>(channels_each_way);
  ASSERT_TRUE(loop.RunUntil(
                      [&] {
                        return a_end.clients_done() && b_end.clients_done() &&
                               a_end.echoes_closed(count) &&
                               b_end.echoes_closed(count);
                      },
                      limit)
                  .ok());
  a_end.ExpectRoundTrips(b_end);
  b_end.ExpectRoundTrips(a_end);
}

}  // namespace hvsock::testing

#endif  // HVSOCK_BACKENDS_MUX_ECHO_END_H_
