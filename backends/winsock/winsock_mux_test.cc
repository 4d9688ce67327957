// The multiplexer on Windows: IocpMux runs a MuxConnection over one socket
// on the IocpLoop (here AF_INET loopback under Wine; the Winsock data path
// is the one AF_HYPERV uses). The same echo and client that run on every
// backend's flows (backends/flow_handle_echo.h), driven by the same
// MuxEchoEnd the posix LoopMux test uses, run on channels opened from both
// ends of one socket; scripted raw peers show what the driver does when
// the transport is no multiplexer or ends, and the loop's timer runs the
// channels' close timeouts.
#include "backends/winsock/winsock_mux.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "backends/flow_handle.h"
#include "backends/mux_channel_handle.h"
#include "backends/mux_echo_end.h"
#include "backends/winsock/winsock_flow.h"
#include "backends/winsock/winsock_iocp_loop.h"
#include "backends/winsock/winsock_test_pair.h"
#include "core/flow_error.h"
#include "core/flow_options.h"
#include "core/mux/mux_connection.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"

namespace hvsock {
namespace {

using ::hvsock::testing::kPatience;
using ::hvsock::testing::MuxEchoEnd;

struct LoopbackSockets {
  std::unique_ptr<IocpLoop> loop;
  testing::SocketPair sockets;
};

LoopbackSockets Connect() {
  LoopbackSockets setup;
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  setup.loop = *std::move(loop);
  absl::StatusOr<testing::SocketPair> sockets =
      testing::ConnectSockets(*setup.loop);
  EXPECT_TRUE(sockets.ok()) << sockets.status();
  if (sockets.ok()) setup.sockets = *std::move(sockets);
  return setup;
}

MuxOptions Side(bool connector) {
  MuxOptions options;
  options.connector = connector;
  return options;
}

// An IocpMux with one channel opened on it whose events are recorded, and
// how often (and whether from inside a command) its news came. Members go
// in reverse order: the channel's handle before its mux.
struct RecordingEnd {
  std::unique_ptr<IocpMux> mux;
  std::unique_ptr<MuxChannelHandle> channel;
  std::vector<FlowEvent> events;
  int news = 0;
  bool in_command = false;  // set by the test around its commands
  int news_in_commands = 0;

