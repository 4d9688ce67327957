#include "core/mux/mux_connection.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "core/flow_error.h"
#include "core/mux/mux_frame.h"
#include "core/mux/mux_preamble.h"
#include "gtest/gtest.h"
#include "testing/wire_by_hand.h"

namespace hvsock {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

std::unique_ptr<MuxConnection> Make(bool connector, MuxOptions options = {}) {
  options.connector = connector;
  return MuxConnection::Create(options).value();
}

// Moves every byte `from` has to transmit into `to`. Returns the count.
size_t Transfer(MuxConnection& from, MuxConnection& to,
                std::string* wire = nullptr) {
  size_t moved = 0;
  while (true) {
    absl::string_view spans[16];
    size_t n = from.PeekTransmit(absl::MakeSpan(spans));
    if (n == 0) return moved;
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      to.HandleReceived(spans[i]);
      if (wire != nullptr) wire->append(spans[i].data(), spans[i].size());
      bytes += spans[i].size();
    }
    from.ConsumeTransmitted(bytes);
    moved += bytes;
  }
}

void Pump(MuxConnection& a, MuxConnection& b) {
  for (int i = 0; i < 1000; ++i) {
    if (Transfer(a, b) + Transfer(b, a) == 0) return;
  }
  FAIL() << "livelock";
}

std::string ReadAll(MuxChannel* channel, bool* eof = nullptr) {
  std::string out;
  while (true) {
    absl::StatusOr<ReadResult> r = channel->Read();
    if (!r.ok() || r->would_block()) break;
    if (r->is_eof()) {
      if (eof) *eof = true;
      break;
    }
    out += std::string(r->data());
  }
  return out;
}

// The Data frames `mux` sent, oldest first, from its recent-frames ring.
struct SentData {
  uint32_t id;
  uint64_t length;
};
std::vector<SentData> DataFramesSent(const MuxConnection& mux) {
  std::vector<SentData> out;
  for (const RecentFrame& f : mux.recent_frames().Snapshot()) {
    if (f.direction == RecentFrame::Direction::kSent &&
        f.command == MuxCommand::kData) {
      out.push_back({f.id, f.value});
    }
  }
  return out;
}

MuxDestination UnixDest() { return MuxDestination::Unix("/run/echo.sock"); }

// Two ends of one transport, and one channel that `a` opened and `b`
// accepted, the first Windows exchanged.
struct OneChannel {
  std::unique_ptr<MuxConnection> a;
  std::unique_ptr<MuxConnection> b;
  MuxChannel* ca = nullptr;
  MuxChannel* cb = nullptr;
};
OneChannel OpenOneChannel(const MuxOptions& options) {
  OneChannel p{Make(true, options), Make(false, options)};
  p.ca = p.a->Open(UnixDest(), kT0).value();
  Pump(*p.a, *p.b);
  p.cb = p.b->PollIncoming();
  EXPECT_NE(p.cb, nullptr);
  if (p.cb != nullptr) {
    EXPECT_TRUE(p.b->Accept(p.cb).ok());
  }
  Pump(*p.a, *p.b);
  return p;
}

TEST(MuxConnection, SendsThePreambleFirst) {
  auto a = Make(true);
  absl::string_view spans[4];
  size_t n = a->PeekTransmit(absl::MakeSpan(spans));
  ASSERT_GE(n, 1u);
  EXPECT_EQ(spans[0], MuxPreamble());
}

