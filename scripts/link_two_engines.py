#!/usr/bin/env python3
"""Two krd, each on its own JACK server and in its own network namespace, in one Link session:
how far apart are their onsets? The measurement of docs/several-machines.md.

Run as root from the repository (a krd built with `--features link`, e.g. `make test-link`'s
target/debug/krd-link, and `LinkPython-extern` are not needed; zita-njbridge is for --bridge):

    .venv/bin/python scripts/link_two_engines.py --krd target/debug/krd-link [--bridge]

It makes two namespaces joined by a veth pair (10.77.0.1 and 10.77.0.2: the "two hosts"; Link
multicasts only there), two dummy JACK servers (48 kHz, 256 frames; each its own clock), and in
each namespace a krd on its server with Link on, playing a one-sample click on every beat. A JACK
client on each server records the frames where its krd's click rises and converts each to the
host's raw monotonic clock (Link's) through JACK's time of that frame and a back-to-back reading
of both clocks. Each onset of A is paired with the nearest onset of B; the difference is the
phase difference between the engines. With --bridge, A's click also goes to B's server over
zita-njbridge (zita-j2n in A, zita-n2j in B), and B records it beside its own: what a listener at
B hears between the two machines.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLICK = 'gate = button("gate"); process = max(0, gate - gate\');'
NETS = {"A": ("kr-two-a", "10.77.0.1"), "B": ("kr-two-b", "10.77.0.2")}
BRIDGE_PORT = 30077


def raw_us() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC_RAW) * 1e6


def engine(args: argparse.Namespace) -> None:
    """One side, inside its namespace: krd with Link, a click on every beat, its onsets recorded."""
    import jack
    import numpy as np

    import kr

    os.environ["KR_KRD"] = args.krd
    krd_args = ["--no-state", "--dirt-port", "0"]
    if args.side == "A" and args.latency_a:
        config = Path(args.out).with_suffix(".yaml")
        config.write_text(f"engine:\n  link_latency_ms: {args.latency_a}\n")
        krd_args += ["--config", str(config)]
    session = kr.Session(port=args.port, krd_args=krd_args)
    session.tempo = args.bpm
    session.link(True)
    end = time.monotonic() + 30
    while (session.status()["link"]["peers"] or 0) < 1:
        if time.monotonic() > end:
            raise SystemExit(f"{args.side}: no Link peer within 30 s")
        time.sleep(0.1)
    session.node("click", CLICK)
    session.play("click", "a4*4")
    client_name = session.dump()["client"]
    bridge = None
    if args.bridge and args.side == "A":
        ip_b = NETS["B"][1]
        bridge = subprocess.Popen(["zita-j2n", "--jname", "j2n", ip_b, str(BRIDGE_PORT)])
    if args.bridge and args.side == "B":
        bridge = subprocess.Popen(["zita-n2j", "--jname", "n2j", NETS["B"][1], str(BRIDGE_PORT)])
    time.sleep(1.0)

    cap = jack.Client(f"two-capture-{args.side}", no_start_server=True)
    lib = ctypes.CDLL("libjack.so.0")
    lib.jack_frames_to_time.restype = ctypes.c_uint64
    lib.jack_frames_to_time.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.jack_get_time.restype = ctypes.c_uint64
    me = ctypes.c_void_p(int(jack._ffi.cast("uintptr_t", cap._ptr)))
    sources = [f"{client_name}:click/out_1"]
    if args.bridge and args.side == "A":
        subprocess.run(["jack_connect", f"{client_name}:click/out_1", "j2n:in_1"], check=True)
    if args.bridge and args.side == "B":
        sources.append("n2j:out_1")
    ports = [cap.inports.register(f"in_{i + 1}") for i in range(len(sources))]
    onsets: list[list[float]] = [[] for _ in sources]
    state = {"settle": 20, "until": 0.0}
    # An onset is the first sample above 0.3 at least 100 ms after the last one: the click itself
    # is one sample, but through zita-njbridge's resampler it rings for a few.
    last = [0.0 for _ in sources]

    @cap.set_process_callback
    def _process(frames: int) -> None:
        if state["settle"] > 0:
            state["settle"] -= 1
            return
        if raw_us() > state["until"]:
            return
        first = cap.last_frame_time
        usecs = int(lib.jack_frames_to_time(me, first))
        for k, (port, found) in enumerate(zip(ports, onsets, strict=True)):
            for i in np.flatnonzero(port.get_array() > 0.3):
                t = usecs + i * 1e6 / cap.samplerate
                if t - last[k] > 100_000:
                    found.append(t)
                    last[k] = t

    state["until"] = args.until
    cap.activate()
    for src, dst in zip(sources, ports, strict=True):
        cap.connect(src, dst)
    while raw_us() < args.until + 300_000:
        time.sleep(0.1)
    # JACK µs → raw monotonic µs (Link's clock), from the tightest back-to-back reading.
    best: tuple[float, float] | None = None
    for _ in range(50):
        a = float(lib.jack_get_time())
        r = raw_us()
        b = float(lib.jack_get_time())
        if best is None or b - a < best[0]:
            best = (b - a, r - (a + b) / 2)
    assert best is not None
    rate = cap.samplerate
    cap.deactivate()
    cap.close()
    if bridge:
        bridge.terminate()
    link = session.status()["link"]
    session.link(False)
    session.close()
    out = {
        "side": args.side,
        "jack_to_raw_us": best[1],
        "onsets_raw_us": [[t + best[1] for t in found] for found in onsets],
        "link": link,
        "rate": rate,
    }
    Path(args.out).write_text(json.dumps(out))


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--krd", default=str(ROOT / "target" / "debug" / "krd-link"))
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument(
        "--bridge", action="store_true", help="also carry A's audio to B with zita-njbridge"
    )
    p.add_argument(
        "--latency-a",
        type=float,
        default=0.0,
        help="engine.link_latency_ms of A (e.g. the bridge's latency)",
    )
    p.add_argument("--engine", choices=["A", "B"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--bpm", type=float, default=120.0, help=argparse.SUPPRESS)
    p.add_argument("--until", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.engine:
        args.side = args.engine
        engine(args)
        return
    if args.bridge and not shutil.which("zita-j2n"):
        raise SystemExit("--bridge needs zita-njbridge (apt-get install zita-njbridge)")
    (na, ipa), (nb, ipb) = NETS["A"], NETS["B"]
    jackds: list[subprocess.Popen[bytes]] = []
    children: list[subprocess.Popen[bytes]] = []
    tmp = Path(f"/tmp/kr-two-{os.getpid()}")
    tmp.mkdir()
    try:
        sh("ip", "netns", "add", na)
        sh("ip", "netns", "add", nb)
        sh("ip", "link", "add", "krtwo-a", "type", "veth", "peer", "name", "krtwo-b")
        sh("ip", "link", "set", "krtwo-a", "netns", na)
        sh("ip", "link", "set", "krtwo-b", "netns", nb)
        for ns, dev, ip in ((na, "krtwo-a", ipa), (nb, "krtwo-b", ipb)):
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for side in "AB":
            name = f"kr-two-{side.lower()}-{os.getpid()}"
            log = open(tmp / f"jackd-{side}.log", "wb")  # noqa: SIM115 - lives as long as jackd
            jackds.append(
                subprocess.Popen(
                    ["jackd", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"],
                    stdout=log,
                    stderr=log,
                )
            )
        time.sleep(1.5)
        until = raw_us() + 12e6 + args.seconds * 1e6
        for i, side in enumerate("AB"):
            ns = NETS[side][0]
            env = dict(os.environ, JACK_DEFAULT_SERVER=f"kr-two-{side.lower()}-{os.getpid()}")
            env["XDG_STATE_HOME"] = str(tmp / side)
            cmd = [
                "ip",
                "netns",
                "exec",
                ns,
                sys.executable,
                __file__,
                "--engine",
                side,
                "--krd",
                args.krd,
            ]
            cmd += ["--port", str(57150 + i), "--bpm", str(120 + 7 * i), "--until", str(until)]
            cmd += ["--out", str(tmp / f"{side}.json")]
            if args.bridge:
                cmd.append("--bridge")
            cmd += ["--latency-a", str(args.latency_a)]
            children.append(subprocess.Popen(cmd, env=env))
            time.sleep(0.5)
        for c in children:
            if c.wait(timeout=120) != 0:
                raise SystemExit(f"an engine failed (rc {c.returncode}); logs in {tmp}")
        a = json.loads((tmp / "A.json").read_text())
        b = json.loads((tmp / "B.json").read_text())
        report(a, b, args.seconds)
    finally:
        for c in children:
            c.kill()
        for j in jackds:
            j.terminate()
            j.wait()
        for ns in (na, nb):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def pair(xs: list[float], ys: list[float]) -> list[float]:
    """For each x, x minus the nearest y (µs)."""
    return [x - min(ys, key=lambda y: abs(y - x)) for x in xs] if ys else []


def report(a: dict[str, Any], b: dict[str, Any], seconds: float) -> None:
    oa, ob = a["onsets_raw_us"][0], b["onsets_raw_us"][0]
    window = (max(oa[0], ob[0]), min(oa[-1], ob[-1]))
    oa = [t for t in oa if window[0] <= t <= window[1]]
    d = pair(oa, ob)
    la, lb = a["link"], b["link"]
    print(
        f"tempo A {la['tempo']:.3f}, B {lb['tempo']:.3f} bpm; "
        f"peers A {la['peers']}, B {lb['peers']}"
    )
    print(f"JACK µs − raw monotonic µs: A {-a['jack_to_raw_us']:.1f}, B {-b['jack_to_raw_us']:.1f}")
    if d:
        ad = [abs(x) for x in d]
        print(
            f"engine onsets A − B over {len(d)} beats ({seconds:g} s): "
            f"mean {sum(d) / len(d):+.1f} µs, "
            f"max |A − B| {max(ad):.1f} µs"
        )
    if len(b["onsets_raw_us"]) > 1:
        bridged = b["onsets_raw_us"][1]
        db = pair(bridged, b["onsets_raw_us"][0])
        if db:
            print(
                f"A's clicks heard at B through zita-njbridge − B's own: "
                f"mean {sum(db) / len(db) / 1000:+.3f} ms, "
                f"spread {(max(db) - min(db)) / 1000:.3f} ms over {len(db)} beats"
            )


if __name__ == "__main__":
    main()
