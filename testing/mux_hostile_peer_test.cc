// Plays every hostile multiplexer peer (testing/mux_hostile_peer.h) against
// a MuxConnection, in several chunkings, and checks the outcome and the
// invariants after every step.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/flow_error.h"
#include "core/mux/mux_connection.h"
#include "gtest/gtest.h"
#include "testing/mux_hostile_peer.h"
#include "testing/mux_script_peer.h"
#include "testing/prng.h"

namespace hvsock::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

enum class Chunking { kWhole, kOneByte, kRandom };

struct Played {
  std::unique_ptr<MuxConnection> mux;
  MuxChannel* first = nullptr;
  std::vector<uint32_t> local_ids;
  std::string delivered;
  bool eof = false;
  PeerFrameReader reader;
};

class Runner {
 public:
  Runner(const MuxHostileCase& c, Chunking chunking, uint64_t seed)
      : c_(c), chunking_(chunking), prng_(seed) {}

  Played Run() {
    MuxOptions options = c_.options;
    options.connector = false;
    p_.mux = MuxConnection::Create(options).value();
    for (int i = 0; i < c_.local_opens; ++i) {
      MuxChannel* ch =
          p_.mux->Open(MuxDestination::Unix("/local"), now_).value();
      p_.local_ids.push_back(ch->id());
      if (p_.first == nullptr) {
        StartApp(ch);
      }
    }
    Step();
    std::vector<std::string> chunks = c_.peer;
    if (!c_.raw_preamble) chunks.insert(chunks.begin(), PeerPreamble());
    for (const std::string& chunk : chunks) {
      LearnGrants(chunk);
      size_t at = 0;
      while (at < chunk.size()) {
        size_t n = chunk.size() - at;
        if (chunking_ == Chunking::kOneByte) n = 1;
        if (chunking_ == Chunking::kRandom) n = prng_.Between(1, n);
        p_.mux->HandleReceived(absl::string_view(chunk).substr(at, n));
        at += n;
        Step();
      }
    }
    if (c_.peer_ends) {
      p_.mux->HandleTransportEof();
      Step();
    }
    if (c_.then_wait > absl::ZeroDuration()) {
      now_ += c_.then_wait;
      p_.mux->HandleTimeout(now_);
      Step();
    }
    return std::move(p_);
  }

 private:
  void StartApp(MuxChannel* ch) {
    p_.first = ch;
    if (!c_.local_sends.empty()) {
      EXPECT_TRUE(ch->Write(c_.local_sends).ok());
    }
    if (c_.local_closes) {
      EXPECT_TRUE(ch->Close(now_).ok());
    }
  }

  void LearnGrants(const std::string& chunk) {
    size_t before = grants_.frames().size();
    grants_.Feed(chunk);
    for (size_t i = before; i < grants_.frames().size(); ++i) {
      const PeerSeenFrame& f = grants_.frames()[i];
      if (f.command == kPeerWindow) p_.reader.Granted(f.id, f.value);
    }
  }

  void Step() {
    MuxConnection& mux = *p_.mux;
    if (c_.local_accepts) {
      while (MuxChannel* ch = mux.PollIncoming()) {
        EXPECT_TRUE(mux.Accept(ch).ok());
        if (p_.first == nullptr) {
          StartApp(ch);
        }
      }
    }
    while (true) {
      absl::string_view spans[16];
      size_t n = mux.PeekTransmit(absl::MakeSpan(spans));
      if (n == 0) break;
      size_t bytes = 0;
      for (size_t i = 0; i < n; ++i) {
        p_.reader.Feed(spans[i]);
        bytes += spans[i].size();
      }
      mux.ConsumeTransmitted(bytes);
    }
    if (p_.first != nullptr && !p_.eof) {
      while (true) {
        absl::StatusOr<ReadResult> r = p_.first->Read();
        if (!r.ok() || r->would_block()) break;
        if (r->is_eof()) {
          p_.eof = true;
          break;
        }
        p_.delivered += std::string(r->data());
      }
    }
    // Invariants, whatever the peer does.
    const MuxConnectionStats stats = mux.stats();
    EXPECT_LE(stats.receive_buffered, stats.receive_credit);
    EXPECT_LE(stats.receive_credit, mux.options().receive_budget);
    EXPECT_LE(stats.live_ids, mux.options().max_live_channels +
                                  mux.options().max_pending_opens);
    EXPECT_LE(stats.pending_opens, mux.options().max_pending_opens);
    if (p_.first != nullptr) {
      EXPECT_LE(p_.first->stats().flow.receive_buffered, mux.options().window);
    }
    EXPECT_EQ(p_.reader.violation(), "");
  }