TEST(MuxConnection, ChannelCarriesBytesBothWaysAndClosesCleanly) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  EXPECT_EQ(ca->id(), 0xFFFFFFFFu);  // the connector counts down
  Pump(*a, *b);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(cb->destination(), UnixDest());
  EXPECT_EQ(cb->id(), ca->id());
  ASSERT_TRUE(b->Accept(cb).ok());

  ASSERT_TRUE(ca->Write("hello from a").ok());
  ASSERT_TRUE(cb->Write("hello from b").ok());
  Pump(*a, *b);
  EXPECT_EQ(ReadAll(cb), "hello from a");
  EXPECT_EQ(ReadAll(ca), "hello from b");

  // Half-close from b: a reads Eof but can still write.
  ASSERT_TRUE(cb->Close(kT0).ok());
  Pump(*a, *b);
  bool eof = false;
  EXPECT_EQ(ReadAll(ca, &eof), "");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(ca->Write("after half-close").ok());
  ASSERT_TRUE(ca->Close(kT0).ok());
  Pump(*a, *b);
  eof = false;
  EXPECT_EQ(ReadAll(cb, &eof), "after half-close");
  EXPECT_TRUE(eof);
  EXPECT_EQ(ca->state(), FlowState::kClosed);
  EXPECT_EQ(cb->state(), FlowState::kClosed);
  EXPECT_EQ(ca->wire_state(), MuxChannelState::kFreed);
  EXPECT_EQ(cb->wire_state(), MuxChannelState::kFreed);
  EXPECT_EQ(a->stats().live_ids, 0u);
  EXPECT_EQ(b->stats().live_ids, 0u);
  ca->Release();
  cb->Release();
  EXPECT_EQ(a->stats().receive_credit, 0u);
}

TEST(MuxConnection, AcceptorCountsIdsUpFromZero) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* first = b->Open(UnixDest(), kT0).value();
  MuxChannel* second = b->Open(UnixDest(), kT0).value();
  EXPECT_EQ(first->id(), 0u);
  EXPECT_EQ(second->id(), 1u);
}

TEST(MuxConnection, SenderNeverExceedsThePeersWindow) {
  MuxOptions options;
  options.window = 1024;
  options.quantum = 512;
  auto a = Make(true, options);
  auto b = Make(false, options);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_TRUE(b->Accept(cb).ok());
  std::string big(10000, 'x');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(ca->Write(big).ok());
  Pump(*a, *b);
  // b has not read: a may have sent exactly one window.
  EXPECT_EQ(cb->stats().flow.receive_buffered, 1024u);
  EXPECT_EQ(ca->stats().payload_scheduled, 1024u);
  std::string got;
  for (int i = 0; i < 100 && got.size() < big.size(); ++i) {
    got += ReadAll(cb);
    Pump(*a, *b);
    EXPECT_LE(cb->stats().flow.receive_buffered, 1024u);
  }
  EXPECT_EQ(got, big);
}

TEST(MuxConnection, ControlFramesAndChannelsTakeTurns) {
  MuxOptions options;
  options.window = 4096;
  options.quantum = 1024;
  auto a = Make(true, options);
  auto b = Make(false, options);
  MuxChannel* c1 = a->Open(UnixDest(), kT0).value();
  MuxChannel* c2 = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  ASSERT_TRUE(b->Accept(b->PollIncoming()).ok());
  ASSERT_TRUE(b->Accept(b->PollIncoming()).ok());
  Pump(*a, *b);
  ASSERT_TRUE(c1->Write(std::string(4096, '1')).ok());
  ASSERT_TRUE(c2->Write(std::string(4096, '2')).ok());
  Transfer(*a, *b);
  // Data frames alternate between the two busy channels.
  const std::vector<SentData> data = DataFramesSent(*a);
  ASSERT_EQ(data.size(), 8u);
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_LE(data[i].length, 1024u) << "frame " << i;
    if (i > 0) {
      EXPECT_NE(data[i].id, data[i - 1].id) << "frame " << i;
    }
  }
}

// The quantum shares the transport among busy channels; a channel alone
// has nobody to share with and sends its whole credit in one frame.
TEST(MuxConnection, ALoneBusyChannelSendsItsCreditInOneFrame) {
  MuxOptions options;
  options.window = 64 * 1024;
  options.quantum = 1024;
  OneChannel p = OpenOneChannel(options);
  ASSERT_TRUE(p.ca->Write(std::string(100 * 1024, 'x')).ok());
  Transfer(*p.a, *p.b);
  const std::vector<SentData> data = DataFramesSent(*p.a);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].length, 64u * 1024);
}

