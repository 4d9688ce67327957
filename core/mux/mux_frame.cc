#include "core/mux/mux_frame.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock {
namespace {

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void PutU32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t GetLe(absl::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  }
  return v;
}

absl::Status HeaderError(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid multiplexer frame header: ", what));
}

uint16_t FixedLength(MuxCommand command) {
  switch (command) {
    case MuxCommand::kClose:
      return kMuxCloseHeaderLength;
    case MuxCommand::kShutdown:
      return kMuxShutdownHeaderLength;
    case MuxCommand::kData:
      return kMuxDataHeaderLength;
    case MuxCommand::kWindow:
      return kMuxWindowHeaderLength;
    case MuxCommand::kOpen:
      return 0;
  }
  return 0;
}

std::string FormatIp(absl::string_view octets) {
  if (octets.size() == 4) {
    return absl::StrFormat("%d.%d.%d.%d", static_cast<uint8_t>(octets[0]),
                           static_cast<uint8_t>(octets[1]),
                           static_cast<uint8_t>(octets[2]),
                           static_cast<uint8_t>(octets[3]));
  }
  std::string out = "[";
  for (size_t i = 0; i < octets.size(); i += 2) {
    if (i > 0) out += ":";
    absl::StrAppendFormat(&out, "%x",
                          static_cast<unsigned>(GetLe(octets, i, 1) << 8 |
                                                GetLe(octets, i + 1, 1)));
  }
  return out + "]";
}

// Parses an Open's fields after the 7-byte common header.
void DecodeOpen(absl::string_view h, MuxFrame& frame) {
  if (h.size() < 9) {
    frame.open_problem = "an Open header shorter than 9 bytes";
    return;
  }
  const uint8_t connection = static_cast<uint8_t>(h[7]);
  const uint8_t proto = static_cast<uint8_t>(h[8]);
  if (connection == static_cast<uint8_t>(MuxConnectionType::kDedicated)) {
    frame.connection = MuxConnectionType::kDedicated;
    frame.open_problem = "a Dedicated connection (only Multiplexed is served)";
    return;
  }
  if (connection != static_cast<uint8_t>(MuxConnectionType::kMultiplexed)) {
    frame.open_problem = absl::StrFormat(
        "connection type %d (expected 2, Multiplexed)", connection);
    return;
  }
  if (proto < 1 || proto > 3) {
    frame.open_problem = absl::StrFormat(
        "destination protocol %d (expected 1 TCP, 2 UDP or 3 Unix)", proto);
    return;
  }
  frame.destination.proto = static_cast<MuxProto>(proto);
  if (h.size() < 11) {
    frame.open_problem = "an Open whose destination length is missing";
    return;
  }
  const size_t length = GetLe(h, 9, 2);
  const bool ip = frame.destination.proto != MuxProto::kUnix;
  const size_t expected = 11 + length + (ip ? 2 : 0);
  if (h.size() != expected) {
    frame.open_problem = absl::StrFormat(
        "hdrlen %u, but its destination needs %u bytes", h.size(), expected);
    return;
  }
  if (ip && length != 4 && length != 16) {
    frame.open_problem =
        absl::StrFormat("an IP address of %u bytes (expected 4 or 16)", length);
    return;
  }
  frame.destination.address = std::string(h.substr(11, length));
  if (ip)
    frame.destination.port = static_cast<uint16_t>(GetLe(h, 11 + length, 2));
}

}  // namespace

absl::string_view MuxCommandName(MuxCommand command) {
  switch (command) {
    case MuxCommand::kOpen:
      return "Open";
    case MuxCommand::kClose:
      return "Close";
    case MuxCommand::kShutdown:
      return "Shutdown";
    case MuxCommand::kData:
      return "Data";
    case MuxCommand::kWindow:
      return "Window";
  }
  return "?";
}

absl::Status MuxDestination::Validate() const {
  switch (proto) {
    case MuxProto::kTcp:
    case MuxProto::kUdp:
      if (address.size() != 4 && address.size() != 16) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "a TCP/UDP destination needs a 4- or 16-byte IP, got %u bytes",
            address.size()));
      }
      return absl::OkStatus();
    case MuxProto::kUnix:
      if (address.size() > kMaxMuxUnixPath) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "a Unix destination path may have at most %u bytes, got %u",
            kMaxMuxUnixPath, address.size()));
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown destination protocol");
}

std::string MuxDestination::ToString() const {
  switch (proto) {
    case MuxProto::kTcp:
      return absl::StrCat("TCP:", FormatIp(address), ":", port);
    case MuxProto::kUdp:
      return absl::StrCat("UDP:", FormatIp(address), ":", port);
    case MuxProto::kUnix:
      return absl::StrCat("Unix:", address);
  }
  return "?";
}

