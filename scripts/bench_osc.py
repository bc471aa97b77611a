"""OSC benchmarks against a real krd (run with scripts/with-jack.sh so a private JACK server is
up; KR_KRD names the krd binary, ideally the release build):

    KR_KRD=target/release/krd scripts/with-jack.sh .venv/bin/python scripts/bench_osc.py

Prints: the round-trip time of `/kr/set` (request → `/kr/done`) over UDP and TCP, replies per
second with requests pipelined, and how far time-tagged bundles land from their tags over a
60-second run (`--seconds` to change)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import free_port  # noqa: E402
from oscclient import Tcp, Udp, bundle, message  # noqa: E402
from record import Recorder  # noqa: E402

import kr  # noqa: E402
from kr import engine  # noqa: E402

LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'


def rtt(client: Udp | Tcp, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        client.send(message("/kr/set", ("h", i), "a/level", (i % 100) / 100).build().dgram)
        reply = client.recv(5)
        out.append(time.perf_counter() - t)
        assert reply[0] == "/kr/done"
    return out


def throughput(client: Udp | Tcp, n: int, window: int) -> float:
    t = time.perf_counter()
    sent = got = 0
    while got < n:
        while sent < n and sent - got < window:
            client.send(message("/kr/set", ("h", sent), "a/level", 0.5).build().dgram)
            sent += 1
        client.recv(5)
        got += 1
    return n / (time.perf_counter() - t)


def timetags(port: int, client_name: str, seconds: float) -> list[float]:
    udp = Udp(port)
    count = int(seconds * 4)
    rec = Recorder([f"{client_name}:a/out_1"], seconds + 2, name="kr-bench-timetag")
    rec.start()
    pairs = []
    for _ in range(50):
        t0 = time.time()
        f = rec.client.frame_time
        t1 = time.time()
        pairs.append(f - (t0 + t1) / 2 * rec.rate)
        time.sleep(0.005)
    offset = float(np.median(pairs))
    start = time.time() + 0.5
    tags = [start + 0.25 * k for k in range(count)]
    values = [((k % 997) + 1) / 1000 for k in range(count)]
    for tag, v in zip(tags, values, strict=True):
        udp.send(bundle([message("/kr/set", "a/level", v)], when=tag))
    for _ in tags:
        udp.recv(10)
    rec.wait(seconds + 10)
    x = rec.data[0, : rec.pos]
    assert rec.first_frame is not None
    errors = []
    prev = 0
    for tag, v in zip(tags, values, strict=True):
        hits = np.flatnonzero(np.isclose(x[prev:], np.float32(v), atol=1e-7))
        if not len(hits):
            continue
        at = prev + int(hits[0])
        prev = at
        errors.append((at - (tag * rec.rate + offset - rec.first_frame)) / rec.rate * 1000)
    udp.close()
    return errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    port = free_port()
    proc = engine.start_krd(
        port, os.environ.get("JACK_DEFAULT_SERVER"), ["--no-state", "--name", "krd-bench"]
    )
    s = kr.Session(port=port)
    try:
        s.node("a", LEVEL)
        for name, client in (("UDP", Udp(port)), ("TCP", Tcp(port))):
            rtt(client, 200)
            r = np.array(rtt(client, 2000)) * 1e6
            rate = float(np.median([throughput(client, 5000, 64) for _ in range(3)]))
            med, p99 = np.median(r), np.percentile(r, 99)
            print(f"{name}: /kr/set round trip median {med:.0f} µs, p99 {p99:.0f} µs")
            print(f"{name}: {rate:.0f} replies/s with 64 requests in flight")
            client.close()
        e = np.array(timetags(port, s.dump()["client"], args.seconds))
        within = np.mean(np.abs(e) <= 1.0) * 100
        print(f"time tags over {args.seconds:.0f} s: {len(e)} bundles heard")
        print(f"  error median {np.median(e):+.3f} ms, max |error| {np.abs(e).max():.3f} ms")
        print(f"  {within:.1f} % within 1 ms of their tag")
    finally:
        s.close()
        proc.stop()


if __name__ == "__main__":
    main()