// A large frame reaches the application as it arrives, and the credit its
// reads return comes back before the frame ends.
TEST(MuxConnection, ALargeFrameIsReadableBeforeItsEnd) {
  MuxOptions options;
  options.window = 64 * 1024;
  OneChannel p = OpenOneChannel(options);
  MuxConnection* a = p.a.get();
  MuxConnection* b = p.b.get();
  MuxChannel* ca = p.ca;
  MuxChannel* cb = p.cb;
  ASSERT_NE(cb, nullptr);
  std::string big(64 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(ca->Write(big).ok());
  std::string wire;
  absl::string_view spans[128];
  const size_t n = a->PeekTransmit(absl::MakeSpan(spans));
  for (size_t k = 0; k < n; ++k) wire.append(spans[k].data(), spans[k].size());
  a->ConsumeTransmitted(wire.size());
  // One Data frame: its header and 64 KiB of payload.
  ASSERT_EQ(wire.size(), kMuxDataHeaderLength + big.size());

  // The header and 1 KiB of payload arrive; the application reads them.
  const size_t start = kMuxDataHeaderLength + 1024;
  b->HandleReceived(absl::string_view(wire).substr(0, start));
  ASSERT_EQ(b->PollChannelEvent(), cb);
  EXPECT_EQ(ReadAll(cb), big.substr(0, 1024));
  while (b->PollChannelEvent() != nullptr) {
  }
  // 39 KiB more are read in place, as a driver reads them (into the space
  // the connection lends: the channel's own receive buffer).
  const size_t first = start + 39 * 1024;
  testing::ReceiveInPlace(*b,
                          absl::string_view(wire).substr(start, first - start));
  ASSERT_EQ(b->PollChannelEvent(), cb);
  EXPECT_EQ(ReadAll(cb), big.substr(1024, 39 * 1024));
  // Less than half the window is left: the Window leaves now.
  std::string window;
  Transfer(*b, *a, &window);
  ASSERT_EQ(window.size(), kMuxWindowHeaderLength);
  EXPECT_EQ(window[2], static_cast<char>(MuxCommand::kWindow));

  b->HandleReceived(absl::string_view(wire).substr(first));
  EXPECT_EQ(ReadAll(cb), big.substr(40 * 1024));
}

TEST(MuxConnection, TightReceiveBudgetStillGivesEveryChannelItsFairShare) {
  MuxOptions options;
  options.window = 1000;
  options.quantum = 1000;
  options.receive_budget = 2500;
  options.max_live_channels = 5;  // fair share 250 each; 1250 shared
  auto a = Make(true, options);
  auto b = Make(false, options);
  std::vector<MuxChannel*> channels;
  for (int i = 0; i < 4; ++i)
    channels.push_back(a->Open(UnixDest(), kT0).value());
  Pump(*a, *b);
  EXPECT_EQ(channels[0]->stats().window_granted, 1000u);
  EXPECT_EQ(channels[1]->stats().window_granted, 750u);
  EXPECT_EQ(channels[2]->stats().window_granted, 250u);
  EXPECT_EQ(channels[3]->stats().window_granted, 250u);
  EXPECT_EQ(a->stats().receive_credit, 2250u);
  std::vector<MuxChannel*> accepted;
  while (MuxChannel* c = b->PollIncoming()) {
    ASSERT_TRUE(b->Accept(c).ok());
    accepted.push_back(c);
  }
  Pump(*a, *b);
  for (MuxChannel* c : accepted)
    ASSERT_TRUE(c->Write(std::string(1000, 'z')).ok());
  Pump(*a, *b);
  EXPECT_EQ(a->stats().receive_buffered, 2250u);
  // Reading returns credit to the shared half: a held-back channel gets it.
  EXPECT_EQ(ReadAll(channels[0]).size(), 1000u);
  Pump(*a, *b);
  EXPECT_GT(channels[2]->stats().window_granted, 250u);
  EXPECT_LE(a->stats().receive_credit, 2500u);
}

TEST(MuxConnection, ReceiveBudgetMustCoverAShareForEveryLiveChannel) {
  MuxOptions options;
  options.receive_budget = 100;
  options.max_live_channels = 100;
  EXPECT_FALSE(MuxConnection::Create(options).ok());
}

TEST(MuxConnection, ChannelSendQueueIsBoundedLikeAFlows) {
  MuxOptions options;
  options.channel_send_limit = 1000;
  auto a = Make(true, options);
  MuxChannel* c = a->Open(UnixDest(), kT0).value();
  ASSERT_TRUE(c->Write(std::string(1500, 'x')).ok());
  absl::Status blocked = c->Write("more");
  EXPECT_TRUE(IsFlowError(blocked, FlowErrorKind::kWouldBlock)) << blocked;
}

TEST(MuxConnection, RefusedOpenReachesTheOpenerAsAnErrorNotEof) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  b->Refuse(b->PollIncoming());
  Pump(*a, *b);
  bool eof = false;
  ReadAll(ca, &eof);
  EXPECT_FALSE(eof);
  EXPECT_TRUE(IsFlowError(ca->error(), FlowErrorKind::kReset)) << ca->error();
  EXPECT_NE(ca->error().message().find("refused"), std::string::npos);
  EXPECT_TRUE(ca->IsFinished());
  EXPECT_EQ(ca->wire_state(), MuxChannelState::kFreed);
  EXPECT_EQ(b->stats().opens_refused, 1u);
  EXPECT_EQ(b->stats().live_ids, 0u);
}

