#include "bench/flow_socket_pair.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "absl/time/time.h"
#include "bench/socket_pair.h"
#include "core/flow_error.h"
#include "testing/scripted_app.h"

namespace hvsock::testing {
namespace {

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "flow socket pair: %s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace

FlowSocketPair::FlowSocketPair(EventLoop& loop, const FlowOptions& options)
    : FlowSocketPair(loop, options, {}, {}) {}

FlowSocketPair::FlowSocketPair(EventLoop& loop, const FlowOptions& options,
                               UniqueFd a, UniqueFd b)
    : loop_(loop) {
  if (!a.valid()) std::tie(a, b) = MakeSocketPair();
  auto add = [&](UniqueFd fd, End& end) {
    absl::StatusOr<LoopFlow*> flow = loop_.AddFlow(
        std::move(fd), options,
        [this, &end](FlowHandle&, FlowEvent event) { OnEvent(end, event); });
    if (!flow.ok()) Die(flow.status());
    end.flow = *flow;
  };
  add(std::move(a), a_end_);
  add(std::move(b), b_end_);
}

FlowSocketPair::~FlowSocketPair() {
  a_end_.flow->Release();
  b_end_.flow->Release();
}

bool FlowSocketPair::done() const {
  return a_end_.received >= a_end_.target && b_end_.received >= b_end_.target;
}

void FlowSocketPair::StartStream(size_t total, const absl::Cord& message,
                                 bool both_ways) {
  mode_ = Mode::kStream;
  message_ = message;
  message_bytes_ = std::string(message);
  total = (total + message.size() - 1) / message.size() * message.size();
  for (End* end : {&a_end_, &b_end_}) {
    bool writes = end == &a_end_ || both_ways;
    end->to_write = writes ? total : 0;
    end->received = 0;
    end->target = (end == &b_end_ || both_ways) ? total : 0;
  }
  PumpWrites(a_end_);
  if (both_ways) PumpWrites(b_end_);
}

void FlowSocketPair::Stream(size_t total, const absl::Cord& message) {
  StartStream(total, message);
  RunUntilDone();
}

void FlowSocketPair::PingPong() {
  mode_ = Mode::kPingPong;
  a_end_ = {a_end_.flow, 0, 0, 1};
  b_end_ = {b_end_.flow, 0, 0, 0};
  if (absl::Status status = a_end_.flow->Write(absl::Cord("p")); !status.ok()) {
    Die(status);
  }
  RunUntilDone();
}

void FlowSocketPair::RunUntilDone() {
  absl::Status status =
      loop_.RunUntil([this] { return done(); }, absl::Seconds(60));
  if (!status.ok()) Die(status);
}

void FlowSocketPair::PumpWrites(End& end) {
  if (!copy_writes_) {
    absl::Status status =
        testing::WriteRepeatedly(*end.flow, message_, &end.to_write);
    if (!status.ok()) Die(status);
    return;
  }
  while (end.to_write > 0) {
    absl::Status status = end.flow->Write(absl::string_view(message_bytes_));
    if (!status.ok()) {
      if (GetFlowErrorKind(status) == FlowErrorKind::kWouldBlock) return;
      Die(status);
    }
    end.to_write -= std::min<uint64_t>(end.to_write, message_.size());
  }
}

void FlowSocketPair::OnEvent(End& end, FlowEvent event) {
  switch (event) {
    case FlowEvent::kWritable:
      if (mode_ == Mode::kStream) PumpWrites(end);
      return;
    case FlowEvent::kReadable:
      break;
    case FlowEvent::kCloseCompleted:
      return;
    case FlowEvent::kFailed:
      Die(end.flow->flow().error());
  }
  const bool echoes = mode_ == Mode::kPingPong && &end == &b_end_;
  absl::StatusOr<ReadResult> last =
      testing::ReadUntilBlocked(*end.flow, [&](absl::Cord data) {
        end.received += data.size();
        if (!echoes) return;
        if (absl::Status status = end.flow->Write(std::move(data));
            !status.ok()) {
          Die(status);
        }
      });
  if (!last.ok()) Die(last.status());
}

}  // namespace hvsock::testing
