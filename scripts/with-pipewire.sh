#!/usr/bin/env bash
# Run a command against a private headless PipeWire (tests/pipewire.conf) that this script starts
# and stops, with PipeWire's libjack in front (pw-jack): every JACK client the command starts,
# krd included, runs on PipeWire. The server name for JACK clients is exported as KR_TEST_JACK
# and JACK_DEFAULT_SERVER (PipeWire's core name), as scripts/with-jack.sh does for jackd.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base="$(mktemp -d /tmp/kr-pipewire-XXXXXX)"
mkdir -p "$base/run" "$base/conf"
cp "$root/tests/pipewire.conf" "$base/conf/pipewire.conf"
cp /usr/share/pipewire/client.conf /usr/share/pipewire/jack.conf "$base/conf/"
export XDG_RUNTIME_DIR="$base/run" PIPEWIRE_RUNTIME_DIR="$base/run" PIPEWIRE_CONFIG_DIR="$base/conf"
unset JACK_DEFAULT_SERVER
pipewire >"$base/pipewire.log" 2>&1 &
pw_pid=$!
cleanup() { kill "$pw_pid" 2>/dev/null; wait "$pw_pid" 2>/dev/null; rm -rf "$base"; }
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  pw-jack jack_lsp >/dev/null 2>&1 && break
  kill -0 "$pw_pid" 2>/dev/null || { echo "pipewire failed:"; cat "$base/pipewire.log"; exit 1; }
  sleep 0.1
done
export KR_TEST_JACK=pipewire-0 JACK_DEFAULT_SERVER=pipewire-0
pw-jack "$@"