TEST(MuxConnection, AbortSendsCloseAndFreesTheIdAfterThePeersClose) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_TRUE(b->Accept(cb).ok());
  Pump(*a, *b);
  ca->Abort();
  Pump(*a, *b);
  EXPECT_TRUE(cb->IsFinished());
  EXPECT_EQ(a->stats().live_ids, 0u);
  EXPECT_EQ(b->stats().live_ids, 0u);
}

TEST(MuxConnection, ChannelEventsReachTheApplication) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_TRUE(b->Accept(cb).ok());
  while (b->PollChannelEvent() != nullptr) {
  }
  ASSERT_TRUE(ca->Write("x").ok());
  Pump(*a, *b);
  MuxChannel* news = b->PollChannelEvent();
  ASSERT_EQ(news, cb);
  EXPECT_EQ(cb->PollEvent(), FlowEvent::kReadable);
}

TEST(MuxConnection, CloseTimeoutFailsAChannelWhoseDataCannotLeave) {
  MuxOptions options;
  options.close_timeout = absl::Seconds(5);
  auto a = Make(true, options);
  MuxChannel* c = a->Open(UnixDest(), kT0).value();
  ASSERT_TRUE(c->Write("stuck").ok());
  ASSERT_TRUE(c->Close(kT0).ok());
  absl::string_view spans[8];
  size_t n = a->PeekTransmit(absl::MakeSpan(spans));
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) bytes += spans[i].size();
  a->ConsumeTransmitted(bytes);
  ASSERT_EQ(a->NextDeadline(), kT0 + absl::Seconds(5));
  a->HandleTimeout(kT0 + absl::Seconds(5));
  EXPECT_TRUE(IsFlowError(c->error(), FlowErrorKind::kCloseTimeout));
  std::string wire;
  auto sink = Make(false);
  Transfer(*a, *sink, &wire);
  EXPECT_EQ(a->recent_frames().Snapshot().back().command, MuxCommand::kClose);
}

TEST(MuxConnection, TransportEofFailsEveryUnfinishedChannel) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  a->HandleTransportEof();
  EXPECT_TRUE(a->IsFinished());
  EXPECT_TRUE(IsFlowError(ca->error(), FlowErrorKind::kTruncated))
      << ca->error();
}

// Reads in place (ReceiveSpace + CommitReceived), `chunk` bytes at most
// per read, as a socket driver does.
// Moves every byte `from` has to transmit into `to` as a driver reading in
// place would: into the spans `to` lends, at most `chunk` bytes per read.
// Returns how many reads filled a second span (a payload's end and the next
// header in one read).
size_t TransferInPlace(MuxConnection& from, MuxConnection& to, size_t chunk) {
  std::string wire;
  absl::string_view spans[16];
  while (size_t n = from.PeekTransmit(absl::MakeSpan(spans))) {
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      wire.append(spans[i].data(), spans[i].size());
      bytes += spans[i].size();
    }
    from.ConsumeTransmitted(bytes);
  }
  size_t vectored = 0;
  size_t at = 0;
  while (at < wire.size()) {
    absl::Span<char> spaces[2];
    const size_t count = to.ReceiveSpaces(absl::MakeSpan(spaces));
    EXPECT_GT(count, 0u);
    if (count == 0) return vectored;
    size_t read = 0;
    for (size_t i = 0; i < count; ++i) {
      const size_t n =
          std::min({spaces[i].size(), chunk - read, wire.size() - at});
      std::memcpy(spaces[i].data(), wire.data() + at, n);
      at += n;
      read += n;
      if (i > 0 && n > 0) ++vectored;
    }
    to.CommitReceived(read);
  }
  return vectored;
}