  bool Saw(FlowEvent event) const {
    for (FlowEvent e : events) {
      if (e == event) return true;
    }
    return false;
  }
  void OnNews(IocpMux& m) {
    ++news;
    if (in_command) ++news_in_commands;
    while (MuxChannel* has_news = m.mux().PollChannelEvent()) {
      if (channel != nullptr && &channel->channel() == has_news) {
        channel->DeliverEvents();
      }
    }
  }
};

// Creates `end`'s IocpMux over `socket` and opens its channel.
void StartRecordingEnd(IocpLoop& loop, UniqueSocket socket,
                       const MuxOptions& options, RecordingEnd& end) {
  absl::StatusOr<std::unique_ptr<IocpMux>> mux = IocpMux::Create(
      loop, std::move(socket), options, [&end](IocpMux& m) { end.OnNews(m); });
  ASSERT_TRUE(mux.ok()) << mux.status();
  end.mux = *std::move(mux);
  absl::StatusOr<MuxChannel*> opened =
      end.mux->mux().Open(MuxDestination::Unix("/recorded"), end.mux->Now());
  ASSERT_TRUE(opened.ok()) << opened.status();
  end.channel = std::make_unique<MuxChannelHandle>(
      *end.mux, *opened,
      [&end](FlowHandle&, FlowEvent event) { end.events.push_back(event); });
  end.mux->Kick();
}

TEST(IocpMux, TheFlowHandleEchoRunsOnChannelsOpenedFromBothEndsOfOneSocket) {
  constexpr int kChannelsEachWay = 4;
  LoopbackSockets setup = Connect();
  ASSERT_TRUE(setup.sockets.client.valid() && setup.sockets.server.valid());
  // The runners outlive the ends, whose handles release their channels.
  std::unique_ptr<IocpMux> client_mux, server_mux;
  MuxEchoEnd client_end, server_end;
  absl::StatusOr<std::unique_ptr<IocpMux>> created =
      IocpMux::Create(*setup.loop, std::move(setup.sockets.client), Side(true),
                      [&](IocpMux& mux) { client_end.OnNews(mux); });
  ASSERT_TRUE(created.ok()) << created.status();
  client_mux = *std::move(created);
  created =
      IocpMux::Create(*setup.loop, std::move(setup.sockets.server), Side(false),
                      [&](IocpMux& mux) { server_end.OnNews(mux); });
  ASSERT_TRUE(created.ok()) << created.status();
  server_mux = *std::move(created);

  Loop& loop = *setup.loop;  // run through the shared interface
  testing::ExpectEchoBothWays(loop, *client_mux, client_end, *server_mux,
                              server_end, kChannelsEachWay, kPatience);
  // Every channel went over the one socket each end has, both ways.
  for (IocpMux* mux : {client_mux.get(), server_mux.get()}) {
    EXPECT_GT(mux->stats().sends, 0u);
    EXPECT_GT(mux->stats().receives, 0u);
    EXPECT_TRUE(mux->mux().error().ok()) << mux->mux().error();
    EXPECT_FALSE(mux->closed());
  }
}

// A scripted raw peer against an IocpMux: a native-codec WinsockFlow on the
// server end of the socket writes whatever the test scripts; the client end
// is a RecordingEnd with one channel open.
class IocpMuxAgainstARawPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    setup_ = Connect();
    ASSERT_TRUE(setup_.sockets.client.valid() && setup_.sockets.server.valid());
    FlowOptions options;
    options.codec = Codec::kNative;
    absl::StatusOr<std::unique_ptr<WinsockFlow>> flow = WinsockFlow::Create(
        *setup_.loop, std::move(setup_.sockets.server), options);
    ASSERT_TRUE(flow.ok()) << flow.status();
    peer_ = *std::move(flow);
    StartRecordingEnd(*setup_.loop, std::move(setup_.sockets.client),
                      Side(true), end_);
    ASSERT_NE(end_.channel, nullptr);
  }

  // Runs the loop until the connection has failed, its socket is closed
  // and the open channel has heard of it.
  bool RunUntilTheConnectionFailed() {
    return setup_.loop
        ->RunUntil(
            [&] { return end_.mux->closed() && end_.Saw(FlowEvent::kFailed); },
            kPatience)
        .ok();
  }

  LoopbackSockets setup_;
  std::unique_ptr<WinsockFlow> peer_;
  RecordingEnd end_;
};

TEST_F(IocpMuxAgainstARawPeer,
       NoMultiplexerThereFailsTheConnectionWithTheMuxError) {
  // An HTTP request where the preamble's magic should be.
  ASSERT_TRUE(
      peer_
          ->Write(absl::string_view("GET / HTTP/1.1\r\nHost: localhost\r\n"
                                    "User-Agent: not-a-multiplexer\r\n\r\n"))
          .ok());
  ASSERT_TRUE(RunUntilTheConnectionFailed());
  const absl::Status& error = end_.mux->mux().error();
  EXPECT_TRUE(absl::StrContains(error.message(), "not a multiplexer")) << error;
  EXPECT_TRUE(absl::StrContains(error.message(), "byte 0 of the preamble"))
      << error;
  // The open channel failed with the connection's error, as a protocol
  // error: never a clean end.
  EXPECT_TRUE(IsFlowError(end_.channel->error(), FlowErrorKind::kProtocol))
      << end_.channel->error();
  EXPECT_TRUE(
      absl::StrContains(end_.channel->error().message(), "not a multiplexer"))
      << end_.channel->error();
  EXPECT_EQ(end_.channel->state(), FlowState::kFailed);
  // The socket was closed: the peer's stream ends. (With a reset on
  // Windows; Wine may deliver a FIN instead, see README.md.)
  ASSERT_TRUE(setup_.loop
                  ->RunUntil(
                      [&] {
                        return peer_->state() == FlowState::kRemoteClosed ||
                               peer_->state() == FlowState::kFailed;
                      },
                      kPatience)
                  .ok())
      << "the peer's flow is in state " << FlowStateName(peer_->state());
}

