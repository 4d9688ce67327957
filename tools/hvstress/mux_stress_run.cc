#include "tools/hvstress/mux_stress_run.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/posix/posix_address.h"
#include "core/flow_error.h"
#include "tools/hvstress/echo_check.h"
#include "tools/hvstress/error_tally.h"
#include "tools/hvstress/mux_echo_server.h"
#include "tools/hvstress/random.h"

namespace hvsock::hvstress {

// One channel's plan (drawn exactly as StressRun draws a connection's) and
// progress.
struct MuxStressRun::Channel {
  Channel(uint64_t index_, uint64_t seed, const Options& options,
          const StreamPattern& pattern)
      : index(index_),
        random(Mix(seed ^ Mix(index_ + 1))),
        length(random.Between(options.bytes.min, options.bytes.max)),
        origin(random.Between(0, pattern.period() - 1)),
        check(pattern, origin, length) {}

  uint64_t index;
  Random random;
  uint64_t length;
  uint64_t origin;
  EchoCheck check;
  MuxChannel* channel = nullptr;
  LoopMux* mux = nullptr;
  uint64_t written = 0;
  uint64_t next_write = 0;
  bool closed = false;
  absl::Time opened;
};

MuxStressRun::MuxStressRun(EventLoop& loop, const Options& options,
                           const Address& target, const StreamPattern& pattern,
                           uint64_t transports,
                           std::atomic<uint64_t>* shared_numbers)
    : loop_(loop),
      options_(options),
      target_(target),
      pattern_(pattern),
      next_index_(shared_numbers != nullptr ? shared_numbers : &own_numbers_) {
  for (uint64_t i = 0; i < transports; ++i) {
    transports_.push_back(std::make_unique<Transport>());
  }
}

MuxStressRun::~MuxStressRun() {
  for (auto& [channel, c] : active_) channel->Release();
  active_.clear();
}

absl::Status MuxStressRun::Run(
    const std::function<void(const StressResult&)>& on_progress,
    absl::Duration progress_interval) {
  start_ = loop_.Now();
  ConnectOptions connect_options;
  connect_options.timeout = options_.connect_timeout;
  for (auto& t : transports_) {
    t->started = absl::Now();
    ++transports_pending_;
    if (std::optional<VmmSocketAddress> vmm = AsVmmSocketAddress(target_)) {
      // The multiplexer runs on the stream the VMM's handshake leaves.
      t->vmm_connecting = ConnectVmmAsync(
          loop_, *vmm, connect_options,
          [this, tp = t.get()](absl::StatusOr<VmmConnection> connection) {
            if (!connection.ok()) {
              OnConnected(*tp, connection.status());
            } else {
              OnConnected(*tp, std::move(connection->fd));
            }
          });
      continue;
    }
    t->connecting =
        ConnectAsync(loop_, target_, connect_options,
                     [this, tp = t.get()](absl::StatusOr<UniqueFd> fd) {
                       OnConnected(*tp, std::move(fd));
                     });
  }
  absl::Time next_progress = start_ + progress_interval;
  while (transports_pending_ > 0 || !active_.empty()) {
    absl::Duration wait = next_progress - loop_.Now();
    if (absl::Status s = loop_.RunOnce(std::max(wait, absl::ZeroDuration()));
        !s.ok()) {
      return s;
    }
    StartMore();
    const absl::Time now = loop_.Now();
    if (now >= next_progress) {
      next_progress = now + progress_interval;
      result_.elapsed = now - start_;
      result_.active = active_.size();
      if (on_progress) on_progress(result_);
    }
  }
  result_.elapsed = loop_.Now() - start_;
  result_.active = 0;
  return absl::OkStatus();
}

void MuxStressRun::Interrupt() {
  interrupted_ = true;
  std::vector<Channel*> running;
  for (auto& [channel, c] : active_) running.push_back(c.get());
  for (Channel* c : running) End(*c, "interrupted", "");
}

void MuxStressRun::OnConnected(Transport& t, absl::StatusOr<UniqueFd> fd) {
  --transports_pending_;
  if (!fd.ok()) {
    t.failed = true;
    result_.errors.Add(absl::StrCat("connect: ", fd.status().message()));
    return;
  }
  result_.connect.Add(absl::Now() - t.started);
  MuxOptions mux_options = MuxEchoServer::ServerOptions();
  mux_options.connector = true;
  mux_options.close_timeout = options_.close_timeout;
  mux_options.max_live_channels =
      std::max<uint64_t>(mux_options.max_live_channels, options_.parallel + 16);
  mux_options.receive_budget = std::max<size_t>(
      mux_options.receive_budget, 2 * mux_options.max_live_channels);
  absl::StatusOr<std::unique_ptr<LoopMux>> mux = LoopMux::Create(
      loop_, *std::move(fd), mux_options, [this](LoopMux& m) { OnNews(m); });
  if (!mux.ok()) {
    t.failed = true;
    result_.errors.Add(absl::StrCat("mux: ", mux.status().message()));
    return;
  }
  t.mux = *std::move(mux);
  ++result_.multiplexed_connections;
  StartMore();
}

void MuxStressRun::StartMore() {
  while (!interrupted_ && next_index_->load() < options_.connections &&
         active_.size() < options_.parallel &&
         !(options_.duration.has_value() &&
           loop_.Now() - start_ >= *options_.duration)) {
    // The next live transport, in turn.
    Transport* t = nullptr;
    for (size_t tries = 0; tries < transports_.size() && t == nullptr;
         ++tries) {
      Transport& candidate =
          *transports_[next_transport_++ % transports_.size()];
      if (candidate.mux != nullptr && !candidate.mux->closed() &&
          candidate.mux->mux().error().ok()) {
        t = &candidate;
      }
    }
    if (t == nullptr) {
      if (transports_pending_ == 0) {
        // None is up and none can come up any more: stop here.
        ++result_.started;
        ++result_.failed;
        result_.errors.Add("no multiplexed connection to open a channel on");
        interrupted_ = true;
      }
      return;
    }
    const uint64_t index = next_index_->fetch_add(1);
    if (index >= options_.connections) break;  // another run took the last
    auto c =
        std::make_unique<Channel>(index, *options_.seed, options_, pattern_);
    ++result_.started;
    absl::StatusOr<MuxChannel*> channel =
        t->mux->mux().Open(MuxDestination::Unix("/hvstress/echo"), loop_.Now());
    if (!channel.ok()) {
      ++result_.failed;
      result_.errors.Add(absl::StrCat("open: ", channel.status().message()));
      continue;
    }
    c->channel = *channel;
    c->mux = t->mux.get();
    c->opened = loop_.Now();
    Channel& raw = *c;
    active_.emplace(*channel, std::move(c));
    Pump(raw);
    t->mux->Kick();
  }
}

void MuxStressRun::OnNews(LoopMux& mux) {
  while (MuxChannel* incoming = mux.mux().PollIncoming()) {
    mux.mux().Refuse(incoming);  // the echo server opens nothing
  }
  while (MuxChannel* channel = mux.mux().PollChannelEvent()) {
    while (channel->PollEvent().has_value()) {
    }
    auto it = active_.find(channel);
    if (it != active_.end()) Pump(*it->second);
  }
}

void MuxStressRun::Pump(Channel& c) {
  MuxChannel& channel = *c.channel;
  const SizeRange& sizes = options_.write_size;
  while (c.written < c.length && !channel.IsFinished()) {
    if (c.next_write == 0) {
      c.next_write = std::min(c.random.Between(sizes.min, sizes.max),
                              c.length - c.written);
    }
    absl::Status status =
        channel.Write(pattern_.Slice(c.origin, c.written, c.next_write));
    if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
    if (!status.ok()) break;  // the channel failed: reported below
    c.written += c.next_write;
    c.next_write = 0;
  }
  if (c.written == c.length && !c.closed && !channel.IsFinished()) {
    c.closed = true;
    channel.Close(loop_.Now()).IgnoreError();
  }
  while (!c.check.complete()) {
    absl::StatusOr<ReadResult> read = channel.Read();
    if (!read.ok() || read->would_block()) break;
    if (read->is_eof()) {
      if (absl::Status ended = c.check.Ended(); !ended.ok()) {
        End(c, ended.message(), c.check.detail());
        return;
      }
      break;
    }
    if (absl::Status ok = c.check.Received(read->data()); !ok.ok()) {
      End(c, ok.message(), c.check.detail());
      return;
    }
  }
  if (channel.state() == FlowState::kClosed) {
    if (!c.check.complete()) {
      End(c, "close completed before the echo's Eof was read",
          absl::StrCat(c.check.received(), " of ", c.length, " bytes read"));
      return;
    }
    End(c, "", "");
  } else if (channel.state() == FlowState::kFailed) {
    End(c, DescribeFlowError(channel.error()),
        absl::StrCat("after ", c.written, " of ", c.length, " bytes sent and ",
                     c.check.received(), " echoed"));
  }
}

void MuxStressRun::End(Channel& c, absl::string_view error,
                       absl::string_view detail) {
  if (error.empty()) {
    ++result_.ok;
    result_.bytes_verified += c.length;
    result_.round_trip.Add(loop_.Now() - c.opened);
  } else {
    ++result_.failed;
    result_.errors.Add(error, detail);
  }
  MuxChannel* channel = c.channel;
  LoopMux* mux = c.mux;
  active_.erase(channel);  // destroys c
  channel->Release();
  mux->Kick();
}

}  // namespace hvsock::hvstress
