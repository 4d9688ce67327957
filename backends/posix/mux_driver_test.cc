// A multiplexer connection over a real AF_UNIX socket pair, run by the
// reference EventLoop: many channels opened from both ends, bytes verified
// both ways, half-close, and the transport's end failing what is unfinished.
#include <sys/socket.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_driver.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/test_sockets.h"
#include "core/flow_error.h"
#include "core/mux/mux_preamble.h"
#include "gtest/gtest.h"
#include "testing/pattern.h"
#include "testing/scripted_app.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;

// One side's application: for each channel it writes its bytes (waiting
// for kWritable when the channel pushes back), half-closes, and reads until
// Eof. Channels are named by their destination path.
class EchoApp {
 public:
  EchoApp(std::map<std::string, std::string> to_send)
      : to_send_(std::move(to_send)) {}

  void Adopt(MuxChannel* channel) {
    State& s = channels_[channel];
    s.name = channel->destination().address;
    s.to_send = to_send_[s.name];
    s.max_write = 7000;
    Pump(channel, s);
  }

  void OnNews(LoopMux& loop_mux) {
    MuxConnection& mux = loop_mux.mux();
    while (MuxChannel* incoming = mux.PollIncoming()) {
      ASSERT_TRUE(mux.Accept(incoming).ok());
      Adopt(incoming);
    }
    while (MuxChannel* channel = mux.PollChannelEvent()) {
      while (channel->PollEvent().has_value()) {
      }
      auto it = channels_.find(channel);
      if (it != channels_.end()) Pump(channel, it->second);
    }
  }

  size_t finished() const {
    size_t n = 0;
    for (const auto& [channel, s] : channels_) n += s.done ? 1 : 0;
    return n;
  }
  std::map<std::string, std::string> received() const {
    std::map<std::string, std::string> out;
    for (const auto& [channel, s] : channels_) out[s.name] = s.received;
    return out;
  }

 private:
  struct State : testing::ScriptedApp {
    std::string name;
    bool done = false;
  };

  void Pump(MuxChannel* channel, State& s) {
    s.Act(*channel, [channel] { return channel->Close(absl::Now()); });
    ASSERT_TRUE(s.write_error.ok()) << s.write_error;
    ASSERT_TRUE(s.read_error.ok()) << s.read_error;
    if (channel->state() == FlowState::kClosed && s.eof) s.done = true;
    ASSERT_NE(channel->state(), FlowState::kFailed) << channel->error();
  }

  std::map<std::string, std::string> to_send_;
  std::map<MuxChannel*, State> channels_;
};

