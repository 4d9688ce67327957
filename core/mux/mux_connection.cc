#include "core/mux/mux_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/flow_error.h"
#include "core/receive_buffer.h"

namespace hvsock {
namespace {

using S = MuxChannelState;
using I = MuxChannelInput;
using A = MuxChannelAction;

// How many bytes of frames PeekTransmit schedules ahead of the transport.
constexpr size_t kTransmitBatch = 256 * 1024;

// A channel left with at most this much unread data after a payload may be
// holding receive blocks (at most two partly used) mostly empty
// (LimitSparseBlocks). Above it, its blocks are at least half used.
constexpr size_t kSparseUnread = 2 * ReceiveBuffer::kBlockSize;
// How many such channels may keep their blocks: as many as an eighth of the
// receive budget covers at two blocks each, and at least this many.
constexpr size_t kMinSparseChannels = 16;

bool AwaitingAccept(S state) {
  return state == S::kAwaitingAccept ||
         state == S::kAwaitingAcceptRemoteShutdown;
}

bool Allows(S state, I input) {
  std::optional<MuxChannelTransition> t =
      FindMuxChannelTransition(state, input);
  return t.has_value() && t->action != A::kSuppress;
}

I PeerInput(MuxCommand command) {
  switch (command) {
    case MuxCommand::kWindow:
      return I::kPeerWindow;
    case MuxCommand::kData:
      return I::kPeerData;
    case MuxCommand::kShutdown:
      return I::kPeerShutdown;
    default:
      return I::kPeerClose;
  }
}

}  // namespace

// ── Construction ─────────────────────────────────────────────────────────

absl::StatusOr<std::unique_ptr<MuxConnection>> MuxConnection::Create(
    const MuxOptions& options) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  return std::unique_ptr<MuxConnection>(new MuxConnection(options));
}

MuxConnection::MuxConnection(const MuxOptions& options)
    : options_(options),
      recent_(options.recent_frames),
      next_id_(options.first_id.value_or(options.connector ? 0xFFFFFFFFu : 0u)),
      preamble_out_(MuxPreamble()) {
  fair_share_ = options.receive_budget / 2 / options.max_live_channels;
  flow_options_.codec = Codec::kNative;
  flow_options_.receive_limit = options.window;
  flow_options_.send_limit = options.channel_send_limit;
  flow_options_.close_timeout = options.close_timeout;
}

MuxConnection::~MuxConnection() = default;

MuxChannel* MuxConnection::Get(uint64_t serial) {
  // The same channel is asked for many times in a row (every frame of a
  // bulk stream): remember the last answer.
  if (serial == last_got_serial_ && serial != 0) return last_got_;
  auto it = channels_.find(serial);
  MuxChannel* channel = it == channels_.end() ? nullptr : it->second.get();
  last_got_serial_ = serial;
  last_got_ = channel;
  return channel;
}

MuxChannel* MuxConnection::FindChannel(uint32_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : Get(it->second.serial);
}

MuxConnectionStats MuxConnection::stats() const {
  MuxConnectionStats stats = counters_;
  stats.live_ids = by_id_.size();
  stats.pending_opens = 0;
  for (const auto& [serial, channel] : channels_) {
    if (AwaitingAccept(channel->wire_state_)) ++stats.pending_opens;
    stats.receive_buffered += channel->flow_.stats().receive_buffered;
  }
  stats.receive_credit = receive_credit_;
  stats.send_queued = send_total_;
  stats.transmit_queued = out_bytes_ + (preamble_out_.size() - preamble_sent_);
  return stats;
}

absl::Status MuxConnection::ErrorWithTrace(absl::string_view what) const {
  return FlowError(FlowErrorKind::kProtocol,
                   absl::StrCat("multiplexer: ", what, "; recent frames:\n",
                                recent_.Dump()));
}

// ── Failure ──────────────────────────────────────────────────────────────

void MuxConnection::Fail(absl::Status error, FlowErrorKind channel_kind) {
  if (!error_.ok()) return;
  error_ = std::move(error);
  const absl::Status cause = FlowError(
      channel_kind,
      absl::StrCat("the multiplexer connection failed: ", error_.message()));
  for (auto& [serial, channel] : channels_) {
    if (!channel->flow_.IsFinished()) {
      channel->flow_.HandleTransportError(cause);
    }
    Notify(channel.get());
  }
}

void MuxConnection::FailChannel(MuxChannel* channel, absl::string_view why) {
  ++counters_.channel_errors;
  if (!channel->flow_.IsFinished()) {
    channel->flow_.HandleTransportError(
        FlowError(FlowErrorKind::kProtocol,
                  absl::StrFormat("channel %u: %s", channel->id_, why)));
  }
  Touch(channel);
}

