#include "core/send_queue.h"

#include "absl/strings/cord_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace hvsock {

SendQueue::Frame& SendQueue::NewFrame() {
  Frame& frame = frames_.emplace_back();
  frame.has_header = framed_;
  if (framed_) wire_bytes_ += kFrameHeaderSize;
  return frame;
}

void SendQueue::AppendCopy(absl::string_view data) {
  if (data.empty()) return;
  if (data.size() >= kCopyBelow || frames_.empty() || frames_.back().sealed ||
      frames_.back().is_end ||
      (framed_ && frames_.back().payload.size() + data.size() > max_frame_)) {
    AppendShared(absl::Cord(data));
    return;
  }
  payload_bytes_ += data.size();
  wire_bytes_ += data.size();
  // Fill the tail's own spare capacity, in blocks of a few KiB, so that many
  // small writes leave as a few large spans.
  absl::Cord& tail = frames_.back().payload;
  while (!data.empty()) {
    absl::CordBuffer buffer = tail.GetAppendBuffer(kCoalesceBlock, 1);
    size_t n = std::min(buffer.available().size(), data.size());
    std::memcpy(buffer.available().data(), data.data(), n);
    buffer.IncreaseLengthBy(n);
    tail.Append(std::move(buffer));
    data.remove_prefix(n);
  }
}

void SendQueue::Append(absl::Cord data) {
  if (data.empty()) return;
  if (data.size() < kCopyBelow) {
    // Small: copy into the tail instead of linking another node.
    for (absl::string_view chunk : data.Chunks()) AppendCopy(chunk);
    return;
  }
  AppendShared(std::move(data));
}

void SendQueue::AppendShared(absl::Cord data) {
  payload_bytes_ += data.size();
  wire_bytes_ += data.size();
  size_t offset = 0;  // bytes of `data` already queued
  // Coalesce into the last frame while nobody has seen it.
  if (!frames_.empty()) {
    Frame& tail = frames_.back();
    if (!tail.sealed && !tail.is_end) {
      if (!framed_) {
        tail.payload.Append(std::move(data));
        return;
      }
      size_t room = max_frame_ - tail.payload.size();
      if (room >= data.size()) {
        tail.payload.Append(std::move(data));
        return;
      }
      if (room > 0) {
        tail.payload.Append(data.Subcord(0, room));
        offset = room;
      }
    }
  }
  if (!framed_) {
    NewFrame().payload = std::move(data);
    return;
  }
  // Frames are cut from `data` by offset: each Subcord references the
  // original buffer, and nothing re-cuts the remainder (one small node per
  // frame, not two).
  while (data.size() - offset > max_frame_) {
    NewFrame().payload = data.Subcord(offset, max_frame_);
    offset += max_frame_;
  }
  NewFrame().payload =
      offset == 0 ? std::move(data) : data.Subcord(offset, data.size() - offset);
}

void SendQueue::AppendEnd() {
  if (end_queued_) return;
  end_queued_ = true;
  Frame& frame = NewFrame();
  frame.is_end = true;
}

void SendQueue::Seal(Frame& frame, uint32_t end_marker) {
  if (frame.sealed) return;
  frame.sealed = true;
  if (frame.has_header) {
    EncodeFrameHeader(
        frame.is_end ? end_marker : static_cast<uint32_t>(frame.payload.size()),
        frame.header);
  }
  sealed_bytes_ += frame.wire_size();
}

size_t SendQueue::Peek(absl::Span<absl::string_view> out,
                       uint32_t end_marker) {
  size_t filled = 0;
  size_t skip = front_offset_;
  for (Frame& frame : frames_) {
    if (filled == out.size()) break;
    Seal(frame, end_marker);
    if (frame.has_header) {
      if (skip < kFrameHeaderSize) {
        out[filled++] = absl::string_view(frame.header + skip,
                                          kFrameHeaderSize - skip);
        skip = 0;
      } else {
        skip -= kFrameHeaderSize;
      }
    }
    for (absl::string_view chunk : frame.payload.Chunks()) {
      if (skip >= chunk.size()) {
        skip -= chunk.size();
        continue;
      }
      if (filled == out.size()) break;
      chunk.remove_prefix(skip);
      skip = 0;
      out[filled++] = chunk;
    }
  }
  return filled;
}

SendQueue::Consumed SendQueue::Consume(size_t n) {
  Consumed consumed;
  n = std::min(n, sealed_bytes_);
  sealed_bytes_ -= n;
  wire_bytes_ -= n;
  while (n > 0) {
    Frame& front = frames_.front();
    size_t header = front.has_header ? kFrameHeaderSize : 0;
    size_t take = std::min(n, front.wire_size() - front_offset_);
    size_t end = front_offset_ + take;
    if (end > header) {
      size_t payload = end - std::max(front_offset_, header);
      consumed.payload_bytes += payload;
      payload_bytes_ -= payload;
    }
    front_offset_ = end;
    n -= take;
    if (front_offset_ == front.wire_size()) {
      if (front.has_header) ++consumed.frames;
      if (front.is_end) end_sent_ = true;
      frames_.pop_front();
      front_offset_ = 0;
    }
  }
  return consumed;
}

uint64_t SendQueue::DropUnsent() {
  uint64_t dropped = 0;
  // Sealed frames form a prefix of the queue and may be in flight: keep them.
  auto it = frames_.begin();
  while (it != frames_.end() && it->sealed) ++it;
  while (it != frames_.end()) {
    if (it->is_end) {
      ++it;
      continue;
    }
    dropped += it->payload.size();
    payload_bytes_ -= it->payload.size();
    wire_bytes_ -= it->wire_size();
    it = frames_.erase(it);
  }
  return dropped;
}

void SendQueue::Clear() {
  frames_.clear();
  front_offset_ = 0;
  wire_bytes_ = payload_bytes_ = sealed_bytes_ = 0;
}

bool SendQueue::AtEnd() const {
  if (framed_) return end_sent_;
  return end_queued_ && frames_.size() == 1 && frames_.front().is_end;
}

}  // namespace hvsock