TEST(MuxOverSocketPair, ManyChannelsBothDirectionsBytesVerifiedHalfClosed) {
  auto loop = EventLoop::Create().value();
  auto fds = SocketPair();
  constexpr int kChannels = 64;
  std::map<std::string, std::string> a_sends, b_sends;
  for (int i = 0; i < kChannels; ++i) {
    const std::string name = absl::StrCat("/ch/", i);
    a_sends[name] = testing::PatternBytes(1000 + 997 * i, 2 * i);
    b_sends[name] = testing::PatternBytes(50'000 - 700 * i, 2 * i + 1);
  }
  EchoApp app_a(a_sends), app_b(b_sends);
  MuxOptions a_options;
  a_options.connector = true;
  a_options.window = 16 * 1024;
  a_options.quantum = 8 * 1024;
  MuxOptions b_options = a_options;
  b_options.connector = false;
  auto a =
      LoopMux::Create(*loop, std::move(fds[0]), a_options, [&](LoopMux& m) {
        app_a.OnNews(m);
      }).value();
  auto b =
      LoopMux::Create(*loop, std::move(fds[1]), b_options, [&](LoopMux& m) {
        app_b.OnNews(m);
      }).value();
  // Channels are opened from both ends: even ones by a, odd ones by b.
  for (int i = 0; i < kChannels; ++i) {
    LoopMux& opener = i % 2 == 0 ? *a : *b;
    EchoApp& app = i % 2 == 0 ? app_a : app_b;
    MuxChannel* channel =
        opener.mux()
            .Open(MuxDestination::Unix(absl::StrCat("/ch/", i)), loop->Now())
            .value();
    app.Adopt(channel);
    opener.Kick();
  }
  ASSERT_TRUE(loop->RunUntil(
                      [&] {
                        return app_a.finished() == kChannels &&
                               app_b.finished() == kChannels &&
                               a->mux().stats().live_ids == 0 &&
                               b->mux().stats().live_ids == 0;
                      },
                      absl::Seconds(60))
                  .ok());
  EXPECT_EQ(app_a.received(), b_sends);
  EXPECT_EQ(app_b.received(), a_sends);
  EXPECT_TRUE(a->mux().error().ok());
  // (Windows that crossed a Close are dropped and counted: not errors.)
  EXPECT_EQ(a->mux().stats().channel_errors, 0u);
  EXPECT_EQ(b->mux().stats().channel_errors, 0u);
  EXPECT_GT(a->driver().stats().sends, 0u);
}

TEST(MuxOverSocketPair, PeerClosingTheSocketFailsUnfinishedChannels) {
  auto loop = EventLoop::Create().value();
  auto fds = SocketPair();
  MuxOptions options;
  options.connector = true;
  bool told = false;
  auto a = LoopMux::Create(*loop, std::move(fds[0]), options, [&](LoopMux&) {
             told = true;
           }).value();
  MuxChannel* channel =
      a->mux().Open(MuxDestination::Unix("/x"), loop->Now()).value();
  a->Kick();
  fds[1].reset();  // the peer goes away without a word
  ASSERT_TRUE(
      loop->RunUntil([&] { return a->closed(); }, absl::Seconds(10)).ok());
  EXPECT_TRUE(told);
  EXPECT_TRUE(channel->IsFinished());
  EXPECT_FALSE(channel->error().ok());
  EXPECT_FALSE(a->mux().error().ok());
}

TEST(MuxOverSocketPair, NotAMultiplexerOnTheOtherEndIsReported) {
  auto loop = EventLoop::Create().value();
  auto fds = SocketPair();
  MuxOptions options;
  auto a = LoopMux::Create(*loop, std::move(fds[0]), options, nullptr).value();
  const std::string http = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
  ASSERT_EQ(::write(fds[1].get(), http.data(), http.size()),
            static_cast<ssize_t>(http.size()));
  ASSERT_TRUE(
      loop->RunUntil([&] { return a->closed(); }, absl::Seconds(10)).ok());
  EXPECT_NE(a->mux().error().message().find("not a multiplexer"),
            std::string::npos);
}

// A peer that sends its whole preamble and then half-closes: the bytes and
// the EOF behind them are both waiting before the driver's first read.
struct PreambleThenEofPeer {
  PreambleThenEofPeer() {
    const std::string preamble = absl::StrCat(kMuxMagic, std::string(2, '\0'));
    EXPECT_EQ(::write(fds[1].get(), preamble.data(), preamble.size()),
              static_cast<ssize_t>(preamble.size()));
    EXPECT_EQ(::shutdown(fds[1].get(), SHUT_WR), 0);
  }
  std::array<UniqueFd, 2> fds = SocketPair();
};

// Edge-triggered readiness reports bytes once: the driver reads until EAGAIN
// or EOF, so the EOF queued behind the preamble is seen in the same pass.
TEST(MuxSocketDriver, EdgeTriggeredReadsPastAShortReadToTheEof) {
  PreambleThenEofPeer peer;
  auto mux = MuxConnection::Create(MuxOptions()).value();
  MuxSocketDriver driver(*mux, std::move(peer.fds[0]));
  driver.Drive(absl::Now(), Readiness::kReadable);
  EXPECT_EQ(driver.stats().reads, 1u);
  EXPECT_TRUE(mux->IsFinished());  // the transport ended
}

// Level-triggered readiness reports what is left again: a short read ends
// the pass (no failed read), and the EOF is seen on the next report.
TEST(MuxSocketDriver, LevelTriggeredStopsAtAShortReadAndSeesTheEofNextTime) {
  PreambleThenEofPeer peer;
  auto mux = MuxConnection::Create(MuxOptions()).value();
  MuxSocketDriver driver(*mux, std::move(peer.fds[0]),
                         MuxSocketDriver::ReadinessReports::kLevel);
  driver.Drive(absl::Now(), Readiness::kReadable);
  EXPECT_EQ(driver.stats().reads, 1u);
  EXPECT_FALSE(mux->IsFinished());
  EXPECT_TRUE(Any(driver.interest() & Readiness::kReadable));
  driver.Drive(absl::Now(), Readiness::kReadable);  // still readable: EOF
  EXPECT_TRUE(mux->IsFinished());
  EXPECT_EQ(driver.stats().would_block, 0u);
}

}  // namespace
}  // namespace hvsock
