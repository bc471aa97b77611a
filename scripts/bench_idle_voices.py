"""What skipping idle voices saves: CPU seconds of `krd render` with idle voices skipped (the
default) and with every voice computed (`engine.skip_idle_voices: false`), side by side.

  make build-release && .venv/bin/python scripts/bench_idle_voices.py [--runs N] [--seconds S]

Workloads, each one node of VOICES saw -> lowpass -> ADSR voices for SECONDS at 48 kHz:
- sparse: a melody of 8 notes a cycle (a couple of voices sounding, the rest idle);
- chord: every voice plays a chord each cycle, gate up half of it, then a 0.1 s release;
- drone: the same voice without a gate (never idles: what the check itself costs).
Runs are interleaved; CPU time is user + system of the krd process (getrusage).

With `--lanes`, the same workloads with idle voices skipped, voices in lanes (8 voices per FAUST
instance, the default) against one instance per voice (`engine.voice_lanes: false`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench_vs_scsynth import cpu_seconds

RATE = 48000

ADSR_VOICE = """import("stdfaust.lib");
freq = hslider("freq", 110, 20, 2000, 0.01); gate = hslider("gate", 0, 0, 1, 1);
process = os.sawtooth(freq) : fi.lowpass(2, 800) : *(en.adsr(0.005, 0.1, 0.6, 0.1, gate)) : *(0.1);
"""

DRONE_VOICE = """import("stdfaust.lib");
freq = hslider("freq", 110, 20, 2000, 0.01);
process = os.sawtooth(freq) : fi.lowpass(2, 800) : *(0.06);
"""


def score(source: str, pattern: str, voices: int, seconds: float) -> str:
    commands = [
        {
            "at": 0,
            "cmd": "node_new",
            "name": "pad",
            "count": voices,
            "gain": 0.05,
            "source": source,
        },
        {"at": 0, "cmd": "play", "target": "pad", "pattern": pattern},
    ]
    return json.dumps({"duration": seconds, "commands": commands})


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--voices", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--krd", default=os.environ.get("KR_KRD", "target/release/krd"))
    ap.add_argument("--lanes", action="store_true", help="compare voices in lanes, not skipping")
    args = ap.parse_args()
    setting = "voice_lanes" if args.lanes else "skip_idle_voices"
    labels = (
        ("one instance per voice", "voices in lanes")
        if args.lanes
        else (
            "every voice computed",
            "idle voices skipped",
        )
    )

    chord = ", ".join(str(36 + k % 48) for k in range(args.voices))
    workloads = {
        "sparse": score(ADSR_VOICE, "c3 e3 g3 b3 d4 f4 a4 c5", args.voices, args.seconds),
        "chord": score(ADSR_VOICE, f"[{chord}]", args.voices, args.seconds),
        "drone": score(DRONE_VOICE, f"[{chord}]", args.voices, args.seconds),
    }
    work = Path(tempfile.mkdtemp(prefix="kr-bench-idle-"))
    configs = {}
    for skip in (True, False):
        configs[skip] = work / f"skip-{skip}.yaml"
        configs[skip].write_text(f"engine:\n  {setting}: {str(skip).lower()}\n")
    runs: dict[tuple[str, bool], list[str]] = {}
    for name, text in workloads.items():
        (work / f"{name}.yaml").write_text(text)
        for skip in (True, False):
            runs[(name, skip)] = [
                args.krd,
                "--config",
                str(configs[skip]),
                "render",
                str(work / f"{name}.yaml"),
                "-o",
                str(work / f"{name}-{skip}.wav"),
            ]
    for command in runs.values():  # warm up: FAUST cache, page cache
        cpu_seconds(command)
    times: dict[tuple[str, bool], list[float]] = {k: [] for k in runs}
    for r in range(args.runs):
        for key, command in runs.items():
            spent = cpu_seconds(command)
            times[key].append(spent)
            print(
                f"round {r + 1}/{args.runs}: {key[0]}, {setting}={key[1]}: {spent:.2f} CPU s",
                file=sys.stderr,
            )

    samples = args.voices * args.seconds * RATE
    print(
        f"{args.voices} voices x {args.seconds:g} s at 48 kHz, CPU seconds (min / median of "
        f"{args.runs}), ns per voice per sample (min)"
    )
    print(f"| workload | {labels[0]} | {labels[1]} | ratio |")
    print("|---|---|---|---|")
    for name in workloads:
        on, off = times[(name, True)], times[(name, False)]
        print(
            f"| {name} | {min(off):.2f} / {statistics.median(off):.2f} s "
            f"({min(off) * 1e9 / samples:.2f} ns) "
            f"| {min(on):.2f} / {statistics.median(on):.2f} s ({min(on) * 1e9 / samples:.2f} ns) "
            f"| {min(on) / min(off):.2f} |"
        )


if __name__ == "__main__":
    main()
