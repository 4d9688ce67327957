#include "testing/mux_pair.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock::testing {
namespace {

std::string PathFor(size_t index) { return absl::StrCat("/script/", index); }

}  // namespace

MuxPair::MuxPair(MuxPairOptions options)
    : options_(std::move(options)), prng_(options_.seed) {
  options_.a.connector = true;
  options_.b.connector = false;
  a_ = MuxConnection::Create(options_.a).value();
  b_ = MuxConnection::Create(options_.b).value();
  a_apps_.resize(options_.channels.size());
  b_apps_.resize(options_.channels.size());
}

bool MuxPair::WantsWrite(const App& app, const std::string& bytes) const {
  return app.channel != nullptr && !app.closed && app.written < bytes.size() &&
         !app.channel->IsFinished();
}

std::vector<MuxPair::Action> MuxPair::Enabled() {
  std::vector<Action> out;
  bool open_a = false, open_b = false;
  bool write_a = false, write_b = false, close_a = false, close_b = false;
  bool read_a = false, read_b = false;
  for (size_t i = 0; i < options_.channels.size(); ++i) {
    const MuxChannelScript& s = options_.channels[i];
    App& a = a_apps_[i];
    App& b = b_apps_[i];
    if (a.channel == nullptr && s.opened_by_a && !a.outcome.opened)
      open_a = true;
    if (b.channel == nullptr && !s.opened_by_a && !b.outcome.opened)
      open_b = true;
    write_a |= WantsWrite(a, s.a_sends);
    write_b |= WantsWrite(b, s.b_sends);
    close_a |= a.channel != nullptr && !a.closed && s.a_closes &&
               a.written == s.a_sends.size();
    close_b |= b.channel != nullptr && !b.closed && s.b_closes &&
               b.written == s.b_sends.size();
    read_a |= a.channel != nullptr && !a.outcome.eof && a.channel->Readable() &&
              a.outcome.error.ok();
    read_b |= b.channel != nullptr && !b.outcome.eof && b.channel->Readable() &&
              b.outcome.error.ok();
  }
  if (!a_->IsFinished() && !b_->IsFinished()) {
    if (open_a) out.push_back(Action::kOpenA);
    if (open_b) out.push_back(Action::kOpenB);
  }
  if (write_a) out.push_back(Action::kWriteA);
  if (write_b) out.push_back(Action::kWriteB);
  if (close_a) out.push_back(Action::kCloseA);
  if (close_b) out.push_back(Action::kCloseB);
  if (read_a) out.push_back(Action::kReadA);
  if (read_b) out.push_back(Action::kReadB);
  if (a_->HasTransmit()) out.push_back(Action::kSendA);
  if (b_->HasTransmit()) out.push_back(Action::kSendB);
  if (a_to_b_.buffered() > 0 || a_to_b_.at_eof())
    out.push_back(Action::kReceiveB);
  if (b_to_a_.buffered() > 0) out.push_back(Action::kReceiveA);
  // Accepting is always offered (it finds nothing when no Open waits);
  // Step() does not count it as progress.
  out.push_back(Action::kAcceptA);
  out.push_back(Action::kAcceptB);
  return out;
}

void MuxPair::Read(App& app) {
  const size_t max = prng_.Percent(50) ? 1 + Pick(4096) : SIZE_MAX;
  absl::StatusOr<ReadResult> r = app.channel->Read(max);
  if (!r.ok()) {
    app.outcome.error = r.status();
    return;
  }
  if (r->is_eof()) app.outcome.eof = true;
  if (r->is_data()) app.outcome.read += std::string(r->data());
}

void MuxPair::Transmit(MuxConnection& from, BytePipe& pipe, uint64_t side) {
  absl::string_view spans[16];
  const size_t n = from.PeekTransmit(absl::MakeSpan(spans));
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += spans[i].size();
  if (total == 0) return;
  const size_t send = 1 + Pick(total);
  size_t left = send;
  for (size_t i = 0; i < n && left > 0; ++i) {
    absl::string_view piece = spans[i].substr(0, left);
    pipe.Write(piece).IgnoreError();
    for (char c : piece) {
      hash_ = (hash_ ^ (static_cast<uint8_t>(c) + side)) * 1099511628211ULL;
    }
    left -= piece.size();
  }
  from.ConsumeTransmitted(send);
}

