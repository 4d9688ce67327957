#include "tools/hvstress/options.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/default_codec.h"
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
    "                             connections (vpnkit format; default 1);\n"
    "                             with --server: serve multiplexed ones\n"
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
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": unknown unit \"", text.substr(digits),
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
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": the minimum is larger than the maximum"));
  }
  return SizeRange{*min, *max};
}

absl::StatusOr<Options> ParseCommandLine(int argc, const char* const* argv) {
  bool codec_given = false;  // else the URI's default protocol
  Options options;
  bool connections_given = false;
  bool idle_timeout_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      options.help = true;
      return options;
    }
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg == "--mux") {
      options.mux = 1;
      continue;
    }
    if (arg == "-q" || arg == "--quiet") {
      options.progress = false;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos &&
                                   arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (name == "-n") name = "--connections";
    if (name == "-p") name = "--parallel";
    static const char* const kValued[] = {
        "--uri",      "--server",          "--connections",
        "--parallel", "--bytes",           "--write-size",
        "--protocol", "--duration",        "--seed",
        "--connect-timeout", "--close-timeout", "--idle-timeout",
        "--threads", "--mux"};
    bool known = false;
    for (const char* valued : kValued) known = known || name == valued;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat(arg.rfind("-", 0) == 0 ? "unknown option \""
                                              : "unexpected argument \"",
                       name, "\""));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " needs a value"));
      }
      value = argv[++i];
    }
    auto fail = [&](const absl::Status& why) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": ", why.message()));
    };
    if (name == "--uri" || name == "--server") {
      if (!options.uri.empty()) {
        return absl::InvalidArgumentError(
            "give one of --uri and --server, once");
      }
      options.uri = value;
      options.mode = name == "--server" ? Options::Mode::kServer
                                        : Options::Mode::kStress;
    } else if (name == "--connections") {
      absl::StatusOr<uint64_t> n = ParseCount(name, value, 1);
      if (!n.ok()) return n.status();
      options.connections = *n;
      connections_given = true;
    } else if (name == "--parallel") {
      absl::StatusOr<uint64_t> n = ParseCount(name, value, 1);
      if (!n.ok()) return n.status();
      if (*n > 100000) {
        return absl::InvalidArgumentError(
            "--parallel: at most 100000 connections at once");
      }
      options.parallel = *n;
    } else if (name == "--threads") {
      absl::StatusOr<uint64_t> n = ParseCount(name, value, 1);
      if (!n.ok()) return n.status();
      if (*n > 256) {
        return absl::InvalidArgumentError("--threads: at most 256 threads");
      }
      options.threads = *n;
    } else if (name == "--mux") {
      absl::StatusOr<uint64_t> n = ParseCount(name, value, 1);
      if (!n.ok()) return n.status();
      options.mux = *n;
    } else if (name == "--seed") {
      absl::StatusOr<uint64_t> n = ParseCount(name, value, 0);
      if (!n.ok()) return n.status();
      options.seed = *n;
    } else if (name == "--bytes" || name == "--write-size") {
      absl::StatusOr<SizeRange> range = ParseSizeRange(value);
      if (!range.ok()) return fail(range.status());
      if (name == "--bytes") {
        options.bytes = *range;
      } else {
        if (range->min == 0) {
          return absl::InvalidArgumentError(
              "--write-size: writes must be at least 1 byte");
        }
        if (range->max > (uint64_t{64} << 20)) {
          return absl::InvalidArgumentError(
              "--write-size: writes must be at most 64M");
        }
        options.write_size = *range;
      }
    } else if (name == "--protocol") {
      absl::StatusOr<Codec> codec = tools::ParseCodec(name, value);
      if (!codec.ok()) return codec.status();
      options.codec = *codec;
      codec_given = true;
    } else {
      absl::StatusOr<absl::Duration> d = tools::ParseDuration(name, value);
      if (!d.ok()) return d.status();
      if (name == "--duration") options.duration = *d;
      if (name == "--connect-timeout") options.connect_timeout = *d;
      if (name == "--close-timeout") options.close_timeout = *d;
      if (name == "--idle-timeout") {
        options.idle_timeout = *d;
        idle_timeout_given = true;
      }
    }
  }
  if (options.duration.has_value() && !connections_given) {
    options.connections = std::numeric_limits<uint64_t>::max();
  }
  if (options.mode == Options::Mode::kServer && options.uri.empty()) {
    return absl::InvalidArgumentError("--server needs a URI");
  }
  if (options.mode == Options::Mode::kServer && !idle_timeout_given) {
    options.idle_timeout = kServerIdleTimeout;
  }
  if (!codec_given && !options.uri.empty()) {
    // The URI's default protocol (framed for hybrid-vsock://,
    // backends/default_codec.h); a bad URI is reported when it is used.
    absl::StatusOr<Address> endpoint = tools::ParsePosixEndpoint(options.uri);
    if (endpoint.ok()) options.codec = DefaultCodecFor(*endpoint);
  }
  return options;
}

}  // namespace hvsock::hvstress
