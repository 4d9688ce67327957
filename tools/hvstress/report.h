// Report: how hvstress shows a run — progress lines while it runs, and the
// summary at the end as text or as one JSON object.
//
// The JSON object has at least: ok (bool), connections_ok,
// connections_failed, bytes_verified, seconds, and errors (each distinct
// error text → its count); also the seed, the settings, throughput,
// latency percentiles in microseconds and an example of each error.
//
// Formatting only; no IO. Thread-compatible.
#ifndef HVSOCK_TOOLS_HVSTRESS_REPORT_H_
#define HVSOCK_TOOLS_HVSTRESS_REPORT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "tools/hvstress/options.h"
#include "tools/hvstress/stress_run.h"

namespace hvsock::hvstress {

// What the summary says about the run besides its result.
struct RunFacts {
  uint64_t seed = 0;
  std::string target;  // the URI, or "in-process echo server at URI"
};

// "1.00 GiB", "512 KiB", "17 B".
std::string FormatBytes(double bytes);

// One progress line, without a line ending. `rate` is bytes per second.
std::string ProgressLine(const Options& options, const StressResult& result,
                         double rate);

// The summary as lines of text, each ending in '\n'.
std::string SummaryText(const Options& options, const RunFacts& facts,
                        StressResult& result);

// The summary as one JSON object, ending in '\n'.
std::string SummaryJson(const Options& options, const RunFacts& facts,
                        StressResult& result);

// `text` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view text);

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_REPORT_H_