// ── Bookkeeping lists ────────────────────────────────────────────────────

void MuxConnection::Touch(MuxChannel* channel) {
  MarkDirty(channel);
  Notify(channel);
}

void MuxConnection::MarkDirty(MuxChannel* channel) {
  if (!channel->dirty_) {
    channel->dirty_ = true;
    dirty_.push_back(channel->serial_);
  }
}

void MuxConnection::Notify(MuxChannel* channel) {
  if (!channel->notify_ && !channel->released_) {
    channel->notify_ = true;
    notify_.push_back(channel->serial_);
  }
}

MuxChannel* MuxConnection::PollChannelEvent() {
  while (!notify_.empty()) {
    MuxChannel* channel = Get(notify_.front());
    notify_.pop_front();
    if (channel == nullptr) continue;
    channel->notify_ = false;
    if (!channel->released_ && channel->handed_out_) return channel;
  }
  return nullptr;
}

void MuxConnection::ResyncSendTotal(MuxChannel* channel, size_t queued) {
  send_total_ = send_total_ - channel->send_accounted_ + queued;
  channel->send_accounted_ = queued;
}

// ── Receive credit ───────────────────────────────────────────────────────

void MuxConnection::MaybeGrant(MuxChannel* channel) {
  if (channel->flow_.IsFinished() ||
      !Allows(channel->wire_state_, I::kSendWindow)) {
    return;
  }
  const size_t held = channel->credit_held_;
  // Top up once less than half the window is left (held < window / 2,
  // rounded up: with a one-byte window, whenever no credit is left).
  if (channel->granted_ != 0 && 2 * uint64_t{held} >= options_.window) return;
  // Up to the fair share from the reserved half, beyond it from the shared
  // half while it lasts.
  const size_t shared_left = options_.receive_budget -
                             fair_share_ * options_.max_live_channels -
                             shared_credit_;
  const size_t ceiling = std::max(held, fair_share_) + shared_left;
  const size_t target = std::min<size_t>(ceiling, options_.window);
  const size_t give = target > held ? target - held : 0;
  if (target < options_.window && !channel->starved_) {
    // Held back by the budget: wake it when credit comes back.
    channel->starved_ = true;
    starved_.push_back(channel->serial_);
  }
  // No dribbles: a channel that still holds credit waits for a worthwhile
  // increment rather than costing a Window frame per byte read.
  const size_t worthwhile =
      std::max<size_t>(1, std::min<size_t>(options_.window, fair_share_) / 2);
  if (give == 0 || (held > 0 && give < worthwhile)) return;
  channel->granted_ += give;
  SetCreditHeld(channel, held + give);
  if (!channel->window_queued_) {
    channel->window_queued_ = true;
    control_.push_back({MuxCommand::kWindow, channel->id_, channel->serial_});
  }
}

// The peer will send no more: credit it has not used goes back to the pool;
// bytes it sent and the application has not read stay counted.
void MuxConnection::TrimCredit(MuxChannel* channel) {
  const size_t buffered = channel->received_ - channel->bytes_read_;
  if (channel->credit_held_ > buffered) SetCreditHeld(channel, buffered);
}

void MuxConnection::SetCreditHeld(MuxChannel* channel, size_t held) {
  auto over = [this](size_t h) {
    return h > fair_share_ ? h - fair_share_ : 0;
  };
  receive_credit_ = receive_credit_ - channel->credit_held_ + held;
  shared_credit_ = shared_credit_ - over(channel->credit_held_) + over(held);
  const size_t shared_returned = over(channel->credit_held_) > over(held)
                                     ? over(channel->credit_held_) - over(held)
                                     : 0;
  channel->credit_held_ = held;
  // Wake channels held back by the budget, oldest first, as many as the
  // shared credit returned can serve (each wants at most a window); those
  // still short queue up again.
  if (shared_returned == 0) return;
  size_t wake = 1 + shared_returned / std::max<size_t>(1, options_.window / 2);
  while (wake > 0 && !starved_.empty()) {
    MuxChannel* c = Get(starved_.front());
    starved_.pop_front();
    if (c == nullptr) continue;
    c->starved_ = false;
    Touch(c);
    --wake;
  }
}

void MuxConnection::OnApplicationRead(MuxChannel* channel, size_t n) {
  channel->bytes_read_ += n;
  const size_t returned = std::min(n, channel->credit_held_);
  SetCreditHeld(channel, channel->credit_held_ - returned);
  // Its Window may be due. Reading data raises no event of the channel's
  // own, so the application, which is reading, is not called back for it.
  MarkDirty(channel);
}

