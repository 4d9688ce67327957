#include "testing/mux_script_peer.h"

#include "absl/strings/str_cat.h"

namespace hvsock::testing {
namespace {

constexpr absl::string_view kMagic =
    "https://github.com/moby/vpnkit multiplexer protocol\n";

void Le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

uint64_t ReadLe(absl::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  }
  return v;
}

std::string Header(uint16_t hdrlen, uint8_t command, uint32_t id) {
  std::string out;
  Le(out, hdrlen, 2);
  out.push_back(static_cast<char>(command));
  Le(out, id, 4);
  return out;
}

const char* Name(uint8_t command) {
  switch (command) {
    case kPeerOpen:
      return "Open";
    case kPeerClose:
      return "Close";
    case kPeerShutdown:
      return "Shutdown";
    case kPeerData:
      return "Data";
    case kPeerWindow:
      return "Window";
  }
  return "Unknown";
}

}  // namespace

std::string PeerPreamble() {
  std::string out(kMagic);
  Le(out, 0, 2);
  return out;
}

std::string PeerOpenRaw(uint32_t id, uint8_t connection, uint8_t proto,
                        absl::string_view address, uint16_t port) {
  std::string fields;
  fields.push_back(static_cast<char>(connection));
  fields.push_back(static_cast<char>(proto));
  Le(fields, address.size(), 2);
  fields.append(address.data(), address.size());
  if (proto == 1 || proto == 2) Le(fields, port, 2);
  return Header(static_cast<uint16_t>(7 + fields.size()), kPeerOpen, id) +
         fields;
}

std::string PeerOpenUnix(uint32_t id, absl::string_view path) {
  return PeerOpenRaw(id, 2, 3, path);
}
std::string PeerClose(uint32_t id) { return Header(7, kPeerClose, id); }
std::string PeerShutdown(uint32_t id) { return Header(7, kPeerShutdown, id); }
std::string PeerWindow(uint32_t id, uint64_t seq) {
  std::string out = Header(15, kPeerWindow, id);
  Le(out, seq, 8);
  return out;
}
std::string PeerDataHeader(uint32_t id, uint32_t length) {
  std::string out = Header(11, kPeerData, id);
  Le(out, length, 4);
  return out;
}
std::string PeerData(uint32_t id, absl::string_view payload) {
  return PeerDataHeader(id, static_cast<uint32_t>(payload.size())) +
         std::string(payload);
}
std::string PeerRawHeader(uint16_t hdrlen, uint8_t command, uint32_t id) {
  return Header(hdrlen, command, id);
}

std::string PeerSeenFrame::Describe() const {
  if (command == kPeerData || command == kPeerWindow) {
    return absl::StrCat(Name(command), " ", id, " ", value);
  }
  return absl::StrCat(Name(command), " ", id);
}

void PeerFrameReader::Granted(uint32_t id, uint64_t seq) {
  if (seq > granted_[id]) granted_[id] = seq;
}

void PeerFrameReader::Feed(absl::string_view bytes) {
  buffer_.append(bytes.data(), bytes.size());
  if (!preamble_done_) {
    if (buffer_.size() < kMagic.size() + 2) return;
    if (absl::string_view(buffer_).substr(0, kMagic.size()) != kMagic) {
      violation_ = "the stream does not start with the vpnkit magic";
      buffer_.clear();
      return;
    }
    const size_t payload = ReadLe(buffer_, kMagic.size(), 2);
    if (buffer_.size() < kMagic.size() + 2 + payload) return;
    buffer_.erase(0, kMagic.size() + 2 + payload);
    preamble_done_ = true;
  }
  while (buffer_.size() >= 7 && violation_.empty()) {
    const size_t hdrlen = ReadLe(buffer_, 0, 2);
    const uint8_t command = static_cast<uint8_t>(buffer_[2]);
    if (hdrlen < 7) {
      violation_ = absl::StrCat("hdrlen ", hdrlen, " < 7");
      return;
    }
    if (buffer_.size() < hdrlen) return;
    PeerSeenFrame frame;
    frame.command = command;
    frame.id = static_cast<uint32_t>(ReadLe(buffer_, 3, 4));
    size_t total = hdrlen;
    switch (command) {
      case kPeerOpen:
        frame.open_fields = buffer_.substr(7, hdrlen - 7);
        break;
      case kPeerClose:
      case kPeerShutdown:
        if (hdrlen != 7) violation_ = "Close/Shutdown with hdrlen != 7";
        break;
      case kPeerWindow:
        if (hdrlen != 15)
          violation_ = "Window with hdrlen != 15";
        else
          frame.value = ReadLe(buffer_, 7, 8);
        break;
      case kPeerData:
        if (hdrlen != 11) {
          violation_ = "Data with hdrlen != 11";
          break;
        }
        frame.value = ReadLe(buffer_, 7, 4);
        total += frame.value;
        if (buffer_.size() < total) return;
        frame.payload = buffer_.substr(hdrlen, frame.value);
        break;
      default:
        violation_ = absl::StrCat("unknown command ", command);
    }
    if (!violation_.empty()) return;
    buffer_.erase(0, total);
    OnFrame(std::move(frame));
  }
}

void PeerFrameReader::OnFrame(PeerSeenFrame frame) {
  const std::string what = frame.Describe();
  if (frame.command == kPeerOpen) {
    closed_.erase(frame.id);
    data_[frame.id] = 0;
  } else if (closed_.contains(frame.id)) {
    violation_ = absl::StrCat(what, " sent after Close ", frame.id);
  }
  if (frame.command == kPeerData) {
    data_[frame.id] += frame.value;
    if (data_[frame.id] > granted_[frame.id]) {
      violation_ = absl::StrCat(what, " goes beyond the window granted (",
                                granted_[frame.id], ")");
    }
  }
  if (frame.command == kPeerClose) closed_.insert(frame.id);
  frames_.push_back(std::move(frame));
}

std::string PeerFrameReader::PayloadOn(uint32_t id) const {
  std::string out;
  for (const PeerSeenFrame& f : frames_) {
    if (f.command == kPeerData && f.id == id) out += f.payload;
  }
  return out;
}

bool PeerFrameReader::Saw(absl::string_view description) const {
  for (const PeerSeenFrame& f : frames_) {
    if (f.Describe() == description) return true;
  }
  return false;
}

}  // namespace hvsock::testing
