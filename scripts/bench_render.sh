#!/usr/bin/env bash
# Time `krd render` of 256 saw→lowpass voices playing for 60 s at 48 kHz (release build):
#   cargo build --release -p kr-host && scripts/bench_render.sh
# Prints the median wall time of 3 renders and the real-time factor.
set -euo pipefail
KRD=${KR_KRD:-target/release/krd}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chord=$(python3 -c 'print(", ".join(str(36 + k % 48) for k in range(256)))')
cat > "$dir/score.yaml" <<YAML
duration: 60
commands:
  - at: 0
    cmd: node_new
    name: pad
    count: 256
    gain: 0.05
    source: |
      import("stdfaust.lib");
      freq = hslider("freq", 110, 20, 2000, 0.01); gate = hslider("gate", 0, 0, 1, 1);
      cutoff = hslider("cutoff", 800, 100, 4000, 1);
      process = os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(en.adsr(0.005, 0.1, 0.6, 0.1, gate)) : *(0.1);
  - at: 0
    cmd: play
    target: pad
    pattern: "[$chord]"
YAML
"$KRD" render "$dir/score.yaml" -o "$dir/warm.wav" 2>/dev/null  # warms the FAUST cache
times=()
for _ in 1 2 3; do
  start=$(date +%s.%N)
  "$KRD" render "$dir/score.yaml" -o "$dir/out.wav" 2>/dev/null
  end=$(date +%s.%N)
  times+=("$(python3 -c "print(round($end - $start, 3))")")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
echo "krd render: 256 voices × 60 s at 48 kHz in ${median} s (median of 3: ${times[*]})"
python3 -c "m = $median; print(f'real-time factor: {60 / m:.1f}x; {m * 1e9 / (256 * 60 * 48000):.2f} ns per voice per sample')"
