// Fuzz target: a multiplexer connection (core/mux/mux_connection.h) whose
// peer sends arbitrary bytes, while its application opens, accepts, writes,
// reads, closes and releases channels as the fuzz input says, with time
// passing. The input is a sequence of operations: one byte picks the
// operation, the next ones its argument; "peer bytes" takes a length byte
// and that many bytes. Checks after every operation: no crash, no sanitizer
// report, received bytes within the credit granted and the credit within
// the receive budget, live ids and pending Opens within their limits, and
// the local side never breaks the protocol it sends (its output is decoded
// by a second connection that must not fail because of it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/mux/mux_connection.h"

namespace {

using hvsock::MuxChannel;
using hvsock::MuxConnection;

void CheckBounds(MuxConnection& mux) {
  const hvsock::MuxConnectionStats s = mux.stats();
  const hvsock::MuxOptions& o = mux.options();
  if (s.receive_buffered > s.receive_credit) __builtin_trap();
  if (s.receive_credit > o.receive_budget) __builtin_trap();
  if (s.live_ids > o.max_live_channels + o.max_pending_opens) __builtin_trap();
  if (s.pending_opens > o.max_pending_opens) __builtin_trap();
}

// Moves what `from` transmits into `to` (partially, `limit` bytes at most).
void Transfer(MuxConnection& from, MuxConnection& to, size_t limit) {
  absl::string_view spans[8];
  size_t n = from.PeekTransmit(absl::MakeSpan(spans));
  size_t moved = 0;
  for (size_t i = 0; i < n && moved < limit; ++i) {
    absl::string_view piece = spans[i].substr(0, limit - moved);
    to.HandleReceived(piece);
    moved += piece.size();
  }
  from.ConsumeTransmitted(moved);
  // `to` is an observer: its own output goes nowhere, but it must run so
  // that its Close replies free its ids.
  while (true) {
    size_t m = to.PeekTransmit(absl::MakeSpan(spans));
    size_t total = 0;
    for (size_t i = 0; i < m; ++i) total += spans[i].size();
    if (total == 0) break;
    to.ConsumeTransmitted(total);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hvsock::MuxOptions options;
  options.connector = false;
  options.window = 2048;
  options.quantum = 1024;
  options.max_data_payload = 4096;
  options.receive_budget = 16 * 1024;
  options.max_live_channels = 8;
  options.max_pending_opens = 4;
  options.channel_send_limit = 4096;
  options.close_timeout = absl::Seconds(3);
  std::unique_ptr<MuxConnection> mux = MuxConnection::Create(options).value();
  // A well-behaved observer of what `mux` sends: it must never fail on
  // account of the local side. Its own output is discarded.
  hvsock::MuxOptions observer_options = options;
  observer_options.connector = true;
  observer_options.max_pending_opens = 64;
  observer_options.max_live_channels = 64;
  // The protocol has no largest frame; ours are bounded by the credit the
  // peer (here: the fuzz input) grants and, for a channel alone in the turn
  // order, by 256 KiB. max_data_payload is a receiver's own limit.
  observer_options.max_data_payload = 256 * 1024;
  std::unique_ptr<MuxConnection> observer =
      MuxConnection::Create(observer_options).value();
  {
    absl::string_view spans[4];
    size_t n = observer->PeekTransmit(absl::MakeSpan(spans));
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += spans[i].size();
    observer->ConsumeTransmitted(total);  // its preamble: not needed
  }

  std::vector<MuxChannel*> channels;
  absl::Time now = absl::FromUnixSeconds(1);
  size_t at = 0;
  auto next = [&]() -> uint8_t { return at < size ? data[at++] : 0; };
  while (at < size) {
    const uint8_t op = next();
    const uint8_t arg = next();
    MuxChannel* ch =
        channels.empty() ? nullptr : channels[arg % channels.size()];
    switch (op % 10) {
      case 0: {  // peer bytes
        const size_t n = std::min<size_t>(arg, size - at);
        mux->HandleReceived(
            absl::string_view(reinterpret_cast<const char*>(data) + at, n));
        at += n;
        break;
      }
      case 1: {
        absl::StatusOr<MuxChannel*> opened = mux->Open(
            hvsock::MuxDestination::Unix(std::string(arg % 16, 'p')), now);
        if (opened.ok()) channels.push_back(*opened);
        break;
      }
      case 2:
        if (MuxChannel* incoming = mux->PollIncoming()) {
          if (arg & 1) {
            mux->Refuse(incoming);
          } else {
            (void)mux->Accept(incoming);
            channels.push_back(incoming);
          }
        }
        break;
      case 3:
        if (ch != nullptr) (void)ch->Write(std::string(arg * 37u, 'w'));
        break;
      case 4:
        if (ch != nullptr) (void)ch->Read(1 + arg * 16u);
        break;
      case 5:
        if (ch != nullptr) (void)ch->Close(now);
        break;
      case 6:
        if (ch != nullptr) {
          if (arg & 1) {
            ch->Abort();
          } else {
            for (size_t i = 0; i < channels.size(); ++i) {
              if (channels[i] == ch) channels.erase(channels.begin() + i);
            }
            ch->Release();
          }
        }
        break;
      case 7:
        now += absl::Milliseconds(arg * 50);
        mux->HandleTimeout(now);
        break;
      case 8:
        Transfer(*mux, *observer, 1 + arg * 64u);
        break;
      case 9:
        while (MuxChannel* c = mux->PollChannelEvent()) {
          while (c->PollEvent().has_value()) {
          }
        }
        break;
    }
    CheckBounds(*mux);
    // The observer may fail only because of bytes the fuzzer chose, never
    // because of what the local side sent: the local side's output must
    // always be well formed and never send after Close.
    if (!observer->error().ok()) __builtin_trap();
  }
  mux->HandleTransportEof();
  CheckBounds(*mux);
  return 0;
}
