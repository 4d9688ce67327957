#include "tools/hvcat/command_line.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/option_values.h"

namespace hvsock::hvcat {
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
      absl::StatusOr<Codec> codec = tools::ParseCodec(name, value);
      if (!codec.ok()) return codec.status();
      config.codec = *codec;
    } else if (name == "--connect-timeout") {
      absl::StatusOr<absl::Duration> d =
          tools::ParseDuration(name, value);
      if (!d.ok()) return d.status();
      config.connect_timeout = *d;
    } else {
      absl::StatusOr<absl::Duration> d = tools::ParseDuration(name, value);
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
