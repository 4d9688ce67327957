#include "tools/option_scanner.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hvsock::tools {

bool ScannedArg::IsFlag(std::initializer_list<absl::string_view> names) const {
  return !inline_value.has_value() && Is(names);
}

bool ScannedArg::Is(std::initializer_list<absl::string_view> names) const {
  return !positional &&
         std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<ScannedArg> OptionScanner::Next() {
  if (next_ >= argc_) return std::nullopt;
  ScannedArg arg;
  arg.text = argv_[next_++];
  arg.name = arg.text;
  arg.positional =
      options_done_ || !absl::StartsWith(arg.text, "-") || arg.text == "-";
  if (!arg.positional && absl::StartsWith(arg.text, "--")) {
    if (size_t eq = arg.text.find('='); eq != std::string::npos) {
      arg.name = arg.text.substr(0, eq);
      arg.inline_value = arg.text.substr(eq + 1);
    }
  }
  return arg;
}

absl::StatusOr<std::string> OptionScanner::Value(const ScannedArg& arg) {
  if (arg.inline_value.has_value()) return *arg.inline_value;
  if (next_ >= argc_) {
    return absl::InvalidArgumentError(absl::StrCat(arg.name, " needs a value"));
  }
  return std::string(argv_[next_++]);
}

absl::Status OptionScanner::Unknown(const ScannedArg& arg,
                                    absl::string_view why) {
  if (arg.positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", arg.text, "\"", why));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown option \"", arg.name, "\""));
}

}  // namespace hvsock::tools
