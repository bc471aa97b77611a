"""Compile time in the compile worker itself (`krd faust-worker`, no engine, no cache), of two krd
builds side by side: each compiles the same saw→lowpass voices (new to both, one frequency apart),
A and B in turn.

    .venv/bin/python scripts/bench_worker_compile.py KRD_A KRD_B [--compiles 20]

Prints each build's median and minimum in ms and the median of the A/B ratios pair by pair."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import time


def voice(freq: float) -> str:
    return (
        'import("stdfaust.lib"); '
        f'freq = hslider("freq", {freq:.6f}, 20, 2000, 0.01) : si.smoo; '
        'cutoff = hslider("cutoff", 1200, 100, 8000, 0.01) : si.smoo; '
        "process = os.sawtooth(freq) : fi.lowpass(2, cutoff) : *(0.1);"
    )


class Worker:
    def __init__(self, krd: str) -> None:
        self.proc = subprocess.Popen(
            [krd, "faust-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.next_id = 1

    def compile(self, source: str) -> float:
        """Seconds from the request to its reply."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"id": self.next_id, "name": "v", "source": source}
        request["args"] = ["-I", "/usr/share/faust"]
        self.next_id += 1
        t0 = time.perf_counter()
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        if '"Compiled"' not in reply:
            raise RuntimeError(f"the worker did not compile: {reply[:300]}")
        return elapsed

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("krd_a")
    ap.add_argument("krd_b")
    ap.add_argument("--compiles", type=int, default=20)
    args = ap.parse_args()
    a, b = Worker(args.krd_a), Worker(args.krd_b)
    try:
        a.compile(voice(100.0))  # libfaust's first compile in a process is slower: not counted
        b.compile(voice(100.0))
        base = 100 + random.random() * 100
        ta, tb = [], []
        for i in range(1, args.compiles + 1):
            ta.append(a.compile(voice(base + i * 1e-3)))
            tb.append(b.compile(voice(base + i * 1e-3 + 5e-4)))
    finally:
        a.close()
        b.close()
    ratio = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
    print(
        f"A {statistics.median(ta) * 1e3:.1f} ms (min {min(ta) * 1e3:.1f}), "
        f"B {statistics.median(tb) * 1e3:.1f} ms (min {min(tb) * 1e3:.1f}), A/B {ratio:.3f}"
    )


if __name__ == "__main__":
    main()
