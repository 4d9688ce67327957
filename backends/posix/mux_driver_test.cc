// A multiplexer connection over a real AF_UNIX socket pair, run by the
// reference EventLoop: many channels opened from both ends, bytes verified
// both ways, half-close, and the transport's end failing what is unfinished.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/posix/event_loop.h"
#include "backends/posix/mux_loop.h"
#include "backends/posix/test_sockets.h"
#include "core/flow_error.h"
#include "gtest/gtest.h"

namespace hvsock {
namespace {

using ::hvsock::testing::SocketPair;

std::string Pattern(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

// One side's application: for each channel it writes its bytes (waiting
// for kWritable when the channel pushes back), half-closes, and reads until
// Eof. Channels are named by their destination path.
class EchoApp {
 public:
  EchoApp(std::map<std::string, std::string> to_send) : to_send_(std::move(to_send)) {}

  void Adopt(MuxChannel* channel) {
    State& s = channels_[channel];
    s.name = channel->destination().address;
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
    for (const auto& [channel, s] : channels_) out[s.name] = s.read;
    return out;
  }

 private:
  struct State {
    std::string name;
    size_t written = 0;
    bool closed = false;
    bool eof = false;
    bool done = false;
    std::string read;
  };

  void Pump(MuxChannel* channel, State& s) {
    const std::string& bytes = to_send_[s.name];
    while (!s.closed && s.written < bytes.size()) {
      size_t n = std::min<size_t>(bytes.size() - s.written, 7000);
      if (!channel->Write(absl::string_view(bytes).substr(s.written, n)).ok()) {
        break;  // kWouldBlock: kWritable will bring us back
      }
      s.written += n;
    }
    if (!s.closed && s.written == bytes.size()) {
      ASSERT_TRUE(channel->Close(absl::Now()).ok());
      s.closed = true;
    }
    while (!s.eof) {
      absl::StatusOr<ReadResult> r = channel->Read();
      ASSERT_TRUE(r.ok()) << r.status();
      if (r->would_block()) break;
      if (r->is_eof()) {
        s.eof = true;
        break;
      }
      s.read += std::string(r->data());
    }
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
    a_sends[name] = Pattern(1000 + 997 * i, 2 * i);
    b_sends[name] = Pattern(50'000 - 700 * i, 2 * i + 1);
  }
  EchoApp app_a(a_sends), app_b(b_sends);
  MuxOptions a_options;
  a_options.connector = true;
  a_options.window = 16 * 1024;
  a_options.quantum = 8 * 1024;
  MuxOptions b_options = a_options;
  b_options.connector = false;
  auto a = LoopMux::Create(*loop, std::move(fds[0]), a_options,
                           [&](LoopMux& m) { app_a.OnNews(m); })
               .value();
  auto b = LoopMux::Create(*loop, std::move(fds[1]), b_options,
                           [&](LoopMux& m) { app_b.OnNews(m); })
               .value();
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
  auto a = LoopMux::Create(*loop, std::move(fds[0]), options,
                           [&](LoopMux&) { told = true; })
               .value();
  MuxChannel* channel =
      a->mux().Open(MuxDestination::Unix("/x"), loop->Now()).value();
  a->Kick();
  fds[1].reset();  // the peer goes away without a word
  ASSERT_TRUE(loop->RunUntil([&] { return a->closed(); }, absl::Seconds(10))
                  .ok());
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
  ASSERT_TRUE(loop->RunUntil([&] { return a->closed(); }, absl::Seconds(10))
                  .ok());
  EXPECT_NE(a->mux().error().message().find("not a multiplexer"),
            std::string::npos);
}

}  // namespace
}  // namespace hvsock
