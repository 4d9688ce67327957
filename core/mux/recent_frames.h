// RecentFrames: a small ring of the last frames a multiplexer connection
// sent and received, for error messages and debug dumps (in the manner of
// vpnkit's event trace, which is what diagnosed its field failures).
//
// Fixed capacity chosen at construction; recording never allocates after
// that. Thread-compatible.
#ifndef HVSOCK_CORE_MUX_RECENT_FRAMES_H_
#define HVSOCK_CORE_MUX_RECENT_FRAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/mux/mux_frame.h"

namespace hvsock {

struct RecentFrame {
  enum class Direction : uint8_t { kSent, kReceived };
  Direction direction = Direction::kSent;
  MuxCommand command = MuxCommand::kClose;
  uint32_t id = 0;
  uint64_t value = 0;  // Data: payload length; Window: seq; else 0
  bool operator==(const RecentFrame&) const = default;
};

class RecentFrames {
 public:
  explicit RecentFrames(size_t capacity) : ring_(capacity) {}

  void Record(RecentFrame::Direction direction, const MuxFrame& frame);
  // Oldest first; at most capacity() entries.
  std::vector<RecentFrame> Snapshot() const;
  // One line per frame, oldest first: "send Window 9 8888888".
  std::string Dump() const;
  size_t capacity() const { return ring_.size(); }
  uint64_t recorded() const { return recorded_; }

 private:
  std::vector<RecentFrame> ring_;
  uint64_t recorded_ = 0;
};

}  // namespace hvsock

#endif  // HVSOCK_CORE_MUX_RECENT_FRAMES_H_