std::string MuxFrame::ToString() const {
  switch (command) {
    case MuxCommand::kOpen:
      if (!open_problem.empty()) {
        return absl::StrFormat("Open %u (unserviceable: %s)", id, open_problem);
      }
      return absl::StrFormat("Open %u Multiplexed %s", id,
                             destination.ToString());
    case MuxCommand::kData:
      return absl::StrFormat("Data %u len %u", id, payload_length);
    case MuxCommand::kWindow:
      return absl::StrFormat("Window %u %u", id, seq);
    case MuxCommand::kClose:
    case MuxCommand::kShutdown:
      return absl::StrFormat("%s %u", MuxCommandName(command), id);
  }
  return "?";
}

size_t EncodeFixedMuxHeader(const MuxFrame& frame, char* out) {
  const uint16_t length = FixedLength(frame.command);
  out[0] = static_cast<char>(length & 0xff);
  out[1] = static_cast<char>(length >> 8);
  out[2] = static_cast<char>(frame.command);
  PutU32(out + 3, frame.id);
  if (frame.command == MuxCommand::kData) PutU32(out + 7, frame.payload_length);
  if (frame.command == MuxCommand::kWindow) PutU64(out + 7, frame.seq);
  return length;
}

absl::StatusOr<std::string> EncodeMuxFrame(const MuxFrame& frame) {
  if (frame.command != MuxCommand::kOpen) {
    char fixed[kMuxWindowHeaderLength];
    size_t n = EncodeFixedMuxHeader(frame, fixed);
    return std::string(fixed, n);
  }
  if (absl::Status valid = frame.destination.Validate(); !valid.ok()) {
    return valid;
  }
  const MuxDestination& d = frame.destination;
  const bool ip = d.proto != MuxProto::kUnix;
  const size_t length = 11 + d.address.size() + (ip ? 2 : 0);
  std::string out;
  out.reserve(length);
  PutU16(out, static_cast<uint16_t>(length));
  out.push_back(static_cast<char>(MuxCommand::kOpen));
  char id[4];
  PutU32(id, frame.id);
  out.append(id, 4);
  out.push_back(static_cast<char>(frame.connection));
  out.push_back(static_cast<char>(d.proto));
  PutU16(out, static_cast<uint16_t>(d.address.size()));
  out += d.address;
  if (ip) PutU16(out, d.port);
  return out;
}

absl::StatusOr<MuxFrame> DecodeMuxFrame(absl::string_view h) {
  if (h.size() < 7) {
    return HeaderError(absl::StrFormat(
        "hdrlen %u is shorter than the 7-byte common header", h.size()));
  }
  const uint8_t command = static_cast<uint8_t>(h[2]);
  if (command < 1 || command > 5) {
    return HeaderError(absl::StrFormat(
        "unknown command %d (expected 1 Open .. 5 Window) on id %u", command,
        GetLe(h, 3, 4)));
  }
  MuxFrame frame;
  frame.command = static_cast<MuxCommand>(command);
  frame.id = static_cast<uint32_t>(GetLe(h, 3, 4));
  if (frame.command == MuxCommand::kOpen) {
    DecodeOpen(h, frame);
    return frame;
  }
  const uint16_t expected = FixedLength(frame.command);
  if (h.size() != expected) {
    return HeaderError(absl::StrFormat(
        "%s on id %u has hdrlen %u (expected %u)",
        MuxCommandName(frame.command), frame.id, h.size(), expected));
  }
  if (frame.command == MuxCommand::kData) {
    frame.payload_length = static_cast<uint32_t>(GetLe(h, 7, 4));
  } else if (frame.command == MuxCommand::kWindow) {
    frame.seq = GetLe(h, 7, 8);
  }
  return frame;
}

absl::StatusOr<std::optional<MuxFrame>> MuxFrameDecoder::Next(
    absl::string_view& in) {
  if (!error_.ok()) return error_;
  while (!in.empty()) {
    size_t take = std::min(need_ - header_.size(), in.size());
    header_.append(in.data(), take);
    in.remove_prefix(take);
    if (header_.size() < need_) return std::nullopt;
    if (need_ == 2) {
      const size_t length = GetLe(header_, 0, 2);
      if (length < 7 || length > kMaxMuxHeaderLength) {
        error_ = HeaderError(absl::StrFormat("hdrlen %u (expected 7 .. %u)",
                                             length, kMaxMuxHeaderLength));
        return error_;
      }
      need_ = length;
      continue;
    }
    absl::StatusOr<MuxFrame> frame = DecodeMuxFrame(header_);
    header_.clear();
    need_ = 2;
    if (!frame.ok()) {
      error_ = frame.status();
      return error_;
    }
    return std::optional<MuxFrame>(*std::move(frame));
  }
  return std::nullopt;
}

}  // namespace hvsock