  const MuxHostileCase& c_;
  Chunking chunking_;
  Prng prng_;
  absl::Time now_ = kT0;
  Played p_;
  PeerFrameReader grants_;
};

class MuxHostilePeerTest
    : public ::testing::TestWithParam<std::tuple<MuxHostileCase, Chunking>> {};

TEST_P(MuxHostilePeerTest, LocalSideSurvivesOrFailsAsTheStorySays) {
  const auto& [c, chunking] = GetParam();
  Played p = Runner(c, chunking, 42).Run();
  MuxConnection& mux = *p.mux;
  if (c.connection_error.has_value()) {
    ASSERT_FALSE(mux.error().ok());
    EXPECT_NE(mux.error().message().find(*c.connection_error),
              std::string::npos)
        << mux.error();
  } else {
    EXPECT_TRUE(mux.error().ok()) << mux.error();
  }
  EXPECT_EQ(p.delivered, c.delivered);
  EXPECT_EQ(p.eof, c.eof);
  if (c.channel_error.has_value()) {
    ASSERT_NE(p.first, nullptr);
    EXPECT_TRUE(IsFlowError(p.first->error(), *c.channel_error))
        << p.first->error();
  } else if (p.first != nullptr) {
    EXPECT_TRUE(p.first->error().ok()) << p.first->error();
  }
  const MuxConnectionStats stats = mux.stats();
  if (c.local_accepts) {
    size_t accepted = 0;
    for (const PeerSeenFrame& f : p.reader.frames()) {
      const bool local = std::find(p.local_ids.begin(), p.local_ids.end(),
                                   f.id) != p.local_ids.end();
      if (f.command == kPeerWindow && !local &&
          f.value == mux.options().window) {
        ++accepted;
      }
    }
    EXPECT_EQ(accepted, c.accepted);
  } else {
    EXPECT_EQ(stats.pending_opens, c.accepted);
  }
  EXPECT_GE(stats.frames_dropped, c.min_frames_dropped);
  EXPECT_EQ(stats.opens_refused, c.opens_refused);
  EXPECT_EQ(stats.channel_errors, c.channel_errors);
  for (const std::string& frame : c.local_sent) {
    EXPECT_TRUE(p.reader.Saw(frame)) << frame;
  }
  for (const std::string& frame : c.local_not_sent) {
    EXPECT_FALSE(p.reader.Saw(frame)) << frame;
  }
  if (p.first != nullptr && !p.local_ids.empty()) {
    EXPECT_EQ(p.reader.PayloadOn(p.first->id()), c.peer_received);
  }
  EXPECT_EQ(p.local_ids, c.local_ids);
}

std::string Name(
    const ::testing::TestParamInfo<std::tuple<MuxHostileCase, Chunking>>&
        info) {
  const char* chunking[] = {"Whole", "OneByte", "Random"};
  return absl::StrCat(std::get<0>(info.param).story,
                      chunking[static_cast<int>(std::get<1>(info.param))]);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MuxHostilePeerTest,
    ::testing::Combine(::testing::ValuesIn(MuxHostileCases()),
                       ::testing::Values(Chunking::kWhole, Chunking::kOneByte,
                                         Chunking::kRandom)),
    Name);

}  // namespace
}  // namespace hvsock::testing
