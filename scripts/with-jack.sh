#!/usr/bin/env bash
# Run a command against a private dummy JACK server that this script starts and stops.
# The server's name is exported as JACK_DEFAULT_SERVER (and KR_TEST_JACK) for the command.
set -uo pipefail
name="kr-test-$$"
# jackd keeps a slot in its shared-memory registry for every server that died without cleaning
# up (a killed run), frees a slot only when a server of the same name starts again, and refuses
# a ninth server ("Too many servers already active"). With no jackd running, no slot is in use:
# start from an empty registry.
if ! pgrep -x jackd >/dev/null 2>&1; then
  rm -f /dev/shm/jack-shm-registry /dev/shm/jack_sem.* 2>/dev/null || true
fi
# 1024-frame periods: the tests' Python JACK clients (recorders) may wait for the GIL for a few ms
# under load; a short period would turn that into xruns. krd itself is period-independent.
jackd -n "$name" -d dummy -r 48000 -p 1024 >"/tmp/$name.log" 2>&1 &
jack_pid=$!
cleanup() { kill "$jack_pid" 2>/dev/null; wait "$jack_pid" 2>/dev/null; }
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  JACK_DEFAULT_SERVER="$name" jack_lsp >/dev/null 2>&1 && break
  kill -0 "$jack_pid" 2>/dev/null || { echo "jackd failed:"; cat "/tmp/$name.log"; exit 1; }
  sleep 0.1
done
export JACK_DEFAULT_SERVER="$name" KR_TEST_JACK="$name"
"$@"
