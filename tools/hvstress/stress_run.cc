#include "tools/hvstress/stress_run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "backends/posix/async_connector.h"
#include "backends/posix/hybrid_async_connector.h"
#include "core/flow_error.h"
#include "tools/hvstress/echo_check.h"
#include "tools/hvstress/random.h"

namespace hvsock::hvstress {

// One connection's plan and progress.
struct StressRun::Connection {
  Connection(uint64_t index_, uint64_t seed, const Options& options,
             const StreamPattern& pattern)
      : index(index_),
        random(Mix(seed ^ Mix(index_ + 1))),
        length(random.Between(options.bytes.min, options.bytes.max)),
        origin(random.Between(0, pattern.period() - 1)),
        check(pattern, origin, length) {}

  uint64_t index;
  Random random;  // then draws the write sizes
  uint64_t length;
  uint64_t origin;
  EchoCheck check;
  PendingConnect connecting;         // until connected (destroying it cancels)
  PendingVmmConnect connecting_vmm;  // the same, through a VMM
  absl::Time connect_started;
  LoopFlow* flow = nullptr;  // driven as a FlowHandle; Release() ends it
  uint64_t written = 0;
  uint64_t next_write = 0;  // drawn, not yet taken by the flow
  bool closed = false;      // our Close() was called
  bool ended = false;       // counted as ok or failed
  absl::Time connected;
  absl::Time last_activity;
};

StressRun::StressRun(EventLoop& loop, const Options& options,
                     const VmmSocketAddress& target,
                     const StreamPattern& pattern,
                     std::atomic<uint64_t>* shared_numbers)
    : StressRun(loop, options, Address{}, target, pattern, shared_numbers) {}

StressRun::StressRun(EventLoop& loop, const Options& options,
                     const Address& target, const StreamPattern& pattern,
                     std::atomic<uint64_t>* shared_numbers)
    : StressRun(loop, options, target, std::nullopt, pattern, shared_numbers) {}

StressRun::StressRun(EventLoop& loop, const Options& options,
                     const Address& target,
                     std::optional<VmmSocketAddress> vmm_target,
                     const StreamPattern& pattern,
                     std::atomic<uint64_t>* shared_numbers)
    : loop_(loop),
      options_(options),
      target_(target),
      vmm_target_(std::move(vmm_target)),
      pattern_(pattern),
      next_index_(shared_numbers != nullptr ? shared_numbers : &own_numbers_) {
  flow_options_.codec = options.codec;
  flow_options_.close_timeout = options.close_timeout;
  connect_options_.timeout = options.connect_timeout;
}

StressRun::~StressRun() {
  for (auto& [index, c] : active_) {
    if (c->flow != nullptr) c->flow->Release();
  }
}

bool StressRun::MayStart(absl::Time now) const {
  if (interrupted_ || next_index_->load() >= options_.connections) {
    return false;
  }
  if (options_.duration.has_value() && now - start_ >= *options_.duration) {
    return false;
  }
  return active_.size() < options_.parallel;
}

absl::Status StressRun::Run(
    const std::function<void(const StressResult&)>& on_progress,
    absl::Duration progress_interval) {
  start_ = loop_.Now();
  absl::Time next_progress = start_ + progress_interval;
  absl::Time next_idle_scan = start_ + absl::Milliseconds(100);
  StartMore();
  while (!active_.empty()) {
    absl::Time now = loop_.Now();
    absl::Duration wait = std::min(next_progress, next_idle_scan) - now;
    if (absl::Status status =
            loop_.RunOnce(std::max(wait, absl::ZeroDuration()));
        !status.ok()) {
      return status;
    }
    now = loop_.Now();
    if (now >= next_idle_scan) {
      AbandonStalled(now);
      next_idle_scan = now + absl::Milliseconds(100);
    }
    StartMore();  // the duration may have run out; the interrupt flag set
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

void StressRun::Interrupt() {
  interrupted_ = true;
  std::vector<Connection*> running;
  for (auto& [index, c] : active_) running.push_back(c.get());
  for (Connection* c : running) Fail(*c, "interrupted", "");
}

void StressRun::StartMore() {
  if (starting_) return;
  starting_ = true;
  while (MayStart(loop_.Now())) {
    uint64_t index = next_index_->fetch_add(1);
    if (index >= options_.connections) break;  // another run took the last
    ++result_.started;
    auto owned =
        std::make_unique<Connection>(index, *options_.seed, options_, pattern_);
    Connection& c = *owned;
    active_.emplace(index, std::move(owned));
    c.connect_started = absl::Now();
    if (vmm_target_.has_value()) {
      c.connecting_vmm = ConnectVmmAsync(
          loop_, *vmm_target_, connect_options_,
          [this, cp = &c](absl::StatusOr<VmmConnection> connection) {
            OnConnected(*cp, std::move(connection));
          });
      continue;
    }
    c.connecting =
        ConnectAsync(loop_, target_, connect_options_,
                     [this, cp = &c](absl::StatusOr<UniqueFd> fd) {
                       if (!fd.ok()) {
                         OnConnected(*cp, fd.status());
                       } else {
                         OnConnected(*cp, VmmConnection{*std::move(fd), ""});
                       }
                     });
  }
  starting_ = false;
}

void StressRun::OnConnected(Connection& c,
                            absl::StatusOr<VmmConnection> connection) {
  if (!connection.ok()) {
    Fail(c, absl::StrCat("connect: ", connection.status().message()), "");
    return;
  }
  result_.connect.Add(absl::Now() - c.connect_started);
  absl::StatusOr<LoopFlow*> flow = loop_.AddFlow(
      std::move(connection->fd), flow_options_,
      [this, cp = &c](FlowHandle&, FlowEvent event) { OnEvent(*cp, event); });
  if (!flow.ok()) {
    Fail(c, absl::StrCat("flow: ", flow.status().message()), "");
    return;
  }
  c.flow = *flow;
  c.connected = c.last_activity = loop_.Now();
  Pump(c);
}

void StressRun::OnEvent(Connection& c, FlowEvent event) {
  if (c.ended) return;
  switch (event) {
    case FlowEvent::kReadable:
    case FlowEvent::kWritable:
      Pump(c);
      return;
    case FlowEvent::kCloseCompleted:
      if (!c.check.complete()) {
        // The flow contract gives Eof before the close completes; a
        // missing one means the echo was not all read.
        Fail(c, "close completed before the echo's Eof was read",
             absl::StrCat(c.check.received(), " of ", c.length, " bytes read"));
        return;
      }
      Succeed(c);
      return;
    case FlowEvent::kFailed:
      Fail(c, DescribeFlowError(c.flow->flow().error()),
           absl::StrCat("after ", c.written, " of ", c.length,
                        " bytes sent and ", c.check.received(), " echoed"));
      return;
  }
}

void StressRun::Pump(Connection& c) {
  FlowHandle& flow = *c.flow;  // the data path: the shared interface only
  const SizeRange& sizes = options_.write_size;
  while (c.written < c.length) {
    if (c.next_write == 0) {
      c.next_write = std::min(c.random.Between(sizes.min, sizes.max),
                              c.length - c.written);
    }
    absl::Status status =
        flow.Write(pattern_.Slice(c.origin, c.written, c.next_write));
    if (IsFlowError(status, FlowErrorKind::kWouldBlock)) break;
    if (!status.ok()) {
      if (flow.flow().IsFinished()) return;  // kFailed tells why
      Fail(c, absl::StrCat("write refused: ", DescribeFlowError(status)),
           absl::StrCat("after ", c.written, " of ", c.length, " bytes"));
      return;
    }
    c.written += c.next_write;
    c.next_write = 0;
    c.last_activity = loop_.Now();
  }
  if (c.written == c.length && !c.closed) {
    c.closed = true;
    if (absl::Status status = flow.Close(); !status.ok()) {
      if (flow.flow().IsFinished()) return;
      Fail(c, absl::StrCat("close refused: ", DescribeFlowError(status)), "");
      return;
    }
  }
  while (true) {
    absl::StatusOr<ReadResult> read = flow.Read();
    if (!read.ok()) return;  // the failure arrives as kFailed
    if (read->would_block()) return;
    if (read->is_eof()) {
      if (!c.closed) {
        Fail(c, "the server ended its writes before our close",
             absl::StrCat("Eof after ", c.check.received(), " echoed bytes, ",
                          c.written, " of ", c.length, " sent"));
        return;
      }
      if (absl::Status ended = c.check.Ended(); !ended.ok()) {
        Fail(c, ended.message(), c.check.detail());
      }
      return;
    }
    uint64_t size = read->data().size();
    if (absl::Status matched = c.check.Received(read->data()); !matched.ok()) {
      Fail(c, matched.message(), c.check.detail());
      return;
    }
    result_.bytes_verified += size;
    c.last_activity = loop_.Now();
  }
}

void StressRun::AbandonStalled(absl::Time now) {
  std::vector<Connection*> stalled;
  for (auto& [index, c] : active_) {
    if (!c->closed && c->flow != nullptr &&
        now - c->last_activity >= options_.idle_timeout) {
      stalled.push_back(c.get());
    }
  }
  for (Connection* c : stalled) {
    Fail(*c,
         absl::StrCat("stalled: no byte moved for ",
                      absl::FormatDuration(options_.idle_timeout),
                      " before the close"),
         absl::StrCat(c->written, " of ", c->length, " bytes sent, ",
                      c->check.received(), " echoed"));
  }
}

void StressRun::Fail(Connection& c, absl::string_view error,
                     absl::string_view detail) {
  if (c.ended) return;
  ++result_.failed;
  result_.errors.Add(error,
                     detail.empty()
                         ? absl::StrCat("connection ", c.index)
                         : absl::StrCat("connection ", c.index, ": ", detail));
  End(c);
}

void StressRun::Succeed(Connection& c) {
  ++result_.ok;
  result_.round_trip.Add(loop_.Now() - c.connected);
  End(c);
}

void StressRun::End(Connection& c) {
  c.ended = true;
  if (c.flow != nullptr) c.flow->Release();
  active_.erase(c.index);  // destroys c
  StartMore();
}

}  // namespace hvsock::hvstress
