#include "backends/loopback/byte_pipe.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace hvsock {

absl::Status BytePipe::Write(absl::string_view bytes) {
  if (!error_.ok()) return error_;
  if (write_closed_) {
    return absl::FailedPreconditionError(
        "write after the pipe's write end "
        "was closed (broken pipe)");
  }
  // Compact lazily so that a long-lived pipe does not grow without bound.
  if (read_offset_ > 0 && read_offset_ * 2 >= bytes_.size()) {
    bytes_.erase(0, read_offset_);
    read_offset_ = 0;
  }
  bytes_.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<size_t> BytePipe::Read(absl::Span<char> out) {
  if (!error_.ok()) return error_;
  size_t n = std::min(out.size(), buffered());
  std::memcpy(out.data(), bytes_.data() + read_offset_, n);
  read_offset_ += n;
  if (read_offset_ == bytes_.size()) {
    bytes_.clear();
    read_offset_ = 0;
  }
  return n;
}

void BytePipe::Reset(absl::Status error) {
  error_ = std::move(error);
  bytes_.clear();
  read_offset_ = 0;
}

void BytePipe::Truncate(size_t keep) {
  if (keep < buffered()) bytes_.resize(read_offset_ + keep);
}

}  // namespace hvsock
