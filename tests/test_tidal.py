"""Real TidalCycles 1.7 (Debian's `libghc-tidal-dev`) driving krd as it drives SuperDirt: a small
Haskell program (tests/tidal/Driver.hs, compiled here in about a second) plays `d1 $ s "click*4"`
and `d2 $ note "0 4 7" # s "probe" # cutoff 1200`. A UDP relay between Tidal and krd records
every datagram, so the test knows each event's time tag and checks the frame it is heard at."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from oscclient import wait_until
from pythonosc.osc_bundle import OscBundle
from test_dirt import PROBE, Dirt, dirt_socket, play, write_wav

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from record import Recorder  # noqa: E402

RATE = 48000


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ghc = shutil.which("ghc")
    assert ghc, "ghc is missing: `make deps` installs ghc and libghc-tidal-dev"
    out = tmp_path_factory.mktemp("tidal")
    src = Path(__file__).parent / "tidal" / "Driver.hs"
    subprocess.run(
        [
            ghc,
            "-O1",
            "-threaded",
            "-outputdir",
            str(out / "obj"),
            str(src),
            "-o",
            str(out / "driver"),
        ],
        check=True,
        capture_output=True,
    )
    return out / "driver"


class Relay:
    """Forwards Tidal's datagrams to krd (and krd's replies back), keeping a copy of each."""

    def __init__(self, krd_port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.krd = ("127.0.0.1", krd_port)
        self.seen: list[bytes] = []
        self.replies: list[bytes] = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        self.sock.settimeout(0.1)
        tidal: tuple[str, int] | None = None
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            if addr == self.krd:
                self.replies.append(data)
                if tidal:
                    self.sock.sendto(data, tidal)
            else:
                tidal = addr
                self.seen.append(data)
                self.sock.sendto(data, self.krd)

    def events(self) -> list[tuple[float, dict[str, Any]]]:
        """(time tag as Unix seconds, parameters) of every /dirt/play bundle seen."""
        out = []
        for d in self.seen:
            if not OscBundle.dgram_is_bundle(d):
                continue
            b = OscBundle(d)
            for m in b:
                args = list(m.params)
                out.append((b.timestamp, dict(zip(args[::2], args[1::2], strict=True))))
        return out

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def tidal_krd(jack_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("tidal-samples")
    (root / "click").mkdir()
    click = np.zeros(2400)
    click[0] = 1.0
    write_wav(root / "click" / "c.wav", click)
    engine = Dirt.start(root, tmp_path_factory.mktemp("tidal-cfg"))
    yield engine
    engine.close()


def run_tidal(driver: Path, port: int, seconds: float, what: str, node: str = "") -> str:
    done = subprocess.run(
        [str(driver), str(port), str(seconds), "1", what, node],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tidal_samples_land_on_their_time_tags(tidal_krd: Any, driver: Path) -> None:
    sock = dirt_socket(tidal_krd)
    sock.send(play(s="click", gain=0.0))
    assert wait_until(lambda: "orbit0" in tidal_krd.nodes(), 10)
    relay = Relay(tidal_krd.dirt_port)
    rec = Recorder([f"{tidal_krd.dump()['client']}:orbit0/out_1"], 4.0, name="kr-test-tidal")
    rec.start()
    time.sleep(0.3)
    t0, f0 = time.time(), rec.client.frame_time
    out = run_tidal(driver, relay.port, 2.5, "samples")
    rec.wait(10)
    relay.close()
    assert "Connected to SuperDirt" in out, out
    events = [(t, p) for t, p in relay.events() if p.get("s") == "click"]
    assert len(events) >= 8, out
    assert all(p["orbit"] == 0 and abs(p["cps"] - 1.0) < 1e-6 for _, p in events)
    x = rec.data[0, : rec.pos]
    onsets = [i for i in range(1, len(x)) if abs(x[i]) > 0.05 and abs(x[i - 1]) < 0.05]
    all_expected = [round(f0 + (t - t0) * RATE) - rec.first_frame for t, _ in events]
    # Each event well inside the recording is heard within 1 ms of its time tag, and every
    # click heard there belongs to an event (the edges may cut either off).
    expected = [e for e in all_expected if 200 <= e < len(x) - 200]
    assert len(expected) >= 6, (onsets, all_expected)
    errors = [min(onsets, key=lambda o, e=e: abs(o - e)) - e for e in expected]
    print(f"onset errors (frames): {errors}")
    assert max(abs(e) for e in errors) <= RATE // 1000, f"onset errors (frames): {errors}"
    inside = [o for o in onsets if 248 <= o < len(x) - 248]
    stray = [o for o in inside if min(abs(o - e) for e in all_expected) > 48]
    assert not stray, stray
    assert tidal_krd.status()["dirt"]["counters"]["late"] == 0


def test_tidal_notes_on_a_kr_node_with_superdirts_pitch_and_a_control(
    tidal_krd: Any, driver: Path
) -> None:
    tidal_krd.node("probe", PROBE)
    relay = Relay(tidal_krd.dirt_port)
    rec = Recorder([f"{tidal_krd.dump()['client']}:probe/out_1"], 3.0, name="kr-test-tidal-notes")
    rec.start()
    time.sleep(0.2)
    run_tidal(driver, relay.port, 2.5, "notes", "probe")
    rec.wait(10)
    relay.close()
    notes = [p for _, p in relay.events() if p.get("s") == "probe"]
    assert notes and all(p["orbit"] == 1 for p in notes)
    x = rec.data[0, : rec.pos]
    levels, counts = np.unique(np.round(x[x > 0] * 1000, 1), return_counts=True)
    held = sorted(round(float(v), 1) for v, c in zip(levels, counts, strict=True) if c > 2000)
    # note 0, 4, 7 = 261.6, 329.6, 392.0 Hz, plus the cutoff (1200 × 1e-6) on the same frames.
    assert held == [262.8, 330.8, 393.2], held
    tidal_krd.remove("probe")