TEST(MuxConnection, ReadingInPlaceDeliversTheSameBytes) {
  for (size_t chunk : {1u, 7u, 1000u, 100000u}) {
    auto a = Make(true);
    auto b = Make(false);
    MuxChannel* ca = a->Open(UnixDest(), kT0).value();
    TransferInPlace(*a, *b, chunk);
    MuxChannel* cb = b->PollIncoming();
    ASSERT_NE(cb, nullptr);
    ASSERT_TRUE(b->Accept(cb).ok());
    TransferInPlace(*b, *a, chunk);
    std::string big(200000, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
    ASSERT_TRUE(ca->Write(big).ok());
    ASSERT_TRUE(ca->Close(kT0).ok());
    std::string got;
    bool eof = false;
    for (int i = 0; i < 100 && !eof; ++i) {
      TransferInPlace(*a, *b, chunk);
      got += ReadAll(cb, &eof);
      TransferInPlace(*b, *a, chunk);
    }
    EXPECT_EQ(got, big) << "chunk " << chunk;
    EXPECT_TRUE(eof);
  }
}

// A reader that keeps up (it reads after every transport read, as an
// application on a loop does) gets each bulk payload's end and the next
// header in one read.
TEST(MuxConnection, ABulkPayloadsEndAndTheNextHeaderArriveInOneRead) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  TransferInPlace(*a, *b, SIZE_MAX);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_NE(cb, nullptr);
  ASSERT_TRUE(b->Accept(cb).ok());
  TransferInPlace(*b, *a, SIZE_MAX);
  std::string big(1000000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 13);
  ASSERT_TRUE(ca->Write(big).ok());
  ASSERT_TRUE(ca->Close(kT0).ok());
  std::string got;
  bool eof = false;
  size_t vectored = 0;
  for (int i = 0; i < 1000 && !eof; ++i) {
    absl::string_view spans[16];
    const size_t n = a->PeekTransmit(absl::MakeSpan(spans));
    std::string wire;
    for (size_t k = 0; k < n; ++k)
      wire.append(spans[k].data(), spans[k].size());
    a->ConsumeTransmitted(wire.size());
    for (size_t at = 0; at < wire.size();) {
      absl::Span<char> spaces[2];
      const size_t count = b->ReceiveSpaces(absl::MakeSpan(spaces));
      ASSERT_GT(count, 0u);
      size_t read = 0;
      for (size_t k = 0; k < count && at < wire.size(); ++k) {
        const size_t len = std::min(spaces[k].size(), wire.size() - at);
        std::memcpy(spaces[k].data(), wire.data() + at, len);
        at += len;
        read += len;
        if (k > 0 && len > 0) ++vectored;
      }
      b->CommitReceived(read);
      got += ReadAll(cb, &eof);
    }
    Transfer(*b, *a);
  }
  EXPECT_EQ(got, big);
  EXPECT_TRUE(eof);
  // A million bytes go as a few large Data frames (a lone channel sends
  // what its 256 KiB of credit allows): every payload but the last ends in
  // a read that also takes the next header.
  EXPECT_GE(vectored, 3u);
}

TEST(MuxConnection, IdleChannelsHoldNoReceiveMemory) {
  auto a = Make(true);
  auto b = Make(false);
  MuxChannel* ca = a->Open(UnixDest(), kT0).value();
  Pump(*a, *b);
  MuxChannel* cb = b->PollIncoming();
  ASSERT_TRUE(b->Accept(cb).ok());
  ASSERT_TRUE(ca->Write(std::string(5000, 'q')).ok());
  Pump(*a, *b);
  EXPECT_EQ(ReadAll(cb).size(), 5000u);
  EXPECT_EQ(cb->stats().flow.receive_memory, 0u);
}

}  // namespace
}  // namespace hvsock
