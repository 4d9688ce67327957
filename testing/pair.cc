#include "testing/pair.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock::testing {

Pair::Pair(PairOptions options)
    : options_(std::move(options)), prng_(options_.seed) {
  ends_[0] =
      std::make_unique<End>(options_.flow_a, options_.app_a, b_to_a_, a_to_b_);
  ends_[1] =
      std::make_unique<End>(options_.flow_b, options_.app_b, a_to_b_, b_to_a_);
}

void Pair::Record(Side side, absl::string_view what, uint64_t value) {
  auto mix = [this](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (v >> (8 * i)) & 0xff;
      hash_ *= 1099511628211ULL;
    }
  };
  mix(static_cast<uint64_t>(side));
  for (char c : what) mix(static_cast<unsigned char>(c));
  mix(value);
  if (options_.record_transcript) {
    absl::StrAppend(&transcript_, steps_, " ", side == Side::kA ? "A" : "B",
                    " ", what, " ", value, "\n");
  }
}

bool Pair::Enabled(Side side, Action action) {
  End& e = end(side);
  BytePipe& out = side == Side::kA ? a_to_b_ : b_to_a_;
  switch (action) {
    case Action::kWrite:
      return !e.closed && !e.write_blocked && e.outcome.write_error.ok() &&
             e.written < e.script.to_send.size();
    case Action::kClose:
      return e.script.close_when_done && !e.closed &&
             (e.written == e.script.to_send.size() ||
              !e.outcome.write_error.ok());
    case Action::kRead:
      return e.script.reads && steps_ >= e.script.stall_reads_until_step &&
             !e.read_done && e.flow.Readable();
    case Action::kTransmit:
      return e.driver.CanTransmit() &&
             (out.buffered() < options_.faults.pipe_capacity ||
              !e.flow.HasTransmit());
    case Action::kReceive:
      return e.driver.CanReceive();
    case Action::kTick:
      return true;
  }
  return false;
}

void Pair::Do(Side side, Action action) {
  switch (action) {
    case Action::kWrite:
      return DoWrite(side);
    case Action::kClose:
      return DoClose(side);
    case Action::kRead:
      return DoRead(side);
    case Action::kTransmit:
      return DoTransmit(side);
    case Action::kReceive:
      return DoReceive(side);
    case Action::kTick:
      return DoTick(side);
  }
}

void Pair::DoWrite(Side side) {
  End& e = end(side);
  size_t left = e.script.to_send.size() - e.written;
  size_t n = prng_.Between(1, std::min(left, e.script.max_write));
  absl::Status status =
      e.flow.Write(absl::string_view(e.script.to_send).substr(e.written, n));
  if (status.ok()) {
    e.written += n;
    Record(side, "write", n);
  } else if (IsFlowError(status, FlowErrorKind::kWouldBlock)) {
    e.write_blocked = true;
    Record(side, "write-blocked", n);
  } else {
    e.outcome.write_error = status;
    Record(side, "write-failed", n);
  }
}

void Pair::DoClose(Side side) {
  End& e = end(side);
  e.closed = true;
  absl::Status status = e.flow.Close(now_);
  if (!status.ok() && e.outcome.write_error.ok()) {
    e.outcome.write_error = status;
  }
  Record(side, "close", status.ok() ? 0 : 1);
}

void Pair::DoRead(Side side) {
  End& e = end(side);
  size_t max = prng_.Percent(50) ? 64 * 1024 : prng_.Between(1, 4096);
  absl::StatusOr<ReadResult> result = e.flow.Read(max);
  if (!result.ok()) {
    e.outcome.read_error = result.status();
    e.read_done = true;
    Record(side, "read-failed", 0);
  } else if (result->is_eof()) {
    e.outcome.eof = true;
    e.read_done = true;
    Record(side, "read-eof", 0);
  } else if (result->is_data()) {
    for (absl::string_view chunk : result->data().Chunks()) {
      e.outcome.received.append(chunk.data(), chunk.size());
    }
    Record(side, "read", result->data().size());
  }
}

void Pair::DoTransmit(Side side) {
  End& e = end(side);
  BytePipe& out = side == Side::kA ? a_to_b_ : b_to_a_;
  size_t room = options_.faults.pipe_capacity -
                std::min(options_.faults.pipe_capacity, out.buffered());
  size_t max =
      prng_.Percent(50) ? room : prng_.Between(1, std::max<size_t>(room, 1));
  Record(side, "send", e.driver.Transmit(max));
}

