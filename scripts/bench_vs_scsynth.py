"""kr against scsynth on one workload, side by side: CPU seconds of offline renders.

Run through `scripts/bench_vs_scsynth.sh` (it installs scsynth and checks the release krd).
The workload: VOICES saw -> lowpass(1200) -> x0.1 voices for SECONDS at 48 kHz. scsynth renders
it in NRT mode from a SynthDef and a score this file writes in their binary formats (so the
benchmark needs neither sclang nor any SuperCollider package beyond the server); krd renders the
same voices as a `krd render` score, in each variant below. Runs are interleaved (one run of
every variant per round) so that a change in the machine's load hits all variants alike; the
CPU time of each run is the user + system time of the process and its children (getrusage).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

RATE = 48000
CUTOFF = 1200.0
LEVEL = 0.1


def midi_hz(m: float) -> float:
    return float(440.0 * 2.0 ** ((m - 69.0) / 12.0))


def voice_freqs(n: int) -> list[float]:
    """The voices' pitches: MIDI 36..83, cycling (as scripts/bench_render.sh)."""
    return [midi_hz(36 + k % 48) for k in range(n)]


# --- scsynth: SynthDef (SCgf version 2) and NRT score (length-prefixed OSC bundles) -------------


def _pstring(s: str) -> bytes:
    b = s.encode()
    return struct.pack(">B", len(b)) + b


Ugen = tuple[str, int, list[tuple[int, int]], int, int]
"""A UGen: class, rate, inputs as (ugen, output) or (-1, constant index), outputs, special index."""
AUDIO, CONTROL = 2, 1


def synthdef(name: str, constants: list[float], ugens: list[Ugen]) -> bytes:
    """A SynthDef file (SCgf version 2) of one def with one parameter, `freq` (default 440)."""
    d = _pstring(name)
    d += struct.pack(">i", len(constants)) + b"".join(struct.pack(">f", c) for c in constants)
    d += struct.pack(">i", 1) + struct.pack(">f", 440.0)  # one parameter, its initial value
    d += struct.pack(">i", 1) + _pstring("freq") + struct.pack(">i", 0)
    d += struct.pack(">i", len(ugens))
    for cls, rate, inputs, outputs, special in ugens:
        d += _pstring(cls) + struct.pack(">biih", rate, len(inputs), outputs, special)
        for u, o in inputs:
            d += struct.pack(">ii", u, o)
        d += struct.pack(">b", rate) * outputs
    d += struct.pack(">h", 0)  # no variants
    return b"SCgf" + struct.pack(">ih", 2, 1) + d


def voice_synthdef(name: str) -> bytes:
    """`SynthDef(name, { |freq = 440| Out.ar(0, LPF.ar(Saw.ar(freq), 1200) * 0.1) })`."""
    constants = [CUTOFF, LEVEL, 0.0]
    k = {v: i for i, v in enumerate(constants)}
    return synthdef(
        name,
        constants,
        [
            ("Control", CONTROL, [], 1, 0),
            ("Saw", AUDIO, [(0, 0)], 1, 0),
            ("LPF", AUDIO, [(1, 0), (-1, k[CUTOFF])], 1, 0),
            ("BinaryOpUGen", AUDIO, [(2, 0), (-1, k[LEVEL])], 1, 2),  # special index 2: multiply
            ("Out", AUDIO, [(-1, k[0.0]), (3, 0)], 0, 0),
        ],
    )


def _osc_string(s: str) -> bytes:
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc_message(address: str, *args: object) -> bytes:
    tags, data = ",", b""
    for a in args:
        if isinstance(a, int):
            tags, data = tags + "i", data + struct.pack(">i", a)
        elif isinstance(a, float):
            tags, data = tags + "f", data + struct.pack(">f", a)
        elif isinstance(a, str):
            tags, data = tags + "s", data + _osc_string(a)
        elif isinstance(a, bytes):
            tags, data = tags + "b", data + struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4)
        else:
            raise TypeError(f"OSC argument {a!r}")
    return _osc_string(address) + _osc_string(tags) + data


def osc_bundle(seconds: float, messages: list[bytes]) -> bytes:
    whole = int(seconds)
    frac = int((seconds - whole) * 2**32)
    body = _osc_string("#bundle") + struct.pack(">II", whole, frac)
    for m in messages:
        body += struct.pack(">i", len(m)) + m
    return struct.pack(">i", len(body)) + body


def scsynth_score(voices: int, seconds: float) -> bytes:
    name = "kr_bench_voice"
    start = [osc_message("/d_recv", voice_synthdef(name))]
    notes = [
        osc_message("/s_new", name, 1000 + i, 0, 0, "freq", f)
        for i, f in enumerate(voice_freqs(voices))
    ]
    # The last bundle marks the end of the render.
    return (
        osc_bundle(0.0, start)
        + osc_bundle(0.0, notes)
        + osc_bundle(seconds, [osc_message("/c_set", 0, 0.0)])
    )


# --- kr: `krd render` scores ---------------------------------------------------------------------