// ── Channels ─────────────────────────────────────────────────────────────

uint64_t MuxConnection::NextId() {
  while (true) {
    const uint32_t id = next_id_;
    next_id_ = options_.connector ? next_id_ - 1 : next_id_ + 1;
    if (!by_id_.contains(id)) return id;
  }
}

MuxChannel* MuxConnection::NewChannel(uint32_t id, MuxDestination destination,
                                      bool local) {
  const uint64_t serial = next_serial_++;
  auto channel = std::unique_ptr<MuxChannel>(new MuxChannel(
      this, serial, id, std::move(destination), local, flow_options_));
  MuxChannel* raw = channel.get();
  channels_.emplace(serial, std::move(channel));
  if (last_got_serial_ == serial) last_got_serial_ = 0;
  by_id_[id] = {raw->wire_state_, serial};
  return raw;
}

absl::StatusOr<MuxChannel*> MuxConnection::Open(
    const MuxDestination& destination, absl::Time now) {
  now_ = std::max(now_, now);
  if (!error_.ok()) return error_;
  if (absl::Status valid = destination.Validate(); !valid.ok()) return valid;
  if (by_id_.size() >= options_.max_live_channels) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the multiplexer has %u channel ids in use (max_live_channels %u)",
        by_id_.size(), options_.max_live_channels));
  }
  MuxChannel* channel =
      NewChannel(static_cast<uint32_t>(NextId()), destination, /*local=*/true);
  channel->handed_out_ = true;
  control_.push_back({MuxCommand::kOpen, channel->id_, channel->serial_});
  MaybeGrant(channel);
  return channel;
}

MuxChannel* MuxConnection::PollIncoming() {
  while (!incoming_.empty()) {
    MuxChannel* channel = Get(incoming_.front());
    incoming_.pop_front();
    if (channel == nullptr) continue;
    if (!AwaitingAccept(channel->wire_state_)) {
      // Withdrawn by the peer before the application saw it.
      channel->released_ = true;
      Touch(channel);
      MaybeDestroy(channel);
      continue;
    }
    channel->handed_out_ = true;
    return channel;
  }
  return nullptr;
}

absl::Status MuxConnection::Accept(MuxChannel* channel) {
  if (!error_.ok()) return error_;
  if (!AwaitingAccept(channel->wire_state_) || channel->flow_.IsFinished()) {
    return FlowError(
        FlowErrorKind::kReset,
        absl::StrFormat("channel %u cannot be accepted in state %s (the peer "
                        "closed it first?)",
                        channel->id_,
                        MuxChannelStateName(channel->wire_state_)));
  }
  WireEntry& entry = by_id_.at(channel->id_);
  if (!StepLocal(entry, channel->id_, I::kAccept).has_value()) return error_;
  channel->wire_state_ = entry.state;
  MaybeGrant(channel);
  Touch(channel);
  return absl::OkStatus();
}

void MuxConnection::Refuse(MuxChannel* channel) {
  ++counters_.opens_refused;
  ReleaseChannel(channel);
}

void MuxConnection::ReleaseChannel(MuxChannel* channel) {
  channel->released_ = true;
  if (!channel->flow_.IsFinished()) channel->flow_.Abort();
  if (!channel->dirty_) {
    channel->dirty_ = true;
    dirty_.push_back(channel->serial_);
  }
  MaybeDestroy(channel);
}

void MuxConnection::MaybeDestroy(MuxChannel* channel) {
  if (!channel->released_ || channel->frames_in_flight_ > 0 ||
      receiving_ == channel->serial_) {
    return;
  }
  // A channel whose Close exchange is not over keeps its id (and so its
  // object, which the frames still to come are checked against) until it is.
  if (channel->wire_state_ != S::kFreed && error_.ok()) return;
  if (channel->wire_state_ != S::kFreed) by_id_.erase(channel->id_);
  SetCreditHeld(channel, 0);
  send_total_ -= channel->send_accounted_;
  timed_.erase(channel->serial_);
  if (last_got_serial_ == channel->serial_) last_got_serial_ = 0;
  channels_.erase(channel->serial_);
}

void MuxConnection::FreeId(uint32_t id, WireEntry& entry) {
  const uint64_t serial = entry.serial;
  by_id_.erase(id);
  MuxChannel* channel = Get(serial);
  if (channel == nullptr) return;
  channel->wire_state_ = S::kFreed;
  if (!channel->handed_out_) channel->released_ = true;
  Touch(channel);
  MaybeDestroy(channel);
}

