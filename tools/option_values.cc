#include "tools/option_values.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hvsock::tools {

absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view option,
                                            const std::string& text,
                                            bool allow_zero) {
  errno = 0;
  char* end = nullptr;
  double seconds = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 ||
      !std::isfinite(seconds) || seconds < 0 || (!allow_zero && seconds == 0) ||
      seconds > 1e9) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": \"", text, "\" is not a ",
                     allow_zero ? "non-negative" : "positive",
                     " number of seconds (e.g. 10 or 0.25)"));
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<Codec> ParseCodec(absl::string_view option,
                                 absl::string_view text) {
  if (text == "native") return Codec::kNative;
  if (text == "framed") return Codec::kFramed;
  return absl::InvalidArgumentError(
      absl::StrCat(option, ": \"", text, "\" is not native or framed"));
}

}  // namespace hvsock::tools
