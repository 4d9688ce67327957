// hvstress's command line: what to run and how hard.
//
//   hvstress [options]               stress an in-process echo server
//   hvstress --uri URI [options]     stress the echo server at URI
//   hvstress --server URI [options]  run only the echo server, until killed
//
// Sizes take an optional binary suffix (K = 1024, M, G; "KiB" and "k" too)
// and ranges are MIN-MAX or a single value. Parsing only: nothing here
// touches the system. Plain value types; thread-compatible.
#ifndef HVSOCK_TOOLS_HVSTRESS_OPTIONS_H_
#define HVSOCK_TOOLS_HVSTRESS_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/flow_options.h"

namespace hvsock::hvstress {

// An inclusive range of byte counts.
struct SizeRange {
  uint64_t min = 0;
  uint64_t max = 0;
  friend bool operator==(const SizeRange&, const SizeRange&) = default;
};

// --idle-timeout's defaults. The library's default is off (an idle flow is
// the application's business); a server open to anyone needs one.
inline constexpr absl::Duration kClientIdleTimeout = absl::Seconds(30);
inline constexpr absl::Duration kServerIdleTimeout = absl::Seconds(60);

struct Options {
  enum class Mode { kStress, kServer };
  Mode mode = Mode::kStress;
  // kStress: the echo server to connect to; empty runs one in-process on a
  // Unix socket in a fresh temporary directory.
  // kServer: where to listen.
  std::string uri;

  // Connections to run in total. With a duration and no explicit count,
  // unlimited (until the duration is up).
  uint64_t connections = 2000;
  // Connections open at once.
  uint64_t parallel = 32;
  // Bytes each connection sends (and expects back), drawn per connection.
  SizeRange bytes{0, 2 * 1024 * 1024};
  // Bytes per write, drawn per write.
  SizeRange write_size{1, 64 * 1024};
  // --protocol, else the URI's default (framed for hybrid-vsock://,
  // backends/default_codec.h), else native.
  Codec codec = Codec::kNative;
  // Stop starting connections after this long; those running finish.
  std::optional<absl::Duration> duration;
  // Everything random derives from it; drawn from the clock if not given.
  std::optional<uint64_t> seed;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration close_timeout = absl::Seconds(10);
  // kStress: a connection that moves no byte for this long is abandoned as
  // stalled (before its close; afterwards the close timeout applies).
  // kServer: the flows' FlowOptions::idle_timeout, which drops a client that
  // moves no byte for this long (an idle or stalled peer), so that idle
  // connections cannot pile up; kServerIdleTimeout unless given.
  absl::Duration idle_timeout = kClientIdleTimeout;

  // Loops, each on its own thread: the client's connections are split over
  // them, and so are the echo server's (--server, or the in-process one).
  uint64_t threads = 1;

  // --mux[=N]: each stream is a channel of one of N multiplexed connections
  // (vpnkit's wire format), N >= threads: each thread runs channels over
  // its share of them. A bare --mux is one per thread. With --server, serve
  // multiplexed connections.
  uint64_t mux = 0;
  bool json = false;     // summary as one JSON object on standard output
  bool progress = true;  // progress lines on standard error
  bool help = false;

  friend bool operator==(const Options&, const Options&) = default;
};

// The usage text (--help).
extern const char kUsage[];

// Parses argv. Errors say which option is wrong and why.
absl::StatusOr<Options> ParseCommandLine(int argc, const char* const* argv);

// "64K", "1M", "3", "2GiB" → bytes.
absl::StatusOr<uint64_t> ParseSize(absl::string_view text);
// "1-64K", "1M" → range; min <= max.
absl::StatusOr<SizeRange> ParseSizeRange(absl::string_view text);

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_OPTIONS_H_