HAND_VOICE = (
    'import("stdfaust.lib");\n'
    'freq = hslider("freq", 440, 20, 20000, 0.001);\n'
    f"process = os.sawtooth(freq) : fi.lowpass(2, {CUTOFF}) : *({LEVEL});\n"
)


def krs_voice_source() -> str:
    """The FAUST that the krs library makes of the voice users write."""
    from kr import krs

    def voice() -> krs.Signal:
        freq = krs.control("freq", 440.0, 20.0, 20000.0)
        return krs.lowpass(krs.saw(freq), CUTOFF) * LEVEL

    return krs.faust_source(voice)


def poly_score(source: str, voices: int, seconds: float) -> str:
    """One node of `voices` voices, each holding one pitch (a chord of MIDI notes, every cycle)."""
    chord = ", ".join(str(36 + k % 48) for k in range(voices))
    commands = [
        {"at": 0, "cmd": "node_new", "name": "pad", "count": voices, "gain": 1.0, "source": source},
        {"at": 0, "cmd": "play", "target": "pad", "pattern": f"[{chord}]"},
    ]
    return json.dumps({"duration": seconds, "commands": commands})


def nodes_score(source: str, voices: int, seconds: float) -> str:
    """`voices` nodes of one voice each, pitches set once."""
    commands: list[dict[str, object]] = []
    for i, f in enumerate(voice_freqs(voices)):
        commands.append(
            {"at": 0, "cmd": "node_new", "name": f"v{i}", "count": 1, "gain": 1.0, "source": source}
        )
        commands.append({"at": 0, "cmd": "set", "path": f"v{i}/freq", "value": f})
    return json.dumps({"duration": seconds, "commands": commands})


# --- running and timing ---------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    command: list[str]


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU seconds of `command` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3, help="runs of each variant (default 3)")
    ap.add_argument("--voices", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--krd", default=os.environ.get("KR_KRD", "target/release/krd"))
    ap.add_argument("--scsynth", default="scsynth")
    ap.add_argument("--only", help="comma-separated variant numbers to run (scsynth always runs)")
    ap.add_argument(
        "--dsp",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="one more variant: the voice in a FAUST file (a `freq` control), as one node",
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kr-bench-"))
    (work / "score.osc").write_bytes(scsynth_score(args.voices, args.seconds))
    sc = [
        args.scsynth,
        "-N",
        str(work / "score.osc"),
        "_",
        str(work / "sc.wav"),
        str(RATE),
        "WAV",
        "float",
    ]
    sc += ["-o", "1", "-z", "64", "-m", "65536"]
    scores: dict[str, Callable[[], str]] = {
        "kr, hand FAUST, one node count=N": lambda: poly_score(
            HAND_VOICE, args.voices, args.seconds
        ),
        "kr, hand FAUST, N nodes": lambda: nodes_score(HAND_VOICE, args.voices, args.seconds),
        "kr, krs voice, one node count=N": lambda: poly_score(
            krs_voice_source(), args.voices, args.seconds
        ),
    }
    for extra in args.dsp:
        name, _, file = extra.rpartition("=")  # names may hold "=", paths do not
        text = Path(file).read_text()
        scores[name] = partial(poly_score, text, args.voices, args.seconds)
    wanted = set(args.only.split(",")) if args.only else None
    variants = [Variant("scsynth", sc)]
    for i, (name, make) in enumerate(scores.items()):
        builtin = i < 3  # --only picks among these; --dsp variants always run
        if builtin and wanted is not None and str(i + 1) not in wanted:
            continue
        path = work / f"score{i}.yaml"
        path.write_text(make())  # JSON is YAML
        variants.append(
            Variant(name, [args.krd, "render", str(path), "-o", str(work / f"kr{i}.wav")])
        )

    for v in variants:  # warm up: FAUST cache, page cache; also checks every command works
        cpu_seconds(v.command)
    times: dict[str, list[float]] = {v.name: [] for v in variants}
    for r in range(args.runs):
        for v in variants:
            spent = cpu_seconds(v.command)
            times[v.name].append(spent)
            print(f"round {r + 1}/{args.runs}: {v.name}: {spent:.2f} CPU s", file=sys.stderr)

    samples = args.voices * args.seconds * RATE
    ref_min, ref_med = min(times["scsynth"]), statistics.median(times["scsynth"])
    print(
        f"{args.voices} voices saw->lowpass({CUTOFF:g})->x{LEVEL:g}, {args.seconds:g} s "
        f"at {RATE} Hz, CPU seconds (user+sys), {args.runs} interleaved runs"
    )
    print(
        "| variant | CPU s min / median | ns/voice/sample min / median | x scsynth min / median |"
    )
    print("|---|---|---|---|")
    for v in variants:
        t = times[v.name]
        lo, med = min(t), statistics.median(t)
        print(
            f"| {v.name} | {lo:.2f} / {med:.2f} "
            f"| {lo * 1e9 / samples:.2f} / {med * 1e9 / samples:.2f} "
            f"| {lo / ref_min:.2f} / {med / ref_med:.2f} |"
        )
    print(f"(scores and outputs in {work})", file=sys.stderr)


if __name__ == "__main__":
    main()
