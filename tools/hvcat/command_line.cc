#include "tools/hvcat/command_line.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/option_scanner.h"
#include "tools/option_values.h"

namespace hvsock::hvcat {
namespace {

// Applies the valued option `arg` (its value read from `scan`) to `config`.
// Returns false (and OK) when hvcat has no such option.
absl::StatusOr<bool> ApplyValuedOption(const tools::ScannedArg& arg,
                                       tools::OptionScanner& scan,
                                       CommandLine& config) {
  if (!arg.Is({"--protocol", "--connect-timeout", "--close-timeout"})) {
    return false;
  }
  absl::StatusOr<std::string> value = scan.Value(arg);
  if (!value.ok()) return value.status();
  if (arg.name == "--protocol") {
    absl::StatusOr<Codec> codec = tools::ParseCodec(arg.name, *value);
    if (!codec.ok()) return codec.status();
    config.codec = *codec;
    return true;
  }
  absl::StatusOr<absl::Duration> d = tools::ParseDuration(arg.name, *value);
  if (!d.ok()) return d.status();
  (arg.name == "--connect-timeout" ? config.connect_timeout
                                   : config.close_timeout) = *d;
  return true;
}

}  // namespace

absl::StatusOr<std::optional<CommandLine>> ParseCommandLine(int argc,
                                                            char** argv) {
  CommandLine config;
  bool have_uri = false;
  tools::OptionScanner scan(argc, argv);
  while (std::optional<tools::ScannedArg> arg = scan.Next()) {
    if (arg->positional) {
      if (have_uri) return scan.Unknown(*arg, " (one URI only)");
      have_uri = true;
      config.uri = arg->text;
    } else if (arg->IsFlag({"--"})) {
      scan.StopOptions();
    } else if (arg->IsFlag({"-h", "--help"})) {
      return std::nullopt;
    } else if (arg->IsFlag({"-l", "--listen"})) {
      config.listen = true;
    } else if (arg->IsFlag({"--retry"})) {
      config.retry = true;
    } else {
      absl::StatusOr<bool> applied = ApplyValuedOption(*arg, scan, config);
      if (!applied.ok()) return applied.status();
      if (!*applied) return scan.Unknown(*arg);
    }
  }
  if (!have_uri) return absl::InvalidArgumentError("missing URI");
  return config;
}

std::string Usage(const UsageDetails& details) {
  return absl::StrCat(
      "usage: hvcat [options] URI        connect to URI\n"
      "       hvcat -l [options] URI     listen on URI and accept one "
      "connection\n"
      "\n",
      details.uri_forms,
      "\n"
      "options:\n"
      "  --protocol=native|framed   wire protocol (default ",
      details.default_protocol,
      ")\n"
      "  --connect-timeout=TIME     (default 10s)\n"
      "  --close-timeout=TIME       time without progress once closing\n"
      "                             (default 30s)\n"
      "  --retry                    retry while the connection is refused,\n"
      "                             until the connect timeout\n"
      "  -h, --help                 this text\n"
      "\n"
      "Times: seconds (10, 0.25) or with a unit (250ms, 1.5s, 2m); positive.\n"
      "\n"
      "exit status: 0 the close completed and all received bytes were "
      "written;\n"
      "  1 the flow failed (reset, truncated, protocol error, close timed "
      "out)\n"
      "    or a standard stream did; 2 bad usage; 3 no connection "
      "(refused,\n"
      "    connect timeout, listen or accept failed)\n");
}

}  // namespace hvsock::hvcat