void MuxConnection::RefuseAtDoor(uint32_t id) {
  ++counters_.opens_refused;
  by_id_[id] = {S::kAwaitingAccept, 0};
  control_.push_back({MuxCommand::kClose, id, 0});
}

std::optional<MuxChannelAction> MuxConnection::StepLocal(
    WireEntry& entry, uint32_t id, MuxChannelInput input) {
  std::optional<MuxChannelTransition> t =
      FindMuxChannelTransition(entry.state, input);
  if (!t.has_value()) {
    Fail(FlowError(FlowErrorKind::kUnexpectedInput,
                   absl::StrFormat("multiplexer channel %u: state %s does not "
                                   "accept input %s",
                                   id, MuxChannelStateName(entry.state),
                                   MuxChannelInputName(input))),
         FlowErrorKind::kReset);
    return std::nullopt;
  }
  entry.state = t->to;
  if (MuxChannel* channel = Get(entry.serial)) channel->wire_state_ = t->to;
  return t->action;
}

// ── Servicing channels after inputs and commands ─────────────────────────

void MuxConnection::ServiceDirty() {
  while (!dirty_.empty() && error_.ok()) {
    // Both lists keep their capacity: no allocation per pass. (Service
    // never comes back here.)
    servicing_.swap(dirty_);
    dirty_.clear();
    for (uint64_t serial : servicing_) {
      if (MuxChannel* channel = Get(serial)) {
        channel->dirty_ = false;
        Service(channel);
      }
    }
  }
}

void MuxConnection::Service(MuxChannel* channel) {
  Flow& flow = channel->flow_;
  const FlowStats stats = flow.stats();
  ResyncSendTotal(channel, stats.send_queued);
  const S state = channel->wire_state_;
  if (flow.NextDeadline().has_value()) {
    timed_.insert(channel->serial_);
  } else {
    timed_.erase(channel->serial_);
  }
  if (flow.IsFinished()) {
    if (!channel->close_queued_ && state != S::kCloseSent &&
        state != S::kFreed) {
      channel->close_queued_ = true;
      control_.push_back({MuxCommand::kClose, channel->id_, channel->serial_});
    }
    if (state == S::kFreed || state == S::kCloseSent ||
        state == S::kCloseReceived) {
      TrimCredit(channel);
    }
    MaybeDestroy(channel);
    return;
  }
  if (AwaitingAccept(state)) return;
  if (!channel->shutdown_done_ && flow.PollShutdownWrite()) {
    channel->shutdown_done_ = true;
    control_.push_back({MuxCommand::kShutdown, channel->id_, channel->serial_});
    if (flow.IsFinished()) {
      Touch(channel);  // closed by our end: Close follows the Shutdown
      return;
    }
  }
  MaybeGrant(channel);
  const uint64_t unscheduled =
      stats.bytes_out + stats.send_queued - channel->scheduled_;
  if (!channel->ready_ && unscheduled > 0 &&
      channel->peer_window_ > channel->scheduled_ &&
      Allows(state, I::kSendData)) {
    channel->ready_ = true;
    ready_.push_back(channel->serial_);
  }
}

// ── Transmit ─────────────────────────────────────────────────────────────

void MuxConnection::Emit(OutFrame frame, const MuxFrame& header) {
  out_bytes_ += frame.size();
  ++counters_.frames_out;
  recent_.Record(RecentFrame::Direction::kSent, header);
  out_.push_back(std::move(frame));
}

bool MuxConnection::ScheduleControl() {
  if (control_.empty()) return false;
  const Control item = control_.front();
  control_.pop_front();
  auto it = by_id_.find(item.id);
  if (it == by_id_.end() || it->second.serial != item.serial) return true;
  WireEntry& entry = it->second;
  MuxChannel* channel = Get(item.serial);
  OutFrame frame;
  MuxFrame header;
  switch (item.command) {
    case MuxCommand::kOpen: {
      header = MuxFrame::Open(item.id, channel->destination_);
      frame.long_header = EncodeMuxFrame(header).value();
      break;
    }
    case MuxCommand::kWindow: {
      channel->window_queued_ = false;
      std::optional<A> action = StepLocal(entry, item.id, I::kSendWindow);
      if (action != A::kSend) return true;
      header = MuxFrame::Window(item.id, channel->granted_);
      break;
    }
    case MuxCommand::kShutdown: {
      std::optional<A> action = StepLocal(entry, item.id, I::kSendShutdown);
      if (action != A::kSend) return true;
      header = MuxFrame::Shutdown(item.id);
      break;
    }
    case MuxCommand::kClose:
    default: {
      std::optional<A> action = StepLocal(
          entry, item.id, channel == nullptr ? I::kRefuse : I::kSendClose);
      if (action != A::kSend && action != A::kFree) return true;
      header = MuxFrame::Close(item.id);
      frame.fixed_length =
          static_cast<uint8_t>(EncodeFixedMuxHeader(header, frame.fixed));
      if (channel != nullptr) ++channel->frames_out_;
      Emit(std::move(frame), header);
      if (action == A::kFree) FreeId(item.id, entry);
      return true;
    }
  }
  if (frame.long_header.empty()) {
    frame.fixed_length =
        static_cast<uint8_t>(EncodeFixedMuxHeader(header, frame.fixed));
  }
  if (channel != nullptr) ++channel->frames_out_;
  Emit(std::move(frame), header);
  return true;
}

