#!/usr/bin/env bash
# `make demo`: play examples/demo.py for ten seconds and record master to demo.wav.
# Uses the running JACK (or PipeWire) server; starts a private dummy one if there is none.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT INT TERM

if ! jack_lsp >/dev/null 2>&1; then
  name="kr-demo-$$"
  echo "kr: no JACK server is running; starting a private dummy one ($name), so you will not hear this, only demo.wav"
  jackd -n "$name" -d dummy -r 48000 -p 256 >/dev/null 2>&1 &
  jack_pid=$!
  export JACK_DEFAULT_SERVER="$name"
  for _ in $(seq 100); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
fi
port=${KR_PORT:-57140}
# --fresh: the demo plays alone, whatever session was saved last (that one is kept).
"$KR_KRD" --port "$port" --name krd --fresh >/tmp/kr-demo-krd.log 2>&1 &
pids=($! ${jack_pid:-})
for _ in $(seq 100); do jack_lsp 2>/dev/null | grep -q '^krd:master/out_1$' && break; sleep 0.1; done
$PY scripts/record.py --seconds 11 --out demo.wav krd:master/out_1 krd:master/out_2 &
rec=$!
KR_PORT=$port $PY examples/demo.py
wait "$rec"
