#!/usr/bin/env bash
# Runs an example echo server on a Unix socket in the test's private
# directory and checks it with hvstress: every flow's echo must come back
# byte for byte, end with a clean Eof and complete its close, while many
# flows run at once (so the loop juggles connections, backpressure and
# closes). The server must still be serving afterwards.
#
#   echo_server_test.sh SERVER HVSTRESS
set -euo pipefail
server="$1"
hvstress="$2"
# /tmp, not TEST_TMPDIR: a Unix socket path must fit in 108 bytes.
dir="$(mktemp -d /tmp/hvsock-echo.XXXXXX)"
socket="$dir/echo.sock"

"$server" "unix://$socket" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

# Bounded wait for the listener (the server binds before serving).
for _ in $(seq 100); do
  [[ -S "$socket" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "server exited early" >&2; exit 1; }
  sleep 0.1
done
[[ -S "$socket" ]] || { echo "no socket at $socket after 10 s" >&2; exit 1; }

# Large streams in small and large writes (backpressure both ways), then
# many small ones (many accepts and closes).
"$hvstress" --uri "unix://$socket" --connections=200 --parallel=32 \
  --bytes=0-1M --write-size=1-64K --quiet
"$hvstress" --uri "unix://$socket" --connections=1000 --parallel=64 \
  --bytes=0-4K --write-size=1-1K --quiet

kill -0 "$server_pid" 2>/dev/null || { echo "the server died" >&2; exit 1; }
echo "PASS: $(basename "$server") echoed every hvstress flow"