bool MuxConnection::ScheduleData() {
  while (!ready_.empty()) {
    MuxChannel* channel = Get(ready_.front());
    ready_.pop_front();
    if (channel == nullptr) continue;
    channel->ready_ = false;
    if (channel->flow_.IsFinished() ||
        !Allows(channel->wire_state_, I::kSendData) ||
        channel->peer_window_ <= channel->scheduled_) {
      continue;
    }
    const uint64_t credit = channel->peer_window_ - channel->scheduled_;
    // The quantum shares the transport among channels that wait for a
    // turn; a channel alone in the ready list has nobody to share with and
    // sends what its credit allows (up to a batch), in fewer frames.
    const uint64_t turn = ready_.empty() ? kTransmitBatch : options_.quantum;
    size_t limit = static_cast<size_t>(std::min<uint64_t>(credit, turn));
    // The payload after what earlier frames scheduled.
    OutFrame frame;
    frame.serial = channel->serial_;
    const size_t count = channel->flow_.PeekTransmit(
        absl::MakeSpan(frame.payload),
        channel->scheduled_ - channel->transmitted_);
    for (size_t i = 0; i < count && limit > 0; ++i) {
      absl::string_view span = frame.payload[i];
      if (span.empty()) continue;
      span = span.substr(0, limit);
      frame.payload[frame.payload_spans++] = span;
      frame.payload_length += span.size();
      limit -= span.size();
    }
    if (frame.payload_length == 0) continue;
    WireEntry& entry = by_id_.at(channel->id_);
    if (StepLocal(entry, channel->id_, I::kSendData) != A::kSend) return true;
    const MuxFrame header = MuxFrame::Data(
        channel->id_, static_cast<uint32_t>(frame.payload_length));
    frame.fixed_length =
        static_cast<uint8_t>(EncodeFixedMuxHeader(header, frame.fixed));
    channel->scheduled_ += frame.payload_length;
    ++channel->frames_in_flight_;
    ++channel->frames_out_;
    Emit(std::move(frame), header);
    // Another turn later if it still has data and credit (round robin).
    if (!channel->ready_) {
      channel->dirty_ = true;
      dirty_.push_back(channel->serial_);
    }
    return true;
  }
  return false;
}

void MuxConnection::Schedule() {
  while (error_.ok() && out_bytes_ < kTransmitBatch) {
    if (ScheduleControl()) continue;
    // Channels that just had a turn go to the back of the ready list.
    ServiceDirty();
    if (!control_.empty()) continue;
    if (!ScheduleData()) break;
  }
}

size_t MuxConnection::PeekTransmit(absl::Span<absl::string_view> out) {
  if (!error_.ok()) return 0;
  ServiceDirty();
  Schedule();
  size_t used = 0;
  if (preamble_sent_ < preamble_out_.size() && used < out.size()) {
    out[used++] = absl::string_view(preamble_out_).substr(preamble_sent_);
  }
  size_t skip = out_offset_;
  for (const OutFrame& frame : out_) {
    auto add = [&](absl::string_view span) {
      const size_t skipped = std::min(skip, span.size());
      span.remove_prefix(skipped);
      skip -= skipped;
      if (!span.empty() && used < out.size()) out[used++] = span;
    };
    add(frame.header());
    for (size_t i = 0; i < frame.payload_spans; ++i) add(frame.payload[i]);
    if (used == out.size()) break;
  }
  return used;
}

bool MuxConnection::HasTransmit() {
  absl::string_view span;
  return PeekTransmit(absl::MakeSpan(&span, 1)) > 0;
}

