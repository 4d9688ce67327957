#!/usr/bin/env bash
# End-to-end test of hvcat.exe under Wine, over TCP loopback (the Winsock
# data path is the one AF_HYPERV uses). Run by ctest (CMakeLists.txt) from
# tools/test-windows:
#
#   tools/hvcat/wine_test.sh path/to/hvcat.exe path/to/wine64
#
# hvcat.exe must be built with tcp:// accepted (HVSOCK_HVCAT_TCP). Two
# hvcat.exe talk to each other in both codecs: a listener and a client, each
# with a file on standard input. The listener's input is held back until it
# has received the client's whole file, so the client has already closed its
# write side (half-close) when the listener's bytes flow back. Then: a
# refused connect, a socket family Wine lacks (AF_HYPERV), and usage errors,
# each with its documented exit status and one line on standard error.
#
# Every wait is bounded.
set -uo pipefail
hvcat="$1"
wine="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
patience=60  # seconds, for any one hvcat.exe

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# Prints "ok: ..." unless a check failed since the last ok.
reported=0
ok() {
  ((failures > reported)) || echo "ok: $*"
  reported=$failures
}
hvcat() { timeout "$patience" "$wine" "$hvcat" "$@"; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
lines_of() { wc -l <"$1"; }

# Waits until file $1 holds at least $2 bytes (false after $patience s).
wait_for_size() {
  local deadline=$((SECONDS + patience))
  while (($(size_of "$1") < $2)); do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# Waits until the listener's standard error ($1) names its port; prints it.
listening_port() {
  local deadline=$((SECONDS + patience))
  while ! grep -q '^hvcat: listening on tcp://127.0.0.1:' "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
  sed -n 's|^hvcat: listening on tcp://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$1"
}

head -c $((3 << 20)) /dev/urandom >"$work/client.in"
head -c $((1 << 20)) /dev/urandom >"$work/listener.in"
client_size=$(size_of "$work/client.in")
last_port=""

# ── Both codecs: a file each way, the listener answering after our EOF ──
for codec in native framed; do
  d="$work/$codec"
  mkdir "$d"
  mkfifo "$d/listener.fifo"
  # The listener's input: nothing until the client's whole file arrived.
  (wait_for_size "$d/listener.out" "$client_size" &&
    cat "$work/listener.in") >"$d/listener.fifo" &
  feeder=$!
  hvcat -l --protocol="$codec" tcp://127.0.0.1:0 <"$d/listener.fifo" \
    >"$d/listener.out" 2>"$d/listener.err" &
  listener=$!
  if ! port="$(listening_port "$d/listener.err")"; then
    fail "$codec: the listener did not say where it listens"
    cat "$d/listener.err"
    kill "$listener" "$feeder" 2>/dev/null
    wait
    continue
  fi
  last_port="$port"
  hvcat --protocol="$codec" "tcp://127.0.0.1:$port" <"$work/client.in" \
    >"$d/client.out" 2>"$d/client.err"
  client_exit=$?
  wait "$listener"
  listener_exit=$?
  wait "$feeder"
  [[ $client_exit -eq 0 ]] || fail "$codec: client exit $client_exit: $(cat "$d/client.err")"
  [[ $listener_exit -eq 0 ]] || fail "$codec: listener exit $listener_exit: $(cat "$d/listener.err")"
  [[ ! -s "$d/client.err" ]] || fail "$codec: client complained: $(cat "$d/client.err")"
  [[ $(lines_of "$d/listener.err") -eq 1 ]] ||
    fail "$codec: listener said more than where it listens: $(cat "$d/listener.err")"
  cmp -s "$work/client.in" "$d/listener.out" ||
    fail "$codec: the listener received $(size_of "$d/listener.out") bytes, not the client's $client_size"
  cmp -s "$work/listener.in" "$d/client.out" ||
    fail "$codec: the client received $(size_of "$d/client.out") bytes, not the listener's $(size_of "$work/listener.in")"
  ok "$codec: 3 MiB one way, then 1 MiB back after the client's half-close; both exit 0"
done

# ── A close that times out; the peer exits with its input still open ────
# The listener's standard input never ends (its reader thread stays blocked
# in ReadFile), so it never closes: the client's close times out (exit 1),
# the client aborts, and the listener reports the reset (exit 1) at once,
# its blocked reader thread notwithstanding. Framed: the client's end is a
# ShutdownWrite message, not a FIN, so the listener still has a receive in
# flight when the reset comes. (Native: after the peer's FIN nothing is in
# flight while the listener has nothing to send, so Winsock reports the
# reset only at its next send; see backends/winsock/README.md.)
d="$work/timeout"
mkdir "$d"
mkfifo "$d/held.fifo"
sleep "$patience" >"$d/held.fifo" &
holder=$!
hvcat -l --protocol=framed tcp://127.0.0.1:0 <"$d/held.fifo" >"$d/listener.out" \
  2>"$d/listener.err" &
listener=$!
if port="$(listening_port "$d/listener.err")"; then
  printf 'bye' | hvcat --protocol=framed --close-timeout=0.3 "tcp://127.0.0.1:$port" \
    >"$d/client.out" 2>"$d/client.err"
  client_exit=$?
  started=$SECONDS
  wait "$listener"
  listener_exit=$?
  [[ $client_exit -eq 1 ]] || fail "close timeout: client exit $client_exit, expected 1"
  [[ "$(cat "$d/client.err")" == "hvcat: close timed out: close made no progress for 300ms (state CloseWait); the flow was aborted" ]] ||
    fail "close timeout: client said: $(cat "$d/client.err")"
  [[ $listener_exit -eq 1 ]] || fail "close timeout: listener exit $listener_exit, expected 1"
  [[ "$(cat "$d/listener.out")" == "bye" ]] || fail "close timeout: listener wrote \"$(cat "$d/listener.out")\""
  [[ $(lines_of "$d/listener.err") -eq 2 ]] &&
    grep -q '^hvcat: reset: ' "$d/listener.err" ||
    fail "close timeout: listener said: $(cat "$d/listener.err")"
  ((SECONDS - started < 10)) || fail "close timeout: the listener took $((SECONDS - started)) s to exit"
  ok "close timeout: client exit 1 ($(cat "$d/client.err")); listener exit 1 ($(tail -n1 "$d/listener.err")) with its input still open"
else
  fail "close timeout: the listener did not say where it listens"
  kill "$listener" 2>/dev/null
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# ── A refused connect: exit 3 and one line ──────────────────────────────
# The last listener's port: nothing listens there any more.
if [[ -n "$last_port" ]]; then
  hvcat "tcp://127.0.0.1:$last_port" </dev/null >"$work/refused.out" \
    2>"$work/refused.err"
  code=$?
  [[ $code -eq 3 ]] || fail "refused: exit $code, expected 3"
  [[ $(lines_of "$work/refused.err") -eq 1 ]] || fail "refused: not one line: $(cat "$work/refused.err")"
  # The same words as on Linux (backends/retry_policy.h).
  grep -q "^hvcat: connect tcp://127.0.0.1:$last_port: connection refused (nothing listens there)$" \
    "$work/refused.err" || fail "refused: unexpected message: $(cat "$work/refused.err")"
  ok "refused: exit 3, $(cat "$work/refused.err")"
fi

# ── AF_HYPERV, which Wine lacks: a clear error, exit 3 ──────────────────
hvcat hvsock://parent/5000 </dev/null >"$work/hyperv.out" 2>"$work/hyperv.err"
code=$?
[[ $code -eq 3 ]] || fail "hvsock: exit $code, expected 3"
[[ $(lines_of "$work/hyperv.err") -eq 1 ]] || fail "hvsock: not one line: $(cat "$work/hyperv.err")"
grep -q 'WSAEAFNOSUPPORT' "$work/hyperv.err" || fail "hvsock: unexpected message: $(cat "$work/hyperv.err")"
ok "hvsock://parent/5000: exit 3, $(cat "$work/hyperv.err")"

# ── Usage: exit 2 and one line ──────────────────────────────────────────
check_usage() {
  local expected="$1"
  shift
  hvcat "$@" </dev/null >"$work/usage.out" 2>"$work/usage.err"
  local code=$?
  [[ $code -eq 2 ]] || fail "usage $*: exit $code, expected 2"
  [[ $(lines_of "$work/usage.err") -eq 1 ]] || fail "usage $*: not one line: $(cat "$work/usage.err")"
  grep -qF -- "$expected" "$work/usage.err" || fail "usage $*: no \"$expected\" in: $(cat "$work/usage.err")"
  ok "usage $*: $(cat "$work/usage.err")"
}
check_usage 'bad URI "tcp://10.0.0.1:80" at column 7: expected the loopback address 127.0.0.1' \
  tcp://10.0.0.1:80
check_usage 'at column 17: TCP port "65536" is out of range' tcp://127.0.0.1:65536
check_usage "vsock://2:80 needs Linux (vsock:// names an AF_VSOCK socket); on Windows the schemes are hvsock://" \
  vsock://2:80
check_usage "hybrid-vsock:///run/v.sock:52 needs Linux" hybrid-vsock:///run/v.sock:52
check_usage "hyperkit:///vms/0:80 needs Linux" hyperkit:///vms/0:80
check_usage 'at column 10: VMID "nowhere" is neither a GUID nor one of' hvsock://nowhere/80
check_usage '--protocol: "tcp" is not native or framed' --protocol=tcp tcp://127.0.0.1:1
hvcat --help </dev/null >"$work/help.out" 2>&1
code=$?
[[ $code -eq 0 ]] && grep -q 'hvsock://VMID/SERVICEID' "$work/help.out" ||
  fail "--help: exit $code: $(cat "$work/help.out")"

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "all hvcat.exe checks passed"