TEST_F(IocpMuxAgainstARawPeer,
       TheTransportEndingFailsOpenChannelsAndClosesTheSocket) {
  // A valid preamble (vpnkit's magic and a zero u16 payload length, written
  // out here rather than taken from the core), then the end of the stream.
  constexpr char kPreamble[] =
      "https://github.com/moby/vpnkit multiplexer protocol\n\0\0";
  ASSERT_TRUE(
      peer_->Write(absl::string_view(kPreamble, sizeof(kPreamble) - 1)).ok());
  ASSERT_TRUE(peer_->Close().ok());
  ASSERT_TRUE(RunUntilTheConnectionFailed());
  EXPECT_TRUE(end_.mux->mux().preamble_received());
  EXPECT_TRUE(
      absl::StrContains(end_.mux->mux().error().message(), "transport ended"))
      << end_.mux->mux().error();
  // The channel, still open, lost its stream: truncated, not Eof.
  EXPECT_TRUE(IsFlowError(end_.channel->error(), FlowErrorKind::kTruncated))
      << end_.channel->error();
  EXPECT_EQ(end_.mux->operations_in_flight(), 0);
}

TEST(IocpMux, TheLoopsTimerRunsAChannelsCloseTimeout) {
  LoopbackSockets setup = Connect();
  ASSERT_TRUE(setup.sockets.client.valid() && setup.sockets.server.valid());
  // The server accepts every channel and then neither reads nor closes.
  std::unique_ptr<IocpMux> server_mux;
  std::vector<std::unique_ptr<MuxChannelHandle>> accepted;
  absl::StatusOr<std::unique_ptr<IocpMux>> created =
      IocpMux::Create(*setup.loop, std::move(setup.sockets.server), Side(false),
                      [&](IocpMux& m) {
                        while (MuxChannel* incoming = m.mux().PollIncoming()) {
                          ASSERT_TRUE(m.mux().Accept(incoming).ok());
                          accepted.push_back(std::make_unique<MuxChannelHandle>(
                              m, incoming, [](FlowHandle&, FlowEvent) {}));
                          m.Kick();
                        }
                        while (MuxChannel* news = m.mux().PollChannelEvent()) {
                          for (auto& handle : accepted) {
                            if (&handle->channel() == news)
                              handle->DeliverEvents();
                          }
                        }
                      });
  ASSERT_TRUE(created.ok()) << created.status();
  server_mux = *std::move(created);
  MuxOptions client_options = Side(true);
  client_options.close_timeout = absl::Milliseconds(200);
  RecordingEnd end;
  StartRecordingEnd(*setup.loop, std::move(setup.sockets.client),
                    client_options, end);
  ASSERT_NE(end.channel, nullptr);
  ASSERT_TRUE(
      setup.loop->RunUntil([&] { return !accepted.empty(); }, kPatience).ok());

  // Our close waits for the peer's, which never comes: once our Shutdown
  // has left no byte moves, so only the loop's timer can end the wait.
  ASSERT_TRUE(end.channel->Close().ok());
  ASSERT_TRUE(
      setup.loop
          ->RunUntil([&] { return end.Saw(FlowEvent::kFailed); }, kPatience)
          .ok());
  EXPECT_TRUE(IsFlowError(end.channel->error(), FlowErrorKind::kCloseTimeout))
      << end.channel->error();
  // One channel timed out; the connection itself is fine.
  EXPECT_TRUE(end.mux->mux().error().ok()) << end.mux->mux().error();
  EXPECT_FALSE(end.mux->closed());
}

