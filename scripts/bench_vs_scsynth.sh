#!/usr/bin/env bash
# kr against SuperCollider's scsynth, side by side on this machine: 256 saw→lowpass(1200)→×0.1
# voices for 60 s at 48 kHz rendered offline by scsynth (NRT) and by `krd render` (hand-written
# FAUST as one node of 256 voices and as 256 nodes; the voice written in krs), interleaved,
# CPU seconds (user + sys), minimum and median of N runs, with the ratio to scsynth.
#   make build-release && scripts/bench_vs_scsynth.sh [--runs N] [--voices V] [--seconds S]
# With --realtime first: both servers play 0..1024 voices live on a private dummy JACK server
# instead, and the CPU load of the krd and scsynth processes gives the slope per voice
# (scripts/bench_rt_vs_scsynth.py; --voices 0,256,512,1024 --seconds 5).
# Installs the Debian package `supercollider-server` when scsynth is missing (for this
# benchmark only: no test needs it). Run it on a quiet machine: the ratios are what counts.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v scsynth >/dev/null; then
  echo "installing supercollider-server (scsynth) for the benchmark" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends supercollider-server >/dev/null \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends supercollider-server >/dev/null; }
fi
KRD=${KR_KRD:-target/release/krd}
[ -x "$KRD" ] || { echo "no $KRD: run 'make build-release' first (or set KR_KRD)" >&2; exit 1; }
[ -x .venv/bin/python ] || { echo "no .venv: run 'make build-release' first" >&2; exit 1; }
if [ "${1:-}" = "--realtime" ]; then
  shift
  exec .venv/bin/python scripts/bench_rt_vs_scsynth.py --krd "$KRD" "$@"
fi
exec .venv/bin/python scripts/bench_vs_scsynth.py --krd "$KRD" "$@"
