#include "core/mux/recent_frames.h"

#include "absl/strings/str_format.h"

namespace hvsock {

void RecentFrames::Record(RecentFrame::Direction direction,
                          const MuxFrame& frame) {
  if (ring_.empty()) return;
  uint64_t value = 0;
  if (frame.command == MuxCommand::kData) value = frame.payload_length;
  if (frame.command == MuxCommand::kWindow) value = frame.seq;
  ring_[recorded_ % ring_.size()] = {direction, frame.command, frame.id, value};
  ++recorded_;
}

std::vector<RecentFrame> RecentFrames::Snapshot() const {
  std::vector<RecentFrame> out;
  const uint64_t n = recorded_ < ring_.size() ? recorded_ : ring_.size();
  for (uint64_t i = recorded_ - n; i < recorded_; ++i) {
    out.push_back(ring_[i % ring_.size()]);
  }
  return out;
}

std::string RecentFrames::Dump() const {
  std::string out;
  for (const RecentFrame& f : Snapshot()) {
    absl::StrAppendFormat(
        &out, "%s %s %u",
        f.direction == RecentFrame::Direction::kSent ? "send" : "recv",
        MuxCommandName(f.command), f.id);
    if (f.command == MuxCommand::kData || f.command == MuxCommand::kWindow) {
      absl::StrAppendFormat(&out, " %u", f.value);
    }
    out += "\n";
  }
  return out;
}

}  // namespace hvsock
