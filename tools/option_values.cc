#include "tools/option_values.h"

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hvsock::tools {
namespace {

constexpr int kFractionDigits = 9;  // nanoseconds

// Decimal seconds, exactly: DIGITS[.DIGITS] or .DIGITS. Digits past the
// ninth after the point are dropped (finer than a nanosecond). Nullopt if
// `text` is not of that form or is beyond 10^9 seconds.
std::optional<absl::Duration> ParseDecimalSeconds(absl::string_view text) {
  size_t point = text.find('.');
  absl::string_view whole = text.substr(0, point);
  absl::string_view fraction = point == absl::string_view::npos
                                   ? absl::string_view()
                                   : text.substr(point + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  for (absl::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (!absl::ascii_isdigit(c)) return std::nullopt;
    }
  }
  size_t significant = whole.find_first_not_of('0');
  if (significant != absl::string_view::npos &&
      whole.size() - significant > 10) {
    return std::nullopt;  // at least 10^10 seconds
  }
  int64_t seconds = 0;
  for (char c : whole) seconds = seconds * 10 + (c - '0');
  int64_t nanos = 0;
  for (int i = 0; i < kFractionDigits; ++i) {
    nanos = nanos * 10 +
            (i < static_cast<int>(fraction.size()) ? fraction[i] - '0' : 0);
  }
  return absl::Seconds(seconds) + absl::Nanoseconds(nanos);
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view option,
                                             absl::string_view text) {
  std::optional<absl::Duration> duration = ParseDecimalSeconds(text);
  if (!duration.has_value()) {
    absl::Duration with_unit;
    if (!text.empty() && absl::ascii_isalpha(text.back()) &&
        absl::ParseDuration(text, &with_unit) &&
        with_unit != absl::InfiniteDuration() &&
        with_unit != -absl::InfiniteDuration()) {
      duration = absl::Trunc(with_unit, absl::Nanoseconds(1));
    }
  }
  if (!duration.has_value() || *duration <= absl::ZeroDuration() ||
      *duration > kMaxOptionDuration) {
    return absl::InvalidArgumentError(absl::StrCat(
        option, ": \"", text,
        "\" is not a positive duration of at most 1000000000s (seconds, "
        "e.g. 10 or 0.25, or with a unit: 250ms, 1.5s, 2m)"));
  }
  return *duration;
}

std::string FormatSeconds(absl::Duration duration) {
  int64_t nanos = absl::ToInt64Nanoseconds(duration);
  std::string out = absl::StrCat(nanos / 1000000000);
  int64_t fraction = nanos % 1000000000;
  if (fraction == 0) return out;
  std::string digits = absl::StrCat(fraction + 1000000000).substr(1);
  digits.erase(digits.find_last_not_of('0') + 1);
  return absl::StrCat(out, ".", digits);
}

absl::StatusOr<Codec> ParseCodec(absl::string_view option,
                                 absl::string_view text) {
  if (text == "native") return Codec::kNative;
  if (text == "framed") return Codec::kFramed;
  return absl::InvalidArgumentError(
      absl::StrCat(option, ": \"", text, "\" is not native or framed"));
}

}  // namespace hvsock::tools
