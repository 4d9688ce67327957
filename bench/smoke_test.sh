#!/usr/bin/env bash
# Runs each benchmark binary for a single short iteration of every
# benchmark, so the suites keep building and running. Each argument is
# BINARY:COUNTER; the run must succeed and report COUNTER (the suite's
# ratio). Nothing about time is checked: benchmarks are not tests.
set -euo pipefail

for spec in "$@"; do
  binary="${spec%%:*}"
  counter="${spec##*:}"
  name="$(basename "$binary")"
  out="${TEST_TMPDIR:-/tmp}/$name.json"
  echo "== $name"
  if ! "$binary" --benchmark_min_time=0 --benchmark_format=json \
      --benchmark_out="$out" --benchmark_out_format=json >/dev/null; then
    echo "FAIL: $name exited with an error" >&2
    exit 1
  fi
  if ! grep -q "\"$counter\"" "$out"; then
    echo "FAIL: $name did not report $counter" >&2
    exit 1
  fi
  grep -c '"run_name"' "$out" | sed "s/^/$name: benchmarks run: /"
done
echo "PASS"
