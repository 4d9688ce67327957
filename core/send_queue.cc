#include "core/send_queue.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace hvsock {

SendQueue::Node& SendQueue::NewNode() {
  FlushCoalesced();
  return nodes_.emplace_back();
}

void SendQueue::FlushCoalesced() {
  if (!coalesce_.has_value()) return;
  Node& tail = nodes_.back();
  if (coalesce_->length() == coalesce_->capacity()) {
    tail.payload.Append(*std::move(coalesce_));
  } else {
    // Copied into pieces of about its size (not Cord::Append's 4 KiB
    // pieces), so that the bytes still leave as a few large spans.
    absl::string_view bytes(coalesce_->data(), coalesce_->length());
    while (!bytes.empty()) {
      absl::CordBuffer piece =
          absl::CordBuffer::CreateWithCustomLimit(kCoalesceBlock, bytes.size());
      size_t n = std::min(piece.capacity(), bytes.size());
      std::memcpy(piece.data(), bytes.data(), n);
      piece.SetLength(n);
      tail.payload.Append(std::move(piece));
      bytes.remove_prefix(n);
    }
  }
  coalesce_.reset();
}

size_t SendQueue::WireSize(size_t payload) const {
  if (!framed_) return payload;
  size_t frames = (payload + max_frame_ - 1) / max_frame_;
  return payload + frames * kFrameHeaderSize;
}

size_t SendQueue::PayloadBefore(const Node& node, size_t wire) const {
  if (node.is_end) return 0;
  if (!framed_) return wire;
  const size_t stride = max_frame_ + kFrameHeaderSize;
  size_t in_frame = wire % stride;
  return wire / stride * max_frame_ +
         (in_frame > kFrameHeaderSize ? in_frame - kFrameHeaderSize : 0);
}

size_t SendQueue::FramesBefore(const Node& node, size_t wire) const {
  if (!framed_) return 0;
  if (node.is_end) return wire == node.wire ? 1 : 0;
  size_t frames = wire / (max_frame_ + kFrameHeaderSize);
  // The last frame is shorter unless the payload fills whole frames.
  if (wire == node.wire && node.size % max_frame_ != 0) ++frames;
  return frames;
}

void SendQueue::AppendCopy(absl::string_view data) {
  if (data.empty()) return;
  if (data.size() >= kCopyBelow) {
    AppendShared(absl::Cord(data));
    return;
  }
  Node* tail = nodes_.empty() ? nullptr : &nodes_.back();
  if (tail == nullptr || tail->sealed || tail->is_end) tail = &NewNode();
  Grow(*tail, data.size());
  if (coalesce_.has_value() &&
      coalesce_->capacity() - coalesce_->length() >= data.size()) {
    std::memcpy(coalesce_->available().data(), data.data(), data.size());
    coalesce_->IncreaseLengthBy(data.size());
    return;
  }
  while (!data.empty()) {
    if (!coalesce_.has_value() ||
        coalesce_->length() == coalesce_->capacity()) {
      FlushCoalesced();
      coalesce_.emplace(absl::CordBuffer::CreateWithCustomLimit(
          kCoalesceBlock, kCoalesceBlock));
    }
    absl::Span<char> space = coalesce_->available();
    size_t n = std::min(space.size(), data.size());
    std::memcpy(space.data(), data.data(), n);
    coalesce_->IncreaseLengthBy(n);
    data.remove_prefix(n);
  }
}

void SendQueue::Append(absl::Cord data) {
  if (data.empty()) return;
  if (data.size() < kCopyBelow) {
    // Small: copy into the tail instead of linking another node.
    // Flatten() is free for the usual flat Cord (and copies a fragmented
    // small one, which is about to be copied anyway).
    AppendCopy(data.Flatten());
    return;
  }
  AppendShared(std::move(data));
}

void SendQueue::Grow(Node& node, size_t n) {
  payload_bytes_ += n;
  node.size += n;
  size_t wire = n;
  if (framed_) {
    // A header per frame begun: none while the last frame has room (no
    // division for the common small write).
    if (n > node.frame_room) {
      size_t beyond = n - node.frame_room;
      size_t frames =
          beyond <= max_frame_ ? 1 : (beyond + max_frame_ - 1) / max_frame_;
      wire += frames * kFrameHeaderSize;
      node.frame_room = frames * max_frame_ - beyond;
    } else {
      node.frame_room -= n;
    }
  }
  node.wire += wire;
  wire_bytes_ += wire;
}

void SendQueue::AppendShared(absl::Cord data) {
  // Coalesce into the last node while nobody has seen it: frames are cut at
  // Peek time, so the node's payload simply grows.
  Node* tail = nodes_.empty() ? nullptr : &nodes_.back();
  if (tail == nullptr || tail->sealed || tail->is_end) {
    tail = &NewNode();
  } else {
    FlushCoalesced();  // the tail's small writes come before `data`
  }
  Grow(*tail, data.size());
  tail->payload.Append(std::move(data));
}

void SendQueue::AppendEndNode(uint32_t marker) {
  Node& node = NewNode();
  node.is_end = true;
  node.end_marker = marker;
  node.wire = framed_ ? kFrameHeaderSize : 0;
  wire_bytes_ += node.wire;
  end_sent_ = false;
}

void SendQueue::AppendEnd() {
  if (end_queued_) return;
  end_queued_ = true;
  AppendEndNode(kFrameShutdownWrite);
}

