"""kr against scsynth in real time: CPU of the krd and scsynth processes playing 0..V voices of the
saw->lowpass(1200)->x0.1 voice on a private dummy JACK server, and the slope in ns/voice/sample.

Run through `scripts/bench_vs_scsynth.sh --realtime` (it installs scsynth and checks the release
krd). Both servers run side by side on one JACK server (48 kHz, 256-frame periods); for each voice
count, each variant plays for `--seconds` after a settling second, and the CPU time of its process
(all threads, from /proc) over that time is its load. The slope of load against voices, divided by
the sample rate, is the cost of one more voice; the load at 0 voices is the server's idle cost.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_vs_scsynth import HAND_VOICE, krs_voice_source, osc_message, voice_synthdef

RATE = 48000
VOICES_PER_NODE = 64


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(pid: int, seconds: float) -> float:
    """The share of one core that `pid` used over the next `seconds`."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scsynth:
    """scsynth on the JACK server named by JACK_DEFAULT_SERVER, driven over UDP."""

    def __init__(self, exe: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [exe, "-u", str(self.port), "-z", "64", "-i", "0", "-o", "2", "-R", "0", "-l", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.2)
        for _ in range(100):
            if self.ask(osc_message("/status")):
                break
            time.sleep(0.1)
        else:
            sys.exit("scsynth did not answer /status")
        self.ask(osc_message("/d_recv", voice_synthdef("kr_bench_voice")), wait=2.0)

    def ask(self, msg: bytes, wait: float = 0.2) -> bool:
        self.sock.sendto(msg, ("127.0.0.1", self.port))
        self.sock.settimeout(wait)
        try:
            self.sock.recv(65536)
            return True
        except TimeoutError:
            return False

    def play(self, freqs: list[float]) -> None:
        for i, f in enumerate(freqs):
            self.sock.sendto(
                osc_message("/s_new", "kr_bench_voice", 1000 + i, 0, 0, "freq", f),
                ("127.0.0.1", self.port),
            )
        self.ask(osc_message("/sync", 1), wait=5.0)

    def stop(self) -> None:
        self.sock.sendto(osc_message("/g_freeAll", 0), ("127.0.0.1", self.port))
        self.ask(osc_message("/sync", 2), wait=5.0)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--voices", default="0,256,512,1024", help="voice counts (comma-separated)")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per point")
    ap.add_argument("--krd", default=os.environ.get("KR_KRD", "target/release/krd"))
    ap.add_argument("--scsynth", default="scsynth")
    args = ap.parse_args()
    counts = [int(v) for v in args.voices.split(",")]
    os.environ["KR_KRD"] = str(Path(args.krd).resolve())
    os.environ["KR_PORT"] = str(free_port())

    from kr import engine

    jack, name = engine.start_dummy_jack(rate=RATE, period=256)
    os.environ["JACK_DEFAULT_SERVER"] = name
    krd = engine.start_krd(int(os.environ["KR_PORT"]), name, ["--no-state"])
    sc = Scsynth(args.scsynth)
    try:
        import kr

        for _ in range(100):
            if kr.session.client.status(0.1) is not None:
                break
        krd_pid = krd.proc.pid
        sources = {
            "kr, hand FAUST, nodes of 64 voices": HAND_VOICE,
            "kr, krs voice, nodes of 64 voices": krs_voice_source(),
        }
        loads: dict[str, list[float]] = {"scsynth": [], **{k: [] for k in sources}}
        for n in counts:
            freqs = [440.0 * 2.0 ** ((36 + k % 48 - 69) / 12) for k in range(n)]
            if n:
                sc.play(freqs)
            time.sleep(1.0)
            loads["scsynth"].append(load(sc.proc.pid, args.seconds))
            sc.stop()
            for label, src in sources.items():
                # A node has at most 64 voices over OSC: V voices are V / 64 nodes.
                nodes = []
                for first in range(0, n, VOICES_PER_NODE):
                    count = min(VOICES_PER_NODE, n - first)
                    notes = ", ".join(str(36 + k % 48) for k in range(first, first + count))
                    node = f"pad{first}"
                    kr.node(node, src, count=count)
                    kr.play(node, kr.mini(f"[{notes}]"))
                    nodes.append(node)
                time.sleep(1.0)
                loads[label].append(load(krd_pid, args.seconds))
                for node in nodes:
                    kr.remove(node)
            print(
                f"{n} voices: " + ", ".join(f"{k} {v[-1] * 100:.1f} %" for k, v in loads.items()),
                file=sys.stderr,
            )
    finally:
        sc.close()
        krd.stop()
        jack.stop()

    print(
        f"real time on a dummy JACK server ({RATE} Hz, 256-frame periods), "
        f"{args.seconds:g} s per point"
    )
    print(
        "| variant | " + " | ".join(f"{n} voices" for n in counts) + " | ns/voice/sample (slope) |"
    )
    print("|---|" + "---|" * (len(counts) + 1))
    ref = 0.0
    for label, ys in loads.items():
        slope = statistics.linear_regression(counts, ys).slope if len(counts) > 1 else float("nan")
        ns = slope / RATE * 1e9
        ref = ref or ns
        cells = " | ".join(f"{y * 100:.1f} %" for y in ys)
        print(f"| {label} | {cells} | {ns:.2f} ({ns / ref:.2f}x scsynth) |")


if __name__ == "__main__":
    main()
