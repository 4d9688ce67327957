#include "tools/hvstress/options.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/default_codec.h"
#include "tools/option_scanner.h"
#include "tools/option_values.h"
#include "tools/posix_endpoint.h"

namespace hvsock::hvstress {

const char kUsage[] =
    "usage: hvstress [options]               stress an in-process echo "
    "server\n"
    "       hvstress --uri URI [options]     stress the echo server at URI\n"
    "       hvstress --server URI [options]  run only an echo server at URI\n"
    "\n"
    "Each connection sends a seeded random stream in random-sized writes,\n"
    "closes its write side, and checks that the echo is the same stream,\n"
    "byte for byte, ended by a clean Eof, and that its close completes.\n"
    "\n"
    "URIs:  vsock://CID:PORT   vsock://:PORT (server)   "
    "unix:///absolute/path\n"
    "       hybrid-vsock:///path/to/v.sock:PORT (Firecracker, Cloud "
    "Hypervisor,\n"
    "         vhost-device-vsock; --server listens on <path>_<PORT>)\n"
    "       hyperkit:///path/to/dir:PORT[?cid=N]\n"
    "\n"
    "options:\n"
    "  -n, --connections=N        connections in total (default 2000;\n"
    "                             unlimited with --duration alone)\n"
    "  -p, --parallel=N           connections at once (default 32)\n"
    "  --bytes=MIN-MAX            bytes per connection (default 0-2M)\n"
    "  --write-size=MIN-MAX       bytes per write (default 1-64K)\n"
    "  --protocol=native|framed   wire protocol (default native; framed "
    "for\n"
    "                             hybrid-vsock://, where the VMMs lose\n"
    "                             half-close otherwise)\n"
    "  --duration=TIME            stop starting connections after this long\n"
    "  --seed=N                   replay a run (default: from the clock;\n"
    "                             the summary prints it)\n"
    "  --connect-timeout=TIME     per connect (default 10s)\n"
    "  --close-timeout=TIME       per close: time without progress once\n"
    "                             closing (default 10s)\n"
    "  --idle-timeout=TIME        a connection that moves no byte this long\n"
    "                             is dropped: abandoned as stalled before its\n"
    "                             close (default 30s); with --server, the\n"
    "                             flows' idle timeout (default 60s)\n"
    "  --threads=N                loops on N threads, client and server\n"
    "                             (default 1)\n"
    "  --mux[=N]                  streams as channels of N multiplexed\n"
    "                             connections (vpnkit format; default one\n"
    "                             per thread); with --threads each thread\n"
    "                             has its share of them, so N must be at\n"
    "                             least --threads; with --server: serve\n"
    "                             multiplexed ones (on --threads loops)\n"
    "  --json                     print the summary as JSON on standard "
    "output\n"
    "  -q, --quiet                no progress lines\n"
    "  -h, --help                 this text\n"
    "\n"
    "Sizes: a number with an optional K, M or G (powers of 1024).\n"
    "Times: seconds (10, 0.25) or with a unit (250ms, 1.5s, 2m); positive.\n"
    "\n"
    "exit status: 0 every connection verified; 1 some failed (the summary\n"
    "  names each error); 2 bad usage; 3 the echo server could not start\n";

namespace {

absl::StatusOr<uint64_t> ParseCount(absl::string_view option,
                                    const std::string& text, uint64_t min) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        option, ": \"", text, "\" is not a whole number of at least ", min));
  }
  return value;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
  uint64_t number = 0;
  if (digits == 0 || !absl::SimpleAtoi(text.substr(0, digits), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a size (e.g. 4096, 64K, 1M)"));
  }
  std::string suffix = absl::AsciiStrToLower(text.substr(digits));
  uint64_t unit = 1;
  if (suffix.empty() || suffix == "b") {
    unit = 1;
  } else if (suffix == "k" || suffix == "kib") {
    unit = uint64_t{1} << 10;
  } else if (suffix == "m" || suffix == "mib") {
    unit = uint64_t{1} << 20;
  } else if (suffix == "g" || suffix == "gib") {
    unit = uint64_t{1} << 30;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": unknown unit \"", text.substr(digits),
                     "\" (K, M or G)"));
  }
  if (number > std::numeric_limits<uint64_t>::max() / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is too large"));
  }
  return number * unit;
}

absl::StatusOr<SizeRange> ParseSizeRange(absl::string_view text) {
  size_t dash = text.find('-');
  absl::StatusOr<uint64_t> min = ParseSize(text.substr(0, dash));
  if (!min.ok()) return min.status();
  absl::StatusOr<uint64_t> max =
      dash == absl::string_view::npos ? min : ParseSize(text.substr(dash + 1));
  if (!max.ok()) return max.status();
  if (*min > *max) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": the minimum is larger than the maximum"));
  }
  return SizeRange{*min, *max};
}

