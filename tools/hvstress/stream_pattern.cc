#include "tools/hvstress/stream_pattern.h"

#include <algorithm>
#include <cstring>

#include "tools/hvstress/random.h"

namespace hvsock::hvstress {

StreamPattern::StreamPattern(uint64_t seed, size_t period)
    : block_(std::max<size_t>(period, 1), '\0') {
  Random random(Mix(seed ^ 0x7061747465726eULL));
  size_t i = 0;
  for (; i + 8 <= block_.size(); i += 8) {
    uint64_t word = random.Next();
    std::memcpy(block_.data() + i, &word, 8);
  }
  uint64_t word = random.Next();
  std::memcpy(block_.data() + i, &word, block_.size() - i);
}

absl::Cord StreamPattern::Slice(uint64_t origin, uint64_t offset,
                                size_t n) const {
  absl::Cord out;
  size_t at = static_cast<size_t>((origin + offset) % block_.size());
  while (n > 0) {
    size_t piece = std::min(n, block_.size() - at);
    absl::string_view view(block_.data() + at, piece);
    if (piece < 512) {
      out.Append(view);  // small: a copy is cheaper than a reference
    } else {
      out.Append(absl::MakeCordFromExternal(view, [] {}));
    }
    n -= piece;
    at = 0;
  }
  return out;
}

size_t StreamPattern::FirstMismatch(uint64_t origin, uint64_t offset,
                                    absl::string_view bytes) const {
  size_t at = static_cast<size_t>((origin + offset) % block_.size());
  size_t checked = 0;
  while (checked < bytes.size()) {
    size_t piece = std::min(bytes.size() - checked, block_.size() - at);
    const char* expected = block_.data() + at;
    const char* got = bytes.data() + checked;
    if (std::memcmp(expected, got, piece) != 0) {
      for (size_t i = 0; i < piece; ++i) {
        if (expected[i] != got[i]) return checked + i;
      }
    }
    checked += piece;
    at = 0;
  }
  return absl::string_view::npos;
}

}  // namespace hvsock::hvstress
