#!/usr/bin/env bash
# What a decaying reverb tail costs against a steady signal: 48 nodes of `re.mono_freeverb`, 60 s
# rendered by `krd render`, fed either a 0.5 s filtered noise burst (the tails decay into denormal
# floats unless they are flushed to zero) or a steady tone. CPU seconds (user + sys), interleaved.
#   cargo build --release -p kr-host && scripts/bench_denormals.sh [runs] [krd]
set -euo pipefail
runs=${1:-3}
KRD=${2:-${KR_KRD:-target/release/krd}}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
score() {  # $1: the reverb's input
  echo "duration: 60"
  echo "commands:"
  for i in $(seq 0 47); do
    cat <<YAML
  - at: 0
    cmd: node_new
    name: verb$i
    gain: 0.02
    source: |
      import("stdfaust.lib");
      process = $1 : re.mono_freeverb(0.84, 0.5, 0.2, 23);
YAML
  done
}
score 'no.noise : fi.lowpass(2, 2000) : *(ba.time < 24000)' > "$dir/burst.yaml"
score 'os.osc(440) * 0.1' > "$dir/tone.yaml"
cpu() {  # CPU seconds of one render
  /usr/bin/time -f '%U %S' -o "$dir/time" "$KRD" render "$1" -o "$dir/out.wav" 2>/dev/null >/dev/null
  awk '{ print $1 + $2 }' "$dir/time"
}
cpu "$dir/burst.yaml" >/dev/null  # warms the FAUST cache
cpu "$dir/tone.yaml" >/dev/null
burst=() tone=()
for _ in $(seq "$runs"); do
  burst+=("$(cpu "$dir/burst.yaml")")
  tone+=("$(cpu "$dir/tone.yaml")")
done
stats() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { printf "min %.2f s, median %.2f s", a[1], a[int((NR + 1) / 2)] }'; }
echo "48 × re.mono_freeverb, 60 s at 48 kHz, $runs runs, CPU seconds ($KRD)"
echo "  after a burst (decaying tails): $(stats "${burst[@]}")  [${burst[*]}]"
echo "  fed a steady tone:              $(stats "${tone[@]}")  [${tone[*]}]"