void MuxPair::Receive(MuxConnection& to, BytePipe& pipe) {
  char buffer[8192];
  size_t max = prng_.Percent(options_.single_byte_percent)
                   ? 1
                   : 1 + Pick(sizeof(buffer));
  if (prng_.Percent(50)) {
    // In place, as a driver's readv does: into the spans the connection
    // lends (a channel's receive blocks, the next header), in order.
    absl::Span<char> spaces[3];
    const size_t count = to.ReceiveSpaces(absl::MakeSpan(spaces));
    size_t read = 0;
    for (size_t i = 0; i < count && read < max; ++i) {
      const size_t want = std::min(spaces[i].size(), max - read);
      absl::StatusOr<size_t> n = pipe.Read(spaces[i].subspan(0, want));
      if (!n.ok()) break;
      read += *n;
      if (*n < want) break;
    }
    to.CommitReceived(read);
    return;
  }
  absl::StatusOr<size_t> n = pipe.Read(absl::MakeSpan(buffer, max));
  if (n.ok() && *n > 0) to.HandleReceived(absl::string_view(buffer, *n));
}

bool MuxPair::IsSideA(Action action) {
  return action == Action::kOpenA || action == Action::kAcceptA ||
         action == Action::kWriteA || action == Action::kCloseA ||
         action == Action::kReadA || action == Action::kSendA ||
         action == Action::kReceiveA;
}

bool MuxPair::ChannelCan(Action action, size_t i) const {
  const bool side_a = IsSideA(action);
  const MuxChannelScript& s = options_.channels[i];
  const App& app = (side_a ? a_apps_ : b_apps_)[i];
  const std::string& bytes = side_a ? s.a_sends : s.b_sends;
  switch (action) {
    case Action::kOpenA:
    case Action::kOpenB:
      return app.channel == nullptr && s.opened_by_a == side_a &&
             !app.outcome.opened;
    case Action::kWriteA:
    case Action::kWriteB:
      return WantsWrite(app, bytes);
    case Action::kCloseA:
    case Action::kCloseB:
      return app.channel != nullptr && !app.closed &&
             (side_a ? s.a_closes : s.b_closes) && app.written == bytes.size();
    case Action::kReadA:
    case Action::kReadB:
      return app.channel != nullptr && !app.outcome.eof &&
             app.channel->Readable() && app.outcome.error.ok();
    default:
      return false;
  }
}

std::optional<size_t> MuxPair::PickChannel(Action action) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < options_.channels.size(); ++i) {
    if (ChannelCan(action, i)) candidates.push_back(i);
  }
  if (candidates.empty()) return std::nullopt;
  return candidates[Pick(candidates.size())];
}

void MuxPair::Do(Action action) {
  const bool side_a = IsSideA(action);
  MuxConnection& mux = side_a ? *a_ : *b_;
  std::vector<App>& apps = side_a ? a_apps_ : b_apps_;
  switch (action) {
    case Action::kAcceptA:
    case Action::kAcceptB:
      return AcceptIncoming(mux, apps);
    case Action::kSendA:
      return Transmit(*a_, a_to_b_, 0);
    case Action::kSendB:
      return Transmit(*b_, b_to_a_, 0x100);
    case Action::kReceiveA:
      return Receive(*a_, b_to_a_);
    case Action::kReceiveB:
      return Receive(*b_, a_to_b_);
    default:
      break;
  }
  std::optional<size_t> i = PickChannel(action);
  if (!i.has_value()) return;
  App& app = apps[*i];
  switch (action) {
    case Action::kOpenA:
    case Action::kOpenB: {
      absl::StatusOr<MuxChannel*> ch =
          mux.Open(MuxDestination::Unix(PathFor(*i)), now_);
      if (ch.ok()) {
        app.channel = *ch;
        app.outcome.opened = true;
      }
      return;
    }
    case Action::kWriteA:
    case Action::kWriteB: {
      const MuxChannelScript& s = options_.channels[*i];
      return WriteSome(app, side_a ? s.a_sends : s.b_sends);
    }
    case Action::kCloseA:
    case Action::kCloseB:
      app.channel->Close(now_).IgnoreError();
      app.closed = true;
      return;
    case Action::kReadA:
    case Action::kReadB:
      return Read(app);
    default:
      return;
  }
}

