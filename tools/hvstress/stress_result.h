// StressResult: the state of a client run of hvstress, as its progress
// lines and its summary show it: counts of streams started, verified and
// failed, the bytes verified, connect and round-trip latencies, and the
// errors by kind. Every client run (StressRun, MuxStressRun, ClientRun)
// fills one; ThreadedStress adds several up.
//
// A plain value type; thread-compatible.
#ifndef HVSOCK_TOOLS_HVSTRESS_STRESS_RESULT_H_
#define HVSOCK_TOOLS_HVSTRESS_STRESS_RESULT_H_

#include <cstdint>

#include "absl/time/time.h"
#include "tools/hvstress/error_tally.h"
#include "tools/hvstress/latency.h"

namespace hvsock::hvstress {

struct StressResult {
  uint64_t started = 0;  // connect attempts (with --mux: channels opened)
  uint64_t ok = 0;       // verified
  uint64_t failed = 0;
  uint64_t bytes_verified = 0;  // stream bytes echoed and matched, all
                                // connections (each byte went both ways)
  uint64_t active = 0;
  // --mux: the multiplexed transport connections that came up and carried
  // the channels (0 otherwise: each stream is its own connection).
  uint64_t multiplexed_connections = 0;
  absl::Duration elapsed;
  Latencies connect;     // successful connects
  Latencies round_trip;  // verified connections
  ErrorTally errors;
};

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_STRESS_RESULT_H_