void MuxConnection::ConsumeTransmitted(size_t n) {
  counters_.wire_bytes_out += n;
  const size_t preamble = std::min(n, preamble_out_.size() - preamble_sent_);
  preamble_sent_ += preamble;
  n -= preamble;
  while (n > 0 && !out_.empty()) {
    OutFrame& frame = out_.front();
    const size_t header = frame.header().size();
    const size_t take = std::min(n, frame.size() - out_offset_);
    const size_t payload_before =
        out_offset_ > header ? out_offset_ - header : 0;
    out_offset_ += take;
    n -= take;
    out_bytes_ -= take;
    const size_t payload_after =
        out_offset_ > header ? out_offset_ - header : 0;
    MuxChannel* channel = frame.serial != 0 ? Get(frame.serial) : nullptr;
    if (channel != nullptr && payload_after > payload_before) {
      const size_t sent = payload_after - payload_before;
      channel->transmitted_ += sent;
      if (!channel->flow_.IsFinished()) {
        channel->flow_.ConsumeTransmitted(sent);
      }
      Touch(channel);
    }
    if (out_offset_ < frame.size()) break;
    out_offset_ = 0;
    out_.pop_front();
    if (channel != nullptr) {
      --channel->frames_in_flight_;
      MaybeDestroy(channel);
    }
  }
}

std::optional<absl::Time> MuxConnection::NextDeadline() {
  ServiceDirty();
  std::optional<absl::Time> next;
  for (uint64_t serial : timed_) {
    MuxChannel* channel = Get(serial);
    if (channel == nullptr) continue;
    std::optional<absl::Time> deadline = channel->flow_.NextDeadline();
    if (deadline.has_value() && (!next.has_value() || *deadline < *next)) {
      next = deadline;
    }
  }
  return next;
}

// ── Inputs ───────────────────────────────────────────────────────────────

void MuxConnection::HandleTimeout(absl::Time now) {
  now_ = std::max(now_, now);
  std::vector<uint64_t> timed(timed_.begin(), timed_.end());
  for (uint64_t serial : timed) {
    if (MuxChannel* channel = Get(serial)) {
      channel->flow_.HandleTimeout(now_);
      Touch(channel);
    }
  }
}

void MuxConnection::HandleTransportEof() {
  if (!preamble_.done()) {
    Fail(preamble_.EndedEarly(), FlowErrorKind::kTruncated);
    return;
  }
  Fail(FlowError(FlowErrorKind::kTruncated,
                 payload_left_ > 0 || decoder_.buffered() > 0
                     ? "the multiplexer's transport ended in the middle of "
                       "a frame"
                     : "the multiplexer's transport ended (the peer closed "
                       "the connection)"),
       FlowErrorKind::kTruncated);
}

void MuxConnection::HandleTransportError(const absl::Status& status) {
  Fail(FlowError(FlowErrorKind::kReset,
                 absl::StrCat("the multiplexer's transport failed: ",
                              status.message())),
       FlowErrorKind::kReset);
}

size_t MuxConnection::ReceiveSpaces(absl::Span<absl::Span<char>> out) {
  lent_to_ = 0;
  lent_to_channel_ = 0;
  if (!error_.ok() || out.empty()) return 0;
  if (own_buffer_ == nullptr) own_buffer_.reset(new char[kOwnReceiveBuffer]);
  if (preamble_.done() && payload_left_ > 0 && receiving_ != 0) {
    if (MuxChannel* channel = Get(receiving_)) {
      // The channel's space: the rest of its receive block and, when the
      // payload goes on past it, the start of its next block.
      absl::Span<char> spaces[2];
      const size_t count = channel->flow_.ReceiveSpaces(
          out.size() > 1 ? absl::MakeSpan(spaces) : absl::MakeSpan(spaces, 1));
      size_t used = 0;
      for (size_t i = 0; i < count && lent_to_channel_ < payload_left_; ++i) {
        out[used] = spaces[i].subspan(
            0, static_cast<size_t>(std::min<uint64_t>(
                   spaces[i].size(), payload_left_ - lent_to_channel_)));
        lent_to_channel_ += out[used].size();
        ++used;
      }
      if (used > 0) {
        lent_to_ = receiving_;
        // The payload's end is in reach: read the next header with it, so
        // a bulk stream costs one read per payload, not two.
        if (used == out.size() || !bulk_ || lent_to_channel_ < payload_left_) {
          return used;
        }
        out[used] =
            absl::MakeSpan(own_buffer_.get(), decoder_.header_bytes_wanted());
        return used + 1;
      }
    }
  }
  size_t size = kOwnReceiveBuffer;
  if (bulk_ && preamble_.done() && payload_left_ == 0) {
    size = decoder_.header_bytes_wanted();
  }
  out[0] = absl::MakeSpan(own_buffer_.get(), size);
  return 1;
}