void SendQueue::AppendClose() {
  if (!framed_) {
    AppendEnd();
    return;
  }
  if (close_queued_) return;
  close_queued_ = true;
  if (end_queued_ && !nodes_.empty() && nodes_.back().is_end &&
      !nodes_.back().sealed) {
    nodes_.back().end_marker = kFrameClose;
    return;
  }
  end_queued_ = true;
  AppendEndNode(kFrameClose);
}

void SendQueue::Seal(Node& node) {
  if (node.sealed) return;
  if (&node == &nodes_.back()) FlushCoalesced();
  node.sealed = true;
  if (!framed_) return;
  if (node.is_end) {
    EncodeFrameHeader(node.end_marker, node.last_header);
    return;
  }
  EncodeFrameHeader(max_frame_, node.full_header);
  EncodeFrameHeader(static_cast<uint32_t>(node.size % max_frame_),
                    node.last_header);
}

size_t SendQueue::PeekNode(Node& node, size_t from,
                           absl::Span<absl::string_view> out) {
  size_t filled = 0;
  size_t wire = from;
  if (node.is_end) {
    if (wire < node.wire && !out.empty()) {
      out[filled++] =
          absl::string_view(node.last_header + wire, node.wire - wire);
      wire = node.wire;
    }
  } else {
    const size_t stride = framed_ ? max_frame_ + kFrameHeaderSize : 0;
    // One pass over the payload's chunks, from the first unsent byte; frame
    // boundaries split chunks into spans without touching the Cord.
    absl::Cord::CharIterator it = node.payload.char_begin();
    size_t payload_at = PayloadBefore(node, wire);
    absl::Cord::Advance(&it, payload_at);
    while (wire < node.wire && filled < out.size()) {
      size_t payload_end = node.size;  // end of the current frame's payload
      if (framed_) {
        size_t frame = wire / stride;
        size_t in_frame = wire % stride;
        payload_end = std::min(node.size, (frame + 1) * max_frame_);
        if (in_frame < kFrameHeaderSize) {
          const char* header = payload_end - frame * max_frame_ == max_frame_
                                   ? node.full_header
                                   : node.last_header;
          out[filled++] =
              absl::string_view(header + in_frame, kFrameHeaderSize - in_frame);
          wire += kFrameHeaderSize - in_frame;
          continue;
        }
      }
      absl::string_view chunk = absl::Cord::ChunkRemaining(it);
      size_t n = std::min(chunk.size(), payload_end - payload_at);
      out[filled++] = chunk.substr(0, n);
      absl::Cord::Advance(&it, n);
      payload_at += n;
      wire += n;
    }
  }
  if (wire > node.exposed) {
    sealed_bytes_ += wire - std::max(node.exposed, from);
    node.exposed = wire;
  }
  return filled;
}

size_t SendQueue::Peek(absl::Span<absl::string_view> out, size_t skip) {
  size_t filled = 0;
  size_t from = front_offset_;
  for (Node& node : nodes_) {
    if (filled == out.size()) break;
    Seal(node);
    if (skip >= node.wire - from) {
      skip -= node.wire - from;
    } else {
      filled += PeekNode(node, from + skip, out.subspan(filled));
      skip = 0;
    }
    from = 0;
  }
  return filled;
}

SendQueue::Consumed SendQueue::Consume(size_t n) {
  Consumed consumed;
  n = std::min(n, sealed_bytes_);
  sealed_bytes_ -= n;
  wire_bytes_ -= n;
  while (n > 0) {
    Node& front = nodes_.front();
    size_t take = std::min(n, front.wire - front_offset_);
    size_t end = front_offset_ + take;
    size_t payload =
        PayloadBefore(front, end) - PayloadBefore(front, front_offset_);
    consumed.payload_bytes += payload;
    payload_bytes_ -= payload;
    consumed.frames +=
        FramesBefore(front, end) - FramesBefore(front, front_offset_);
    front_offset_ = end;
    n -= take;
    if (front_offset_ == front.wire) {
      if (front.is_end) end_sent_ = true;
      nodes_.pop_front();
      front_offset_ = 0;
    }
  }
  return consumed;
}

uint64_t SendQueue::DropUnsent() {
  uint64_t dropped = 0;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Node& node = *it;
    if (node.is_end) {
      ++it;
      continue;
    }
    if (!node.sealed || node.exposed == 0) {
      if (&node == &nodes_.back()) coalesce_.reset();
      dropped += node.size;
      payload_bytes_ -= node.size;
      wire_bytes_ -= node.wire;
      it = nodes_.erase(it);
      continue;
    }
    // Keep every frame Peek has exposed a byte of, whole; cut the rest. A
    // cut leaves only full frames, whose header spans are unchanged.
    size_t keep = node.exposed;
    if (framed_) {
      size_t last_frame = (node.exposed - 1) / (max_frame_ + kFrameHeaderSize);
      keep = std::min(node.size, (last_frame + 1) * max_frame_);
    }
    if (keep < node.size) {
      dropped += node.size - keep;
      payload_bytes_ -= node.size - keep;
      wire_bytes_ -= node.wire - WireSize(keep);
      node.size = keep;
      node.wire = WireSize(keep);
      node.frame_room = 0;  // only full frames remain
    }
    ++it;
  }
  return dropped;
}

void SendQueue::Clear() {
  coalesce_.reset();
  nodes_.clear();
  front_offset_ = 0;
  wire_bytes_ = payload_bytes_ = sealed_bytes_ = 0;
}

bool SendQueue::AtEnd() const {
  if (framed_) return end_sent_ && nodes_.empty();
  return end_queued_ && nodes_.size() == 1 && nodes_.front().is_end;
}

}  // namespace hvsock
