#include "tools/hvstress/report.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "tools/option_values.h"

namespace hvsock::hvstress {

namespace {

std::string FormatLatency(absl::Duration d) {
  double us = absl::ToDoubleMicroseconds(d);
  if (us < 1000) return absl::StrFormat("%.0fµs", us);
  if (us < 1e6) return absl::StrFormat("%.2fms", us / 1000);
  return absl::StrFormat("%.2fs", us / 1e6);
}

std::string LatencyLine(const Latencies& latencies) {
  if (latencies.count() == 0) return "none";
  return absl::StrCat("p50 ", FormatLatency(latencies.Percentile(50)), "  p90 ",
                      FormatLatency(latencies.Percentile(90)), "  p99 ",
                      FormatLatency(latencies.Percentile(99)), "  max ",
                      FormatLatency(latencies.Max()));
}

std::string LatencyJson(const Latencies& latencies) {
  auto us = [&](double p) {
    return absl::StrFormat("%.1f",
                           absl::ToDoubleMicroseconds(latencies.Percentile(p)));
  };
  return absl::StrCat("{\"count\":", latencies.count(), ",\"p50\":", us(50),
                      ",\"p90\":", us(90), ",\"p99\":", us(99),
                      ",\"max\":", us(100), "}");
}

// A size as the command line takes it, exactly: "2M", "64K", "1000".
std::string SizeOption(uint64_t bytes) {
  static const char* const kUnits[] = {"", "K", "M", "G"};
  int unit = 0;
  while (unit < 3 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrCat(bytes, kUnits[unit]);
}

std::string RangeOption(const SizeRange& range) {
  if (range.min == range.max) return SizeOption(range.min);
  return absl::StrCat(SizeOption(range.min), "-", SizeOption(range.max));
}

double Seconds(const StressResult& result) {
  return absl::ToDoubleSeconds(result.elapsed);
}

double Throughput(const StressResult& result) {
  double seconds = Seconds(result);
  return seconds > 0 ? static_cast<double>(result.bytes_verified) / seconds : 0;
}

bool Passed(const StressResult& result) {
  return result.failed == 0 && result.ok > 0 && result.errors.empty();
}

}  // namespace

std::vector<std::string> ReplayArguments(const Options& options,
                                         uint64_t seed) {
  std::vector<std::string> arguments;
  if (!options.uri.empty()) arguments.push_back("--uri=" + options.uri);
  if (options.connections != std::numeric_limits<uint64_t>::max()) {
    arguments.push_back(absl::StrCat("--connections=", options.connections));
  }
  if (options.duration.has_value()) {
    arguments.push_back(absl::StrCat(
        "--duration=", tools::FormatSeconds(*options.duration), "s"));
  }
  arguments.push_back(absl::StrCat("--parallel=", options.parallel));
  // How the streams are carried: a failure with --mux (and its split over
  // threads) may not reproduce without it.
  if (options.threads > 1) {
    arguments.push_back(absl::StrCat("--threads=", options.threads));
  }
  if (options.mux > 0) arguments.push_back(absl::StrCat("--mux=", options.mux));
  arguments.push_back(absl::StrCat("--bytes=", RangeOption(options.bytes)));
  arguments.push_back(
      absl::StrCat("--write-size=", RangeOption(options.write_size)));
  arguments.push_back(absl::StrCat("--protocol=", CodecName(options.codec)));
  arguments.push_back(absl::StrCat(
      "--connect-timeout=", tools::FormatSeconds(options.connect_timeout),
      "s"));
  arguments.push_back(absl::StrCat(
      "--close-timeout=", tools::FormatSeconds(options.close_timeout), "s"));
  arguments.push_back(absl::StrCat(
      "--idle-timeout=", tools::FormatSeconds(options.idle_timeout), "s"));
  arguments.push_back(absl::StrCat("--seed=", seed));
  return arguments;
}

std::string ShellWord(absl::string_view argument) {
  bool plain = !argument.empty();
  for (char c : argument) {
    plain = plain && (absl::ascii_isalnum(c) ||
                      absl::string_view("-_=/:.,@%+").find(c) !=
                          absl::string_view::npos);
  }
  if (plain) return std::string(argument);
  return absl::StrCat("'", absl::StrReplaceAll(argument, {{"'", "'\\''"}}),
                      "'");
}

std::string ErrorLine(absl::string_view kind, const ErrorTally::Entry& entry) {
  std::string line = absl::StrCat(entry.count, " × ", kind);
  if (entry.examples.empty()) return line;
  absl::StrAppend(&line, "  (e.g. ", absl::StrJoin(entry.examples, "; "));
  if (entry.folded > 0) absl::StrAppend(&line, "; and ", entry.folded, " more");
  absl::StrAppend(&line, ")");
  return line;
}

std::string FormatBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return absl::StrFormat("%.0f B", bytes);
  return absl::StrFormat(bytes < 10 ? "%.2f %s" : "%.1f %s", bytes,
                         kUnits[unit]);
}

std::string ProgressLine(const Options& options, const StressResult& result,
                         double rate) {
  std::string done = absl::StrCat(result.ok + result.failed);
  if (options.connections != std::numeric_limits<uint64_t>::max()) {
    absl::StrAppend(&done, "/", options.connections);
  }
  return absl::StrFormat(
      "hvstress: %5.1fs  %s connections  %d failed  %d open  %s verified  "
      "%s/s",
      Seconds(result), done, result.failed, result.active,
      FormatBytes(static_cast<double>(result.bytes_verified)),
      FormatBytes(rate));
}

std::string SummaryText(const Options& options, const RunFacts& facts,
                        const StressResult& result) {
  std::string out = absl::StrFormat(
      "hvstress: %s: %d connections verified, %d failed, in %.2fs\n",
      Passed(result) ? "PASS" : "FAIL", result.ok, result.failed,
      Seconds(result));
  absl::StrAppend(&out, "  verified    ",
                  FormatBytes(static_cast<double>(result.bytes_verified)),
                  " echoed and compared (", FormatBytes(Throughput(result)),
                  "/s each way)\n");
  absl::StrAppend(&out, "  connect     ", LatencyLine(result.connect), "\n");
  absl::StrAppend(&out, "  round trip  ", LatencyLine(result.round_trip),
                  "  (connected → close completed)\n");
  absl::StrAppend(&out, "  target      ", facts.target, "\n");
  absl::StrAppend(&out, "  replay      hvstress");
  for (const std::string& argument : ReplayArguments(options, facts.seed)) {
    absl::StrAppend(&out, " ", ShellWord(argument));
  }
  absl::StrAppend(&out, "\n");
  if (!result.errors.empty()) {
    absl::StrAppend(&out, "  errors:\n");
    for (const auto& [kind, entry] : result.errors.entries()) {
      absl::StrAppend(&out, "    ", ErrorLine(kind, entry), "\n");
    }
  }
  return out;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += ch;  // UTF-8 passes through
        }
    }
  }
  out += "\"";
  return out;
}

