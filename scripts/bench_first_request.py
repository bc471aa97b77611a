"""How long a script's first `kr.node` takes when it is the script's first request to krd (its
first TCP connection), for a program in krd's disk cache: each run starts a krd of its own (the
KR_KRD build) on a private dummy JACK server, waits `--delay` seconds, and times the node.

    KR_KRD=target/release/krd .venv/bin/python scripts/bench_first_request.py [--runs 5]

Prints the median and range in ms."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import time

import kr
from kr import engine

SOURCE = 'import("stdfaust.lib"); process = os.osc(311) * 0.1;'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--delay", type=float, default=0.3, help="s between krd answering and the node")
    args = ap.parse_args()
    jack, name = engine.start_dummy_jack(period=256)
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        warm = kr.Session(port=free_port(), krd_args=["--no-state", "--dirt-port", "0"])
        warm.node("warm", SOURCE)  # the program is in the disk cache from here on
        warm.close()
        times = []
        for _ in range(args.runs):
            s = kr.Session(port=free_port(), krd_args=["--no-state", "--dirt-port", "0"])
            try:
                s.status()  # starts krd and waits for it (UDP: no TCP connection yet)
                time.sleep(args.delay)
                t0 = time.perf_counter()
                s.node("first", SOURCE)
                times.append((time.perf_counter() - t0) * 1e3)
            finally:
                s.close()
        print(
            f"first request kr.node (disk cache): {statistics.median(times):.1f} ms "
            f"({min(times):.1f}-{max(times):.1f})"
        )
    finally:
        jack.stop()


if __name__ == "__main__":
    main()
