"""How long from `kr.node(...)` to the new node's first sound: a seed-style voice compiled cold
(its source not seen before), then again from the compile cache, on a private dummy JACK server
with 256-frame periods (`--period`), against the krd named by KR_KRD (use the release build).

    KR_KRD=target/release/krd .venv/bin/python scripts/bench_first_sound.py [--runs 7]

Prints the time `kr.node` takes to return and the time to the first non-silent frame of the
master output (measured on JACK's clock), median and range, for:
- `cold`: a source krd has not seen, given to `kr.node` directly;
- `defined`: a new source defined with `@kr.dsp` (which has krd compile it in the background)
  and given to `kr.node` at once, timed from the definition;
- `def+think`: the same with `--think` seconds (default 0.2) between the definition and
  `kr.node` (typing the next line), timed from `kr.node`;
- `cached`: the `cold` source again.

With --startup, the node is instead the first thing a script does after starting krd (each run
a new krd): with the compile cache as it is ("warm cache"), and with an empty one, as on the
first start after installing (the bundled SuperDirt programs compile then too)."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time

import numpy as np
from record import Recorder

import kr
from kr import engine, krs


def voice(detune: float) -> krs.Signal:
    freq = krs.control("freq", 110.0 + detune, 20.0, 2000.0)
    cutoff = krs.control("cutoff", 1200.0, 100.0, 8000.0)
    return krs.lowpass(krs.saw(freq), cutoff) * 0.1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def defined(detune: float) -> kr.Dsp:
    """The voice as a `@kr.dsp` definition (krd starts compiling it now)."""

    def seed_voice() -> krs.Signal:
        return voice(detune)

    return kr.dsp(seed_voice)


# Voices of each node made (--count).
COUNT = 1


def first_sound(
    s: kr.Session, rec: Recorder, name: str, detune: float, define: bool = False
) -> tuple[float, float]:
    """(ms for kr.node to return, ms to the first non-silent master frame); with `define`,
    the voice is defined with `@kr.dsp` just before, and the times count from its definition."""
    t0_frame = rec.client.frame_time
    t0 = time.perf_counter()
    s.node(name, defined(detune) if define else lambda: voice(detune), count=COUNT)
    returned = (time.perf_counter() - t0) * 1e3
    return returned, sound_after(rec, t0_frame)


def report(results: dict[str, list[tuple[float, float]]]) -> None:
    for kind, rs in results.items():
        ret = [r[0] for r in rs]
        snd = [r[1] for r in rs]
        print(
            f"{kind:10}: kr.node returns in {statistics.median(ret):6.1f} ms "
            f"({min(ret):.1f}-{max(ret):.1f}); first sound {statistics.median(snd):6.1f} ms "
            f"({min(snd):.1f}-{max(snd):.1f})"
        )


def after_startup(runs: int, jack_name: str) -> None:
    """The first node of a krd just started, with the cache as it is and with an empty one."""
    results: dict[str, list[tuple[float, float]]] = {"warm cache": [], "empty cache": []}
    seed = time.time_ns() % 100000
    for i in range(runs):
        for kind in results:
            env_cache = os.environ.get("XDG_CACHE_HOME")
            if kind == "empty cache":
                os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="kr-bench-cache-")
            try:
                s = kr.Session(port=free_port(), krd_args=["--no-state", "--dirt-port", "0"])
                s.status()
                rec = Recorder(
                    [f"{s.dump()['client']}:master/out_1"], 30.0, name=f"kr-bench-{jack_name}-{i}"
                )
                rec.start()
                results[kind].append(first_sound(s, rec, "first", (seed + i) * 1e-6))
                rec.client.deactivate()
                rec.client.close()
                s.close()
            finally:
                if env_cache is None:
                    os.environ.pop("XDG_CACHE_HOME", None)
                else:
                    os.environ["XDG_CACHE_HOME"] = env_cache
    report(results)


def think_then_node(
    s: kr.Session, rec: Recorder, name: str, detune: float, think: float
) -> tuple[float, float]:
    """Define the voice with `@kr.dsp`, wait `think` seconds, then time `kr.node` from there."""
    d = defined(detune)
    time.sleep(think)
    t0_frame = rec.client.frame_time
    t0 = time.perf_counter()
    s.node(name, d, count=COUNT)
    returned = (time.perf_counter() - t0) * 1e3
    return returned, sound_after(rec, t0_frame)


def sound_after(rec: Recorder, t0_frame: int) -> float:
    """ms from JACK frame `t0_frame` to the first non-silent master frame after it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if rec.first_frame is not None:  # the recorder may still be settling (--startup)
            start = (t0_frame - rec.first_frame + (1 << 31)) % (1 << 32) - (1 << 31)
            hits = np.flatnonzero(np.abs(rec.data[0, max(start, 0) : rec.pos]) > 1e-6)
            if len(hits):
                if start < 0 and hits[0] == 0:
                    raise RuntimeError("sound before the recorder started")
                return float((hits[0] + max(start, 0) - start) / rec.rate * 1e3)
        time.sleep(0.002)
    raise RuntimeError("no sound within 5 s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--period", type=int, default=256, help="JACK period in frames")
    ap.add_argument("--think", type=float, default=0.2, help="s from definition to kr.node")
    ap.add_argument("--startup", action="store_true", help="the first node after krd starts")
    ap.add_argument(
        "--count", type=int, default=1, help="voices of the node (8 or more: voices in lanes)"
    )
    args = ap.parse_args()
    global COUNT
    COUNT = args.count
    jack, name = engine.start_dummy_jack(period=args.period)
    os.environ["JACK_DEFAULT_SERVER"] = name
    if args.startup:
        try:
            after_startup(args.runs, name)
        finally:
            jack.stop()
        return
    s = kr.Session(port=free_port(), krd_args=["--no-state", "--dirt-port", "0"])
    try:
        s.status()
        rec = Recorder([f"{s.dump()['client']}:master/out_1"], 120.0, name="kr-bench-first")
        rec.start()
        time.sleep(0.5)
        seed = time.time_ns() % 100000
        kinds = ("cold", "defined", "def+think", "cached")
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
        for i in range(args.runs):
            detune = (seed + i) * 1e-6  # a source krd has not compiled before
            for j, kind in enumerate(kinds):
                # `defined` and `def+think` get sources of their own, also new to krd.
                fresh = detune + j * 1e-3 if kind in ("defined", "def+think") else detune
                if kind == "def+think":
                    r = think_then_node(s, rec, f"v{i}{j}", fresh, args.think)
                else:
                    r = first_sound(s, rec, f"v{i}{j}", fresh, define=kind == "defined")
                results[kind].append(r)
                s.remove(f"v{i}{j}")
                time.sleep(0.3)
        report(results)
    finally:
        s.close()
        jack.stop()


if __name__ == "__main__":
    main()