void MuxConnection::CommitReceived(size_t n) {
  const uint64_t lent_to = lent_to_;
  const size_t to_channel = std::min(n, lent_to_channel_);
  lent_to_ = 0;
  lent_to_channel_ = 0;
  if (lent_to == 0) {
    if (n > 0 && own_buffer_ != nullptr) {
      HandleReceived(absl::string_view(own_buffer_.get(), n));
    }
    return;
  }
  MuxChannel* channel = Get(lent_to);
  if (channel == nullptr) return;
  channel->flow_.CommitReceived(to_channel);
  if (to_channel == 0 || !error_.ok()) return;
  counters_.wire_bytes_in += to_channel;
  payload_left_ -= std::min<uint64_t>(payload_left_, to_channel);
  if (payload_left_ == 0) {
    PayloadEnded(channel);
  } else {
    // Readable before the payload ends: a large frame reaches the
    // application (and its credit comes back) as it arrives.
    Notify(channel);
  }
  // The next header's bytes, read after the payload's end.
  if (n > to_channel) {
    HandleReceived(absl::string_view(own_buffer_.get(), n - to_channel));
  }
}

void MuxConnection::PayloadEnded(MuxChannel* channel) {
  receiving_ = 0;
  channel->flow_.ReleaseReceiveSpace();
  const size_t unread = channel->flow_.ReceiveBuffered();
  if (unread > 0 && unread <= kSparseUnread && !channel->sparse_) {
    channel->sparse_ = true;
    sparse_.push_back(channel->serial_);
    LimitSparseBlocks();
  }
  Touch(channel);
  MaybeDestroy(channel);
}

// A channel's receive buffer fills blocks of ReceiveBuffer::kBlockSize
// densely, but each channel has its own: a peer that leaves a little unread
// data on many channels would make each keep a whole block, beyond what
// the receive budget counts. Once more than a few channels may be doing
// so, the oldest copy their unread bytes out (at most kSparseUnread each)
// and let their blocks go. So received data takes at most twice the bytes
// the budget counts, plus an eighth of the budget (see MuxOptions). A
// channel that keeps up holds no unread data and is never copied; a few
// busy channels never are either.
void MuxConnection::LimitSparseBlocks() {
  const size_t allowed = std::max<size_t>(
      kMinSparseChannels, options_.receive_budget / kSparseUnread / 8);
  while (sparse_.size() > allowed) {
    MuxChannel* channel = Get(sparse_.front());
    sparse_.pop_front();
    if (channel == nullptr) continue;
    channel->sparse_ = false;
    if (channel->serial_ != receiving_) {
      channel->flow_.CompactReceived(kSparseUnread);
    }
  }
}

void MuxConnection::HandleReceived(absl::string_view bytes) {
  if (!error_.ok()) return;
  counters_.wire_bytes_in += bytes.size();
  if (!preamble_.done()) {
    if (absl::Status status = preamble_.Consume(bytes); !status.ok()) {
      Fail(status, FlowErrorKind::kProtocol);
      return;
    }
  }
  while (!bytes.empty() && error_.ok()) {
    if (payload_left_ > 0) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(payload_left_, bytes.size()));
      absl::string_view piece = bytes.substr(0, take);
      bytes.remove_prefix(take);
      payload_left_ -= take;
      MuxChannel* channel = receiving_ != 0 ? Get(receiving_) : nullptr;
      size_t taken = 0;
      if (channel != nullptr) taken = channel->flow_.HandleReceived(piece);
      counters_.payload_bytes_dropped += take - taken;
      if (payload_left_ == 0 && channel != nullptr) PayloadEnded(channel);
      continue;
    }
    absl::StatusOr<std::optional<MuxFrame>> frame = decoder_.Next(bytes);
    if (!frame.ok()) {
      Fail(ErrorWithTrace(frame.status().message()), FlowErrorKind::kProtocol);
      return;
    }
    if (!frame->has_value()) break;
    OnFrame(**frame);
  }
}

