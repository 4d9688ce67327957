#include "tools/hvstress/echo_check.h"

#include "absl/strings/str_cat.h"

namespace hvsock::hvstress {

absl::Status EchoCheck::Fail(absl::string_view key, std::string detail) {
  if (error_.ok()) {
    error_ = absl::DataLossError(key);
    detail_ = std::move(detail);
  }
  return error_;
}

absl::Status EchoCheck::Received(const absl::Cord& piece) {
  if (!error_.ok()) return error_;
  if (ended_) {
    return Fail("echo: bytes after Eof",
                absl::StrCat(piece.size(), " bytes after Eof"));
  }
  for (absl::string_view chunk : piece.Chunks()) {
    uint64_t room = length_ - received_;
    absl::string_view expected_part =
        chunk.size() > room ? chunk.substr(0, room) : chunk;
    size_t mismatch =
        pattern_->FirstMismatch(origin_, received_, expected_part);
    if (mismatch != absl::string_view::npos) {
      return Fail("echo differs from what was sent",
                  absl::StrCat("first difference at byte ",
                               received_ + mismatch, " of ", length_));
    }
    if (chunk.size() > room) {
      return Fail("echo longer than what was sent",
                  absl::StrCat("more than the ", length_, " bytes sent"));
    }
    received_ += chunk.size();
  }
  return absl::OkStatus();
}

absl::Status EchoCheck::Ended() {
  if (!error_.ok()) return error_;
  if (received_ < length_) {
    return Fail(
        "echo ended early: Eof before the last byte",
        absl::StrCat("Eof after ", received_, " of ", length_, " bytes"));
  }
  ended_ = true;
  return absl::OkStatus();
}

}  // namespace hvsock::hvstress
