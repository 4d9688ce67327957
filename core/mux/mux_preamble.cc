#include "core/mux/mux_preamble.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace hvsock {

absl::string_view MuxPreamble() {
  static constexpr char kBytes[] =
      "https://github.com/moby/vpnkit multiplexer protocol\n\0\0";
  return absl::string_view(kBytes, kMuxMagic.size() + 2);
}

absl::Status MuxPreambleReader::Consume(absl::string_view& in) {
  if (!error_.ok() || done_) return error_;
  while (!in.empty() && !done_) {
    const size_t magic = kMuxMagic.size();
    if (consumed_ < magic) {
      if (in[0] != kMuxMagic[consumed_]) {
        error_ = absl::FailedPreconditionError(absl::StrFormat(
            "not a multiplexer: byte %u of the preamble is 0x%02x, expected "
            "0x%02x (the magic \"https://github.com/moby/vpnkit multiplexer "
            "protocol\\n\")",
            consumed_, static_cast<uint8_t>(in[0]),
            static_cast<uint8_t>(kMuxMagic[consumed_])));
        return error_;
      }
    } else if (consumed_ < magic + 2) {
      payload_length_ |= static_cast<uint16_t>(static_cast<uint8_t>(in[0])
                                               << (8 * (consumed_ - magic)));
      if (consumed_ == magic + 1 && payload_length_ > kMaxMuxPreamblePayload) {
        error_ = absl::FailedPreconditionError(absl::StrFormat(
            "multiplexer preamble payload of %u bytes (at most %u accepted)",
            payload_length_, kMaxMuxPreamblePayload));
        return error_;
      }
    }
    // Payload bytes are uninterpreted: skip them in bulk.
    size_t take = 1;
    if (consumed_ >= magic + 2) {
      take = std::min(in.size(), magic + 2 + payload_length_ - consumed_);
    }
    in.remove_prefix(take);
    consumed_ += take;
    done_ = consumed_ >= magic + 2 && consumed_ == magic + 2 + payload_length_;
  }
  return absl::OkStatus();
}

absl::Status MuxPreambleReader::EndedEarly() const {
  return absl::UnavailableError(absl::StrFormat(
      "the transport ended during the multiplexer preamble, after %u bytes",
      consumed_));
}

}  // namespace hvsock