namespace {

// What the command line set explicitly, for the defaults that depend on it.
struct Given {
  bool codec = false;  // else the URI's default protocol
  bool connections = false;
  bool idle_timeout = false;
  bool mux_count = false;  // --mux=N; a bare --mux is one per thread
};

// --uri and --server: where the echo server is, or where to be one.
absl::Status ApplyEndpoint(const std::string& name, const std::string& value,
                           Options& options) {
  if (!options.uri.empty()) {
    return absl::InvalidArgumentError("give one of --uri and --server, once");
  }
  options.uri = value;
  options.mode =
      name == "--server" ? Options::Mode::kServer : Options::Mode::kStress;
  return absl::OkStatus();
}

// The options that take a whole number.
absl::Status ApplyCount(const std::string& name, const std::string& value,
                        Options& options, Given& given) {
  const uint64_t min = name == "--seed" ? 0 : 1;
  absl::StatusOr<uint64_t> n = ParseCount(name, value, min);
  if (!n.ok()) return n.status();
  if (name == "--connections") {
    options.connections = *n;
    given.connections = true;
  } else if (name == "--parallel") {
    if (*n > 100000) {
      return absl::InvalidArgumentError(
          "--parallel: at most 100000 connections at once");
    }
    options.parallel = *n;
  } else if (name == "--threads") {
    if (*n > 256) {
      return absl::InvalidArgumentError("--threads: at most 256 threads");
    }
    options.threads = *n;
  } else if (name == "--mux") {
    options.mux = *n;
    given.mux_count = true;
  } else {
    options.seed = *n;
  }
  return absl::OkStatus();
}

// --bytes and --write-size: size ranges.
absl::Status ApplySizeRange(const std::string& name, const std::string& value,
                            Options& options) {
  absl::StatusOr<SizeRange> range = ParseSizeRange(value);
  if (!range.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", range.status().message()));
  }
  if (name == "--bytes") {
    options.bytes = *range;
    return absl::OkStatus();
  }
  if (range->min == 0) {
    return absl::InvalidArgumentError(
        "--write-size: writes must be at least 1 byte");
  }
  if (range->max > (uint64_t{64} << 20)) {
    return absl::InvalidArgumentError(
        "--write-size: writes must be at most 64M");
  }
  options.write_size = *range;
  return absl::OkStatus();
}

// --duration and the timeouts.
absl::Status ApplyDuration(const std::string& name, const std::string& value,
                           Options& options, Given& given) {
  absl::StatusOr<absl::Duration> d = tools::ParseDuration(name, value);
  if (!d.ok()) return d.status();
  if (name == "--duration") options.duration = *d;
  if (name == "--connect-timeout") options.connect_timeout = *d;
  if (name == "--close-timeout") options.close_timeout = *d;
  if (name == "--idle-timeout") {
    options.idle_timeout = *d;
    given.idle_timeout = true;
  }
  return absl::OkStatus();
}

// Applies the valued option `name` (one IsValuedOption() knows) = `value`.
absl::Status ApplyValuedOption(const std::string& name,
                               const std::string& value, Options& options,
                               Given& given) {
  if (name == "--uri" || name == "--server") {
    return ApplyEndpoint(name, value, options);
  }
  if (name == "--connections" || name == "--parallel" || name == "--threads" ||
      name == "--mux" || name == "--seed") {
    return ApplyCount(name, value, options, given);
  }
  if (name == "--bytes" || name == "--write-size") {
    return ApplySizeRange(name, value, options);
  }
  if (name == "--protocol") {
    absl::StatusOr<Codec> codec = tools::ParseCodec(name, value);
    if (!codec.ok()) return codec.status();
    options.codec = *codec;
    given.codec = true;
    return absl::OkStatus();
  }
  return ApplyDuration(name, value, options, given);
}

// The options that take a value (--mux also stands alone).
bool IsValuedOption(absl::string_view name) {
  static const char* const kValued[] = {"--uri",           "--server",
                                        "--connections",   "--parallel",
                                        "--bytes",         "--write-size",
                                        "--protocol",      "--duration",
                                        "--seed",          "--connect-timeout",
                                        "--close-timeout", "--idle-timeout",
                                        "--threads",       "--mux"};
  for (const char* valued : kValued) {
    if (name == valued) return true;
  }
  return false;
}

// The defaults that depend on what else was given.
absl::Status ApplyDefaults(const Given& given, Options& options) {
  if (options.duration.has_value() && !given.connections) {
    options.connections = std::numeric_limits<uint64_t>::max();
  }
  if (options.mode == Options::Mode::kServer && options.uri.empty()) {
    return absl::InvalidArgumentError("--server needs a URI");
  }
  if (options.mode == Options::Mode::kServer && !given.idle_timeout) {
    options.idle_timeout = kServerIdleTimeout;
  }
  if (options.mux > 0 && !given.mux_count) options.mux = options.threads;
  if (options.mode == Options::Mode::kStress && options.mux > 0 &&
      options.mux < options.threads) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--mux=", options.mux, " with --threads=", options.threads,
        ": each thread runs channels over multiplexed connections of its "
        "own, so give --mux=",
        options.threads,
        " or more (or a bare --mux: one connection per thread)"));
  }
  if (!given.codec && !options.uri.empty()) {
    // The URI's default protocol (framed for hybrid-vsock://,
    // backends/default_codec.h); a bad URI is reported when it is used.
    absl::StatusOr<Address> endpoint = tools::ParsePosixEndpoint(options.uri);
    if (endpoint.ok()) options.codec = DefaultCodecFor(*endpoint);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Options> ParseCommandLine(int argc, const char* const* argv) {
  Options options;
  Given given;
  tools::OptionScanner scan(argc, argv);
  while (std::optional<tools::ScannedArg> arg = scan.Next()) {
    if (arg->IsFlag({"-h", "--help"})) {
      options.help = true;
      return options;
    }
    if (arg->IsFlag({"--json"})) {
      options.json = true;
      continue;
    }
    if (arg->IsFlag({"--mux"})) {
      options.mux = 1;
      continue;
    }
    if (arg->IsFlag({"-q", "--quiet"})) {
      options.progress = false;
      continue;
    }
    if (arg->Is({"-n"})) arg->name = "--connections";
    if (arg->Is({"-p"})) arg->name = "--parallel";
    if (arg->positional || !IsValuedOption(arg->name)) {
      return scan.Unknown(*arg);
    }
    absl::StatusOr<std::string> value = scan.Value(*arg);
    if (!value.ok()) return value.status();
    if (absl::Status s = ApplyValuedOption(arg->name, *value, options, given);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ApplyDefaults(given, options); !s.ok()) return s;
  return options;
}

}  // namespace hvsock::hvstress
