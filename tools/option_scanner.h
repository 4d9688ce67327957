// OptionScanner: walks a tool's argv the one way every hvsock tool reads it
// (hvcat, hvstress), leaving what each option means to the tool.
//
//   --name=value   an option with its value inline
//   --name value   an option whose value is the next argument (Value())
//   --flag, -f     an option without a value (IsFlag())
//   -              a positional argument (a standard stream, by convention)
//   other          a positional argument
//   --             after it every argument is positional, if the tool asks
//                  (StopOptions()); otherwise it is an option named "--"
//
// Only long options ("--name") carry an inline value; "-n=5" is an option
// named "-n=5". A flag given an inline value ("--retry=yes") is no flag:
// IsFlag() is false and the tool reports it with Unknown().
//
// Errors are InvalidArgument and read as the tools have always said them:
// `NAME needs a value`, `unknown option "NAME"`, `unexpected argument "ARG"`.
// Thread-compatible; the scanner borrows argv.
#ifndef HVSOCK_TOOLS_OPTION_SCANNER_H_
#define HVSOCK_TOOLS_OPTION_SCANNER_H_

#include <initializer_list>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hvsock::tools {

// One argument as the scanner read it.
struct ScannedArg {
  bool positional = false;
  // The argument as given (for a positional one, its text).
  std::string text;
  // An option's name: the text before '=' for a long option, else the text.
  std::string name;
  // The text after '=' of a long option.
  std::optional<std::string> inline_value;

  // An option named one of `names`, without an inline value.
  bool IsFlag(std::initializer_list<absl::string_view> names) const;
  // An option named one of `names` (a value is expected).
  bool Is(std::initializer_list<absl::string_view> names) const;
};

class OptionScanner {
 public:
  // Scans argv[1..argc).
  OptionScanner(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

  // The next argument, or nullopt after the last.
  std::optional<ScannedArg> Next();
  // The value of option `arg` (the one Next() just returned): its inline
  // value, else the next argument, which is consumed. `NAME needs a value`
  // when there is none.
  absl::StatusOr<std::string> Value(const ScannedArg& arg);
  // Every later argument is positional ("--").
  void StopOptions() { options_done_ = true; }

  // The error for an argument the tool does not take: `unknown option
  // "NAME"`, or for a positional one `unexpected argument "TEXT"` followed by
  // `why` (e.g. " (one URI only)").
  static absl::Status Unknown(const ScannedArg& arg,
                              absl::string_view why = "");

 private:
  int argc_;
  const char* const* argv_;
  int next_ = 1;
  bool options_done_ = false;
};

}  // namespace hvsock::tools

#endif  // HVSOCK_TOOLS_OPTION_SCANNER_H_