void Pair::DoReceive(Side side) {
  size_t max = prng_.Percent(options_.faults.single_byte_percent)
                   ? 1
                   : prng_.Between(1, 64 * 1024);
  Record(side, "receive", end(side).driver.Receive(max));
}

void Pair::DoTick(Side side) {
  uint64_t jump = static_cast<uint64_t>(
      absl::ToInt64Microseconds(options_.faults.max_clock_jump));
  now_ += absl::Microseconds(static_cast<int64_t>(prng_.Between(0, jump)));
  ends_[0]->flow.HandleTimeout(now_);
  ends_[1]->flow.HandleTimeout(now_);
  Record(side, "tick", static_cast<uint64_t>(absl::ToUnixMicros(now_)));
}

void Pair::DrainEvents(Side side) {
  End& e = end(side);
  e.driver.CloseTransportIfFinished();
  while (std::optional<FlowEvent> event = e.flow.PollEvent()) {
    switch (*event) {
      case FlowEvent::kWritable:
        e.write_blocked = false;
        break;
      case FlowEvent::kCloseCompleted:
        e.outcome.close_completed = true;
        break;
      case FlowEvent::kFailed:
        e.outcome.failed_event = true;
        break;
      case FlowEvent::kReadable:
        break;
    }
    Record(side, FlowEventName(*event), 0);
  }
  FlowStats stats = e.flow.stats();
  e.outcome.max_receive_buffered =
      std::max(e.outcome.max_receive_buffered, stats.receive_buffered);
  e.outcome.max_send_queued =
      std::max(e.outcome.max_send_queued, stats.send_queued);
}

void Pair::InjectFaults() {
  const FaultPlan& faults = options_.faults;
  if (faults.reset_at_step != 0 && steps_ == faults.reset_at_step) {
    absl::Status reset = absl::UnavailableError("connection reset (fault)");
    a_to_b_.Reset(reset);
    b_to_a_.Reset(reset);
    Record(Side::kA, "fault-reset", 0);
  }
  if (faults.cut_at_step != 0 && steps_ == faults.cut_at_step) {
    for (BytePipe* pipe : {&a_to_b_, &b_to_a_}) {
      size_t keep = prng_.Between(0, pipe->buffered());
      pipe->Truncate(keep);
      pipe->CloseWrite();
      Record(Side::kA, "fault-cut", keep);
    }
  }
}

bool Pair::Step() {
  ++steps_;
  InjectFaults();
  struct Choice {
    Side side;
    Action action;
  };
  std::vector<Choice> choices;
  for (Side side : {Side::kA, Side::kB}) {
    for (Action action : {Action::kWrite, Action::kClose, Action::kRead,
                          Action::kTransmit, Action::kReceive}) {
      if (Enabled(side, action)) choices.push_back({side, action});
    }
  }
  if (choices.empty()) {
    // Nothing can happen until time passes: jump to the next deadline.
    std::optional<absl::Time> next;
    for (auto& e : ends_) {
      std::optional<absl::Time> d = e->flow.NextDeadline();
      if (d.has_value() && (!next.has_value() || *d < *next)) next = d;
    }
    if (!next.has_value()) return false;
    now_ = std::max(now_, *next);
    for (auto& e : ends_) e->flow.HandleTimeout(now_);
    Record(Side::kA, "jump", static_cast<uint64_t>(absl::ToUnixMicros(now_)));
  } else if (prng_.Percent(options_.faults.clock_jump_percent)) {
    Do(Side::kA, Action::kTick);
  } else {
    const Choice& choice = choices[prng_.Between(0, choices.size() - 1)];
    Do(choice.side, choice.action);
  }
  DrainEvents(Side::kA);
  DrainEvents(Side::kB);
  if (observer_) observer_(*this);
  return true;
}

absl::Status Pair::Run() {
  while (Step()) {
    if (steps_ > options_.max_steps) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "livelock: still busy after %d steps (seed %d); A is %s, B is %s",
          steps_, options_.seed, FlowStateName(ends_[0]->flow.state()),
          FlowStateName(ends_[1]->flow.state())));
    }
  }
  return absl::OkStatus();
}

}  // namespace hvsock::testing