void MuxConnection::OnFrame(const MuxFrame& frame) {
  ++counters_.frames_in;
  recent_.Record(RecentFrame::Direction::kReceived, frame);
  if (frame.command == MuxCommand::kOpen) {
    OnOpen(frame);
    return;
  }
  receiving_ = 0;
  if (frame.command == MuxCommand::kData) {
    if (frame.payload_length > options_.max_data_payload) {
      Fail(ErrorWithTrace(absl::StrFormat(
               "Data on id %u announces %u payload bytes, more than the "
               "maximum %u",
               frame.id, frame.payload_length, options_.max_data_payload)),
           FlowErrorKind::kProtocol);
      return;
    }
    payload_left_ = frame.payload_length;
    // A bulk stream starts with a large payload and goes on through the
    // smaller remainders that credit boundaries cut; tiny frames end it.
    bulk_ = frame.payload_length >= 32 * 1024 ||
            (bulk_ && frame.payload_length >= 4 * 1024);
  }
  auto it = by_id_.find(frame.id);
  if (it == by_id_.end()) {
    ++counters_.frames_dropped;  // unknown id: its payload is skipped
    return;
  }
  WireEntry& entry = it->second;
  const std::optional<MuxChannelTransition> t =
      FindMuxChannelTransition(entry.state, PeerInput(frame.command));
  entry.state = t->to;
  MuxChannel* channel = Get(entry.serial);
  if (channel != nullptr) {
    channel->wire_state_ = t->to;
    ++channel->frames_in_;
  }
  switch (t->action) {
    case A::kCredit:
      if (channel != nullptr) {
        channel->peer_window_ = std::max(channel->peer_window_, frame.seq);
        Touch(channel);
      }
      break;
    case A::kDeliver: {
      if (channel == nullptr) {
        ++counters_.frames_dropped;
        break;
      }
      const uint64_t credit = channel->granted_ - channel->received_;
      if (frame.payload_length > credit) {
        FailChannel(channel,
                    absl::StrFormat("the peer sent Data of %u bytes beyond "
                                    "the window (%u bytes of credit left)",
                                    frame.payload_length, credit));
        break;
      }
      channel->received_ += frame.payload_length;
      if (frame.payload_length > 0 && !channel->flow_.IsFinished()) {
        receiving_ = channel->serial_;
      }
      break;
    }
    case A::kDeliverEnd:
      if (channel != nullptr) {
        channel->flow_.HandleTransportEof();
        TrimCredit(channel);
        Touch(channel);
      }
      break;
    case A::kPeerClosed:
      if (channel != nullptr && t->from == S::kOpening) {
        // Close as the answer to our Open is vpnkit's only way to refuse a
        // channel: an error, not an empty stream.
        channel->flow_.HandleTransportError(FlowError(
            FlowErrorKind::kReset,
            absl::StrFormat("the peer refused channel %u (it answered the "
                            "Open with Close)",
                            channel->id_)));
        Touch(channel);
      } else if (channel != nullptr) {
        // vpnkit's Close ends the peer's writes too: reads drain, then Eof.
        channel->flow_.HandleTransportEof();
        if (!channel->flow_.IsFinished()) {
          channel->flow_.HandleTransportError(FlowError(
              FlowErrorKind::kReset,
              absl::StrFormat("the peer closed channel %u before this side "
                              "had ended its writes",
                              channel->id_)));
        }
        TrimCredit(channel);
        Touch(channel);
      } else {
        // A refusal at the door: our Close (queued) frees the id.
      }
      break;
    case A::kFailChannel:
      if (channel != nullptr) {
        FailChannel(channel,
                    absl::StrFormat("the peer sent %s after its Shutdown",
                                    MuxCommandName(frame.command)));
      }
      break;
    case A::kDropLate:
    case A::kIgnore:
      ++counters_.frames_dropped;
      break;
    case A::kFree:
      FreeId(frame.id, entry);
      break;
    case A::kSend:
    case A::kSuppress:
    case A::kGrant:
      break;
  }
}

void MuxConnection::OnOpen(const MuxFrame& frame) {
  if (auto it = by_id_.find(frame.id); it != by_id_.end()) {
    Fail(ErrorWithTrace(absl::StrFormat(
             "the peer opened id %u, which is in use (state %s)", frame.id,
             MuxChannelStateName(it->second.state))),
         FlowErrorKind::kProtocol);
    return;
  }
  if (by_id_.size() >=
      options_.max_live_channels + options_.max_pending_opens) {
    Fail(ErrorWithTrace(absl::StrFormat(
             "the peer has %u channel ids in use and opened another (limit "
             "%u live + %u refused or pending)",
             by_id_.size(), options_.max_live_channels,
             options_.max_pending_opens)),
         FlowErrorKind::kProtocol);
    return;
  }
  if (!frame.open_problem.empty() ||
      incoming_.size() >= options_.max_pending_opens ||
      by_id_.size() >= options_.max_live_channels) {
    RefuseAtDoor(frame.id);
    return;
  }
  MuxChannel* channel =
      NewChannel(frame.id, frame.destination, /*local=*/false);
  incoming_.push_back(channel->serial_);
}

}  // namespace hvsock
