"""Aliasing of oscillators, side by side: SuperCollider's `Saw`/`Pulse` (scsynth NRT) against krs
and FAUST library oscillators rendered by `krd render`, at the same frequencies.

    .venv/bin/python scripts/alias_vs_scsynth.py [--krd target/release/krd]

Prints each oscillator's alias share (scripts/alias.py: energy off the harmonics, dB) at 440,
1760 and 3520 Hz, and the CPU seconds that `krd render` takes for 64 of them for 20 s.
scsynth comes from the Debian package `supercollider-server` (scripts/bench_vs_scsynth.sh
installs it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from alias import alias_share_db
from bench_vs_scsynth import AUDIO, CONTROL, cpu_seconds, osc_bundle, osc_message, synthdef

RATE = 48000
FREQS = (440.0, 1760.0, 3520.0)


def read_wav_mono(path: Path) -> np.ndarray:
    data = path.read_bytes()  # float WAVs (the `wave` module reads only integer ones)
    fmt = data.index(b"fmt ")
    channels = int.from_bytes(data[fmt + 10 : fmt + 12], "little")
    at = data.index(b"data")
    size = int.from_bytes(data[at + 4 : at + 8], "little")
    x = np.frombuffer(data[at + 8 : at + 8 + size], dtype="<f4")
    return x[::channels]


def scsynth(ugen: str, freq: float, work: Path, exe: str) -> np.ndarray:
    """`Out.ar(0, Saw.ar(freq))` or `Out.ar(0, Pulse.ar(freq, 0.5))`, 1.5 s."""
    inputs = [(0, 0)] + ([(-1, 1)] if ugen == "Pulse" else [])
    d = synthdef(
        "osc",
        [0.0, 0.5],
        [
            ("Control", CONTROL, [], 1, 0),
            (ugen, AUDIO, inputs, 1, 0),
            ("Out", AUDIO, [(-1, 0), (1, 0)], 0, 0),
        ],
    )
    score = osc_bundle(0.0, [osc_message("/d_recv", d)])
    score += osc_bundle(0.0, [osc_message("/s_new", "osc", 1000, 0, 0, "freq", freq)])
    score += osc_bundle(1.5, [osc_message("/c_set", 0, 0.0)])
    (work / "sc.osc").write_bytes(score)
    cmd = [
        exe,
        "-N",
        str(work / "sc.osc"),
        "_",
        str(work / "sc.wav"),
        str(RATE),
        "WAV",
        "float",
        "-o",
        "1",
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return read_wav_mono(work / "sc.wav")


def kr_score(source: str, nodes: int, seconds: float) -> str:
    commands = [
        {
            "at": 0,
            "cmd": "node_new",
            "name": f"o{i}",
            "count": 1,
            "gain": 1.0 / nodes,
            "source": source,
        }
        for i in range(nodes)
    ]
    return json.dumps({"duration": seconds, "commands": commands})


def krd(
    source: str, work: Path, exe: str, nodes: int = 1, seconds: float = 1.5
) -> tuple[np.ndarray, float]:
    (work / "kr.yaml").write_text(kr_score(source, nodes, seconds))
    t = cpu_seconds([exe, "render", str(work / "kr.yaml"), "-o", str(work / "kr.wav")])
    return read_wav_mono(work / "kr.wav"), t


def faust_sources() -> dict[str, str]:
    from kr import krs

    def lib(expr: str) -> str:
        slider = 'freq = hslider("freq", 440, 20, 20000, 0.001);'
        return f'import("stdfaust.lib");\n{slider}\nprocess = {expr} * 0.5;\n'

    def krs_src(fn: object) -> str:
        return krs.faust_source(fn)  # type: ignore[arg-type]

    def saw() -> krs.Signal:
        return krs.saw(krs.control("freq", 440.0, 20.0, 20000.0, smooth=False)) * 0.5

    def square() -> krs.Signal:
        return krs.square(krs.control("freq", 440.0, 20.0, 20000.0, smooth=False)) * 0.5

    def triangle() -> krs.Signal:
        return krs.triangle(krs.control("freq", 440.0, 20.0, 20000.0, smooth=False)) * 0.5

    return {
        "krs.saw": krs_src(saw),
        "krs.square": krs_src(square),
        "krs.triangle": krs_src(triangle),
        "os.sawtooth": lib("os.sawtooth(freq)"),
        "os.saw2": lib("os.saw2(freq)"),
        "os.sawN(3)": lib("os.sawN(3, freq)"),
        "os.sawN(4)": lib("os.sawN(4, freq)"),
        "os.square": lib("os.square(freq)"),
        "os.squareN(3)": lib("os.squareN(3, freq)"),
        "os.triangle": lib("os.triangle(freq)"),
        "os.triangleN(3)": lib("os.triangleN(3, freq)"),
        "naive saw": lib("(os.lf_sawpos(freq) * 2 - 1)"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--krd", default="target/release/krd")
    ap.add_argument("--scsynth", default="scsynth")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kr-alias-"))
    head = "| oscillator | " + " | ".join(f"{f:g} Hz" for f in FREQS) + " | CPU s, 64 × 20 s |"
    print(head + "\n|---|" + "---|" * (len(FREQS) + 1))
    for ugen in ("Saw", "Pulse"):
        cells = [f"{alias_share_db(scsynth(ugen, f, work, args.scsynth), f):.1f}" for f in FREQS]
        print(f"| scsynth {ugen}.ar | " + " | ".join(cells) + " | |")
    for name, src in faust_sources().items():
        cells = []
        for f in FREQS:
            x, _ = krd(src.replace('"freq", 440', f'"freq", {f:g}'), work, args.krd)
            cells.append(f"{alias_share_db(x, f):.1f}")
        krd(src, work, args.krd, 64, 20.0)  # warm
        _, t = krd(src, work, args.krd, 64, 20.0)
        print(f"| {name} | " + " | ".join(cells) + f" | {t:.2f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