std::string SummaryJson(const Options& options, const RunFacts& facts,
                        const StressResult& result) {
  std::string errors;
  std::string examples;
  std::string folded;
  for (const auto& [kind, entry] : result.errors.entries()) {
    if (!errors.empty()) {
      errors += ",";
      examples += ",";
      folded += ",";
    }
    absl::StrAppend(&errors, JsonString(kind), ":", entry.count);
    absl::StrAppend(&examples, JsonString(kind), ":[",
                    absl::StrJoin(entry.examples, ",",
                                  [](std::string* out, const std::string& e) {
                                    out->append(JsonString(e));
                                  }),
                    "]");
    absl::StrAppend(&folded, JsonString(kind), ":", entry.folded);
  }
  auto seconds = [](absl::Duration d) {
    return tools::FormatSeconds(d);  // a JSON number too
  };
  return absl::StrCat(
      "{\"ok\":", Passed(result) ? "true" : "false",
      ",\"connections_ok\":", result.ok,
      ",\"connections_failed\":", result.failed,
      ",\"connections_started\":", result.started,
      ",\"bytes_verified\":", result.bytes_verified,
      ",\"seconds\":", absl::StrFormat("%.3f", Seconds(result)),
      ",\"bytes_per_second\":", absl::StrFormat("%.0f", Throughput(result)),
      ",\"connect_latency_us\":", LatencyJson(result.connect),
      ",\"round_trip_latency_us\":", LatencyJson(result.round_trip),
      ",\"errors\":{", errors, "}", ",\"error_examples\":{", examples, "}",
      ",\"error_folded\":{", folded, "}", ",\"seed\":", facts.seed,
      ",\"target\":", JsonString(facts.target),
      ",\"protocol\":", JsonString(CodecName(options.codec)),
      ",\"parallel\":", options.parallel, ",\"threads\":", options.threads,
      options.mux > 0 ? absl::StrCat(",\"multiplexed_connections\":",
                                     result.multiplexed_connections)
                      : "",
      ",\"bytes_min\":", options.bytes.min,
      ",\"bytes_max\":", options.bytes.max,
      ",\"write_size_min\":", options.write_size.min,
      ",\"write_size_max\":", options.write_size.max,
      ",\"connect_timeout_seconds\":", seconds(options.connect_timeout),
      ",\"close_timeout_seconds\":", seconds(options.close_timeout),
      ",\"idle_timeout_seconds\":", seconds(options.idle_timeout),
      options.duration.has_value()
          ? absl::StrCat(",\"duration_seconds\":", seconds(*options.duration))
          : "",
      ",\"replay\":[",
      absl::StrJoin(ReplayArguments(options, facts.seed), ",",
                    [](std::string* out, const std::string& argument) {
                      out->append(JsonString(argument));
                    }),
      "]}\n");
}

}  // namespace hvsock::hvstress
