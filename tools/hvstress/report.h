// Report: how hvstress shows a run — progress lines while it runs, and the
// summary at the end as text or as one JSON object.
//
// The JSON object has at least: ok (bool), connections_ok,
// connections_failed, bytes_verified, seconds, and errors (each kind of
// error → its count); also the seed, the settings, throughput, latency
// percentiles in microseconds, up to ErrorTally::kMaxExamples examples of
// each kind of error (error_examples) and how many were folded
// (error_folded).
//
// The text summary's replay line is a command line that repeats the run:
// every option that changes what the run does (ReplayArguments), so a
// failure, a timeout included, reproduces from it.
//
// Formatting only; no IO. Thread-compatible.
#ifndef HVSOCK_TOOLS_HVSTRESS_REPORT_H_
#define HVSOCK_TOOLS_HVSTRESS_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/hvstress/error_tally.h"
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

// The options that repeat the run of `options` with `seed`, each as
// "--name=value", values as ParseCommandLine reads them back to the same
// Options (times in seconds with their unit, "--close-timeout=0.25s"):
// every option that changes behaviour (not --json or --quiet).
std::vector<std::string> ReplayArguments(const Options& options, uint64_t seed);

// `argument` as one word for a POSIX shell: as it is if it is made of
// characters no shell treats specially, else in single quotes.
std::string ShellWord(absl::string_view argument);

// One error kind of a summary: "COUNT × KIND  (e.g. EXAMPLE; EXAMPLE; and
// N more)".
std::string ErrorLine(absl::string_view kind, const ErrorTally::Entry& entry);

// One progress line, without a line ending. `rate` is bytes per second.
std::string ProgressLine(const Options& options, const StressResult& result,
                         double rate);

// The summary as lines of text, each ending in '\n'.
std::string SummaryText(const Options& options, const RunFacts& facts,
                        const StressResult& result);

// The summary as one JSON object, ending in '\n'.
std::string SummaryJson(const Options& options, const RunFacts& facts,
                        const StressResult& result);

// `text` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view text);

}  // namespace hvsock::hvstress

#endif  // HVSOCK_TOOLS_HVSTRESS_REPORT_H_