void MuxPair::AcceptIncoming(MuxConnection& mux, std::vector<App>& apps) {
  MuxChannel* ch = mux.PollIncoming();
  if (ch == nullptr) return;
  size_t index = 0;
  const std::string& path = ch->destination().address;
  if (!absl::SimpleAtoi(absl::string_view(path).substr(8), &index) ||
      index >= apps.size() || apps[index].channel != nullptr) {
    violation_ = absl::StrCat("unexpected incoming channel ", path);
    mux.Refuse(ch);
    return;
  }
  if (absl::Status st = mux.Accept(ch); !st.ok()) {
    violation_ = absl::StrCat("accept failed: ", st.message());
    return;
  }
  apps[index].channel = ch;
  apps[index].outcome.opened = true;
}

void MuxPair::WriteSome(App& app, const std::string& bytes) {
  const size_t n =
      std::min(bytes.size() - app.written, 1 + Pick(options_.max_write));
  absl::Status st =
      app.channel->Write(absl::string_view(bytes).substr(app.written, n));
  if (st.ok()) app.written += n;
}

void MuxPair::CheckBounds(MuxConnection& mux) {
  if (!violation_.empty()) return;
  const MuxConnectionStats s = mux.stats();
  const MuxOptions& o = mux.options();
  if (s.receive_buffered > s.receive_credit ||
      s.receive_credit > o.receive_budget) {
    violation_ = absl::StrFormat(
        "receive memory out of bounds: %u buffered, %u credit, budget %u",
        s.receive_buffered, s.receive_credit, o.receive_budget);
  }
  if (s.send_queued >
      (o.channel_send_limit + options_.max_write) * options_.channels.size()) {
    violation_ = absl::StrFormat(
        "send queues hold %u bytes, more than %u channels x (limit %u + one "
        "write)",
        s.send_queued, options_.channels.size(), o.channel_send_limit);
  }
  if (!mux.error().ok()) {
    violation_ = absl::StrCat("connection failed: ", mux.error().message());
  }
}

bool MuxPair::Step() {
  std::vector<Action> enabled = Enabled();
  // Accepts that find nothing do not count as progress.
  const size_t real = std::count_if(
      enabled.begin(), enabled.end(),
      [](Action a) { return a != Action::kAcceptA && a != Action::kAcceptB; });
  ++steps_;
  if (real == 0) {
    MuxChannel* a = a_->PollIncoming();
    MuxChannel* b = b_->PollIncoming();
    if (a == nullptr && b == nullptr) return false;
    // Put them back through the normal path: accept now.
    for (auto [mux, ch, apps] : {std::tuple{a_.get(), a, &a_apps_},
                                 std::tuple{b_.get(), b, &b_apps_}}) {
      if (ch == nullptr) continue;
      size_t index = 0;
      if (!absl::SimpleAtoi(
              absl::string_view(ch->destination().address).substr(8), &index) ||
          index >= apps->size()) {
        violation_ = "unexpected incoming channel";
        return false;
      }
      if (!mux->Accept(ch).ok()) violation_ = "accept failed";
      (*apps)[index].channel = ch;
      (*apps)[index].outcome.opened = true;
    }
    return true;
  }
  Do(enabled[Pick(enabled.size())]);
  CheckBounds(*a_);
  CheckBounds(*b_);
  for (auto* apps : {&a_apps_, &b_apps_}) {
    for (App& app : *apps) {
      if (app.channel == nullptr) continue;
      if (app.channel->stats().flow.receive_buffered > a_->options().window) {
        violation_ = "a channel buffered more than its window";
      }
      app.outcome.state = app.channel->state();
      if (app.channel->IsFinished() && app.outcome.error.ok() &&
          app.channel->state() == FlowState::kFailed) {
        app.outcome.error = app.channel->error();
      }
    }
  }
  return true;
}

absl::Status MuxPair::Run() {
  while (steps_ < options_.max_steps) {
    if (!Step()) break;
    if (!violation_.empty()) break;
  }
  if (!violation_.empty()) {
    return absl::InternalError(absl::StrFormat(
        "seed %u step %u: %s", options_.seed, steps_, violation_));
  }
  if (steps_ >= options_.max_steps) {
    return absl::DeadlineExceededError(
        absl::StrFormat("seed %u: no quiescence after %u steps (livelock?)",
                        options_.seed, steps_));
  }
  return absl::OkStatus();
}

}  // namespace hvsock::testing
