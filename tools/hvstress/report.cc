#include "tools/hvstress/report.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hvsock::hvstress {

namespace {

std::string FormatLatency(absl::Duration d) {
  double us = absl::ToDoubleMicroseconds(d);
  if (us < 1000) return absl::StrFormat("%.0fµs", us);
  if (us < 1e6) return absl::StrFormat("%.2fms", us / 1000);
  return absl::StrFormat("%.2fs", us / 1e6);
}

std::string LatencyLine(Latencies& latencies) {
  if (latencies.count() == 0) return "none";
  return absl::StrCat("p50 ", FormatLatency(latencies.Percentile(50)),
                      "  p90 ", FormatLatency(latencies.Percentile(90)),
                      "  p99 ", FormatLatency(latencies.Percentile(99)),
                      "  max ", FormatLatency(latencies.Max()));
}

std::string LatencyJson(Latencies& latencies) {
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
                        StressResult& result) {
  std::string out = absl::StrFormat(
      "hvstress: %s: %d connections verified, %d failed, in %.2fs\n",
      Passed(result) ? "PASS" : "FAIL", result.ok, result.failed,
      Seconds(result));
  absl::StrAppend(
      &out, "  verified    ",
      FormatBytes(static_cast<double>(result.bytes_verified)),
      " echoed and compared (", FormatBytes(Throughput(result)),
      "/s each way)\n");
  absl::StrAppend(&out, "  connect     ", LatencyLine(result.connect), "\n");
  absl::StrAppend(&out, "  round trip  ", LatencyLine(result.round_trip),
                  "  (connected → close completed)\n");
  absl::StrAppend(&out, "  target      ", facts.target, "\n");
  absl::StrAppend(&out, "  replay      hvstress");
  if (!options.uri.empty()) absl::StrAppend(&out, " --uri=", options.uri);
  if (options.connections != std::numeric_limits<uint64_t>::max()) {
    absl::StrAppend(&out, " --connections=", options.connections);
  }
  if (options.duration.has_value()) {
    absl::StrAppend(&out, " --duration=",
                    absl::ToDoubleSeconds(*options.duration));
  }
  absl::StrAppend(&out, " --parallel=", options.parallel, " --bytes=",
                  RangeOption(options.bytes), " --write-size=",
                  RangeOption(options.write_size), " --protocol=",
                  CodecName(options.codec), " --seed=", facts.seed, "\n");
  if (!result.errors.empty()) {
    absl::StrAppend(&out, "  errors:\n");
    for (const auto& [error, entry] : result.errors.entries()) {
      absl::StrAppend(&out, "    ", entry.count, " × ", error);
      if (!entry.example.empty()) {
        absl::StrAppend(&out, "  (first: ", entry.example, ")");
      }
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
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
                        StressResult& result) {
  std::string errors;
  std::string examples;
  for (const auto& [error, entry] : result.errors.entries()) {
    if (!errors.empty()) {
      errors += ",";
      examples += ",";
    }
    absl::StrAppend(&errors, JsonString(error), ":", entry.count);
    absl::StrAppend(&examples, JsonString(error), ":",
                    JsonString(entry.example));
  }
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
      ",\"errors\":{", errors, "}",
      ",\"error_examples\":{", examples, "}",
      ",\"seed\":", facts.seed,
      ",\"target\":", JsonString(facts.target),
      ",\"protocol\":", JsonString(CodecName(options.codec)),
      ",\"parallel\":", options.parallel,
      ",\"bytes_min\":", options.bytes.min,
      ",\"bytes_max\":", options.bytes.max,
      ",\"write_size_min\":", options.write_size.min,
      ",\"write_size_max\":", options.write_size.max, "}\n");
}

}  // namespace hvsock::hvstress