TEST(IocpMux, NewsComesFromTheLoopNeverFromInsideKickOrACommand) {
  LoopbackSockets setup = Connect();
  ASSERT_TRUE(setup.sockets.client.valid() && setup.sockets.server.valid());
  std::unique_ptr<IocpMux> server_mux;
  MuxEchoEnd server_end;
  absl::StatusOr<std::unique_ptr<IocpMux>> created =
      IocpMux::Create(*setup.loop, std::move(setup.sockets.server), Side(false),
                      [&](IocpMux& m) { server_end.OnNews(m); });
  ASSERT_TRUE(created.ok()) << created.status();
  server_mux = *std::move(created);

  RecordingEnd end;
  end.in_command = true;
  StartRecordingEnd(*setup.loop, std::move(setup.sockets.client), Side(true),
                    end);
  ASSERT_NE(end.channel, nullptr);
  ASSERT_TRUE(end.channel->Write(absl::string_view("ping")).ok());
  ASSERT_TRUE(end.channel->Close().ok());
  // A command that raises news at once (an abort fails its channel), then
  // more commands: the news still waits for the loop.
  absl::StatusOr<MuxChannel*> second =
      end.mux->mux().Open(MuxDestination::Unix("/aborted"), end.mux->Now());
  ASSERT_TRUE(second.ok()) << second.status();
  MuxChannelHandle aborted(*end.mux, *second, [](FlowHandle&, FlowEvent) {});
  aborted.Abort();
  EXPECT_TRUE(end.mux->mux().HasChannelNews());
  end.mux->Kick();
  end.in_command = false;
  EXPECT_EQ(end.news, 0);
  EXPECT_TRUE(end.events.empty());

  // The echo sends "ping" back and closes; our close completes.
  std::string received;
  ASSERT_TRUE(setup.loop
                  ->RunUntil(
                      [&] {
                        while (true) {
                          absl::StatusOr<ReadResult> read = end.channel->Read();
                          if (!read.ok() || !read->is_data()) break;
                          received += std::string(std::move(*read).data());
                        }
                        return end.Saw(FlowEvent::kCloseCompleted);
                      },
                      kPatience)
                  .ok());
  EXPECT_EQ(received, "ping");
  EXPECT_GT(end.news, 0);
  EXPECT_EQ(end.news_in_commands, 0);
}

TEST(IocpMux, CreateRefusesBadOptionsAndAMissingSocket) {
  absl::StatusOr<std::unique_ptr<IocpLoop>> loop = IocpLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  MuxOptions bad = Side(true);
  bad.window = 0;
  absl::StatusOr<std::unique_ptr<IocpMux>> bad_options =
      IocpMux::Create(**loop, UniqueSocket(), bad, nullptr);
  EXPECT_EQ(bad_options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(bad_options.status().message(), "window must be > 0"))
      << bad_options.status();

  absl::StatusOr<std::unique_ptr<IocpMux>> no_socket =
      IocpMux::Create(**loop, UniqueSocket(), Side(true), nullptr);
  EXPECT_EQ(no_socket.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(no_socket.status().message(),
                                "needs a connected socket"))
      << no_socket.status();
}

TEST(IocpMux, DestroyingTheMuxWithIoInFlightClosesTheSocketOnceItIsDone) {
  LoopbackSockets setup = Connect();
  ASSERT_TRUE(setup.sockets.client.valid() && setup.sockets.server.valid());
  absl::StatusOr<std::unique_ptr<IocpMux>> server_mux = IocpMux::Create(
      *setup.loop, std::move(setup.sockets.server), Side(false), nullptr);
  ASSERT_TRUE(server_mux.ok()) << server_mux.status();
  absl::StatusOr<std::unique_ptr<IocpMux>> client_mux = IocpMux::Create(
      *setup.loop, std::move(setup.sockets.client), Side(true), nullptr);
  ASSERT_TRUE(client_mux.ok()) << client_mux.status();
  // A receive is always in flight.
  EXPECT_GE((*client_mux)->operations_in_flight(), 1);

  client_mux->reset();
  // The cancelled receive completes on the loop; then the socket is
  // closed, and the peer's connection sees its transport end.
  ASSERT_TRUE(
      setup.loop->RunUntil([&] { return (*server_mux)->closed(); }, kPatience)
          .ok());
  EXPECT_TRUE(absl::StrContains((*server_mux)->mux().error().message(),
                                "transport ended"))
      << (*server_mux)->mux().error();
  server_mux->reset();
  // Both drivers finished and detached their sockets from the loop.
  ASSERT_TRUE(
      setup.loop
          ->RunUntil([&] { return setup.loop->attached_sockets() == 0; },
                     kPatience)
          .ok())
      << setup.loop->attached_sockets() << " sockets still attached";
}

}  // namespace
}  // namespace hvsock
