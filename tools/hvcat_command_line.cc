#include "tools/hvcat_command_line.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hvsock::hvcat {
namespace {

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

}  // namespace

absl::StatusOr<std::optional<CommandLine>> ParseCommandLine(int argc,
                                                            char** argv) {
  CommandLine config;
  bool have_uri = false;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      if (have_uri) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", arg, "\" (one URI only)"));
      }
      have_uri = true;
      config.uri = arg;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") return std::nullopt;
    if (arg == "-l" || arg == "--listen") {
      config.listen = true;
      continue;
    }
    if (arg == "--retry") {
      config.retry = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name != "--protocol" && name != "--connect-timeout" &&
        name != "--close-timeout") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option \"", name, "\""));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      value = argv[++i];
    }
    if (name == "--protocol") {
      if (value == "native") {
        config.codec = Codec::kNative;
      } else if (value == "framed") {
        config.codec = Codec::kFramed;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--protocol: \"", value, "\" is not native or framed"));
      }
    } else if (name == "--connect-timeout") {
      absl::StatusOr<absl::Duration> d = ParseSeconds(name, value, false);
      if (!d.ok()) return d.status();
      config.connect_timeout = *d;
    } else {
      absl::StatusOr<absl::Duration> d = ParseSeconds(name, value, true);
      if (!d.ok()) return d.status();
      config.close_timeout = *d;
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
      "  --connect-timeout=SECONDS  (default 10; fractions allowed)\n"
      "  --close-timeout=SECONDS    (default 30; fractions allowed)\n"
      "  --retry                    retry while the connection is refused,\n"
      "                             until the connect timeout\n"
      "  -h, --help                 this text\n"
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
