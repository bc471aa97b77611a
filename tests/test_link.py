"""Ableton Link: a krd built with the cargo feature `link` follows a second Link peer.

The peer is the `LinkPython-extern` wheel (Ableton's own Link library), in this process. Link
multicasts on every network interface, so the whole test runs in a network namespace of its own
with only loopback up: this thread enters it (setns) before krd, the peer and every socket are
made, and leaves it at the end; nothing of Link reaches a real network. JACK's sockets are files,
which a network namespace does not separate, so krd and the test's capture client share the run's
dummy JACK server. `make test-link` runs it under jackd2 and again under PipeWire, whose JACK
clock is not Link's (it counted 248 ms apart here): krd must pair the two clocks itself.

The tests marked `link_build` need a krd built with the feature: `make test-link` builds one and
runs exactly those (`-m link_build`), and `make test`'s main pass, against the default krd, runs
the others (`-m "not link_build"`): each test runs in one pass, none is skipped. Without the
feature or a namespace (root), a `link_build` test fails saying so.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest
from conftest import free_port

CLONE_NEWNET = 0x40000000
PEER_TEMPO = 97.0  # neither krd's 120 nor the peer's start, 90
# One sample, the frame the gate rises at: an onset is exactly one frame.
CLICK = 'gate = button("gate"); process = max(0, gate - gate\');'


def _unavailable(why: str) -> None:
    pytest.fail(f"make test-link: {why}")


def _setns(path: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    """A network namespace with only `lo` up, entered by this thread until the module ends."""
    name = f"kr-link-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        _unavailable(f"cannot make a network namespace (needs root): {made.stderr.strip()}")
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        home = f"/proc/self/task/{threading.get_native_id()}/ns/net"
        back = os.open(home, os.O_RDONLY)
        try:
            _setns(f"/run/netns/{name}")
            try:
                yield name
            finally:
                if ctypes.CDLL(None, use_errno=True).setns(back, CLONE_NEWNET) != 0:
                    raise OSError(
                        ctypes.get_errno(), "could not leave the test's network namespace"
                    )
        finally:
            os.close(back)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


class Peer:
    """The second Link peer (Ableton's Link through LinkPython), and the JACK clock next to it."""

    def __init__(self, bpm: float) -> None:
        import link

        self.link = link.Link(bpm)
        self.link.enabled = True
        jack = ctypes.CDLL("libjack.so.0")
        jack.jack_get_time.restype = ctypes.c_uint64
        self._jack_time = jack.jack_get_time

    def state(self) -> Any:
        return self.link.captureAppSessionState()

    def tempo(self) -> float:
        return float(self.state().tempo())

    def set_tempo(self, bpm: float) -> None:
        s = self.state()
        s.setTempo(bpm, self.link.clock().micros())
        self.link.commitAppSessionState(s)

    def jack_to_link_us(self) -> float:
        """Link µs minus JACK µs, from the tightest of several back-to-back readings (JACK's
        clock may not be Link's: PipeWire's libjack counts another one)."""
        best: tuple[int, float] | None = None
        for _ in range(20):
            a = int(self._jack_time())
            link_us = int(self.link.clock().micros())
            b = int(self._jack_time())
            if best is None or b - a < best[0]:
                best = (b - a, link_us - (a + b) / 2)
        assert best is not None
        return best[1]

    def close(self) -> None:
        self.link.enabled = False


class Capture:
    """A JACK client that records where krd's ports rise above 0.5, as JACK µs of each frame."""

    def __init__(self, ports: list[str], seconds: float) -> None:
        import jack

        self.client = jack.Client(f"kr-link-capture-{uuid.uuid4().hex[:6]}", no_start_server=True)
        self.rate = self.client.samplerate
        self.inports = [self.client.inports.register(f"in_{i + 1}") for i in range(len(ports))]
        self.onsets: list[list[float]] = [[] for _ in ports]
        self.blocks = 0
        self.until = 0.0
        self.settle = 20  # JACK settles the processing order a few cycles after connecting
        lib = ctypes.CDLL("libjack.so.0")
        lib.jack_frames_to_time.restype = ctypes.c_uint64
        lib.jack_frames_to_time.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        me = ctypes.c_void_p(int(jack._ffi.cast("uintptr_t", self.client._ptr)))
        # JACK-Client has no frames_to_time: JACK's own, for this client.
        self._frames_to_time = lambda frame: int(lib.jack_frames_to_time(me, frame))
        self.client.set_process_callback(self._process)
        self.client.activate()
        for src, dst in zip(ports, self.inports, strict=True):
            self.client.connect(src, dst)
        self.seconds = seconds

    def _process(self, frames: int) -> None:
        if self.settle > 0:
            self.settle -= 1
            return
        if self.until and time.monotonic() > self.until:
            return
        first = self.client.last_frame_time
        usecs = self._frames_to_time(first)
        for port, found in zip(self.inports, self.onsets, strict=True):
            x = port.get_array()
            for i in np.flatnonzero(x > 0.5):
                found.append(usecs + i * 1e6 / self.rate)
        self.blocks += 1

    def record(self) -> None:
        self.until = time.monotonic() + self.seconds
        time.sleep(self.seconds + 0.2)

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


class Linked(NamedTuple):
    session: Any  # kr.Session
    peer: Peer
    state_file: str


def _wait(what: str, ok: Any, seconds: float = 15.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} within {seconds} s")


@pytest.fixture(scope="module")
def linked(
    netns: str, jack_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Linked]:
    """krd (in the namespace, at 120 bpm) and the peer (at 90); krd is not following Link yet."""
    import kr

    state = str(tmp_path_factory.mktemp("link") / "session.json")
    session = kr.Session(port=free_port(), krd_args=["--state", state, "--dirt-port", "0"])
    try:
        link = session.status()["link"]
        if not link["built"]:
            _unavailable(
                "krd was built without Link: `make test-link` builds it with "
                "`cargo build -p kr-host --features link` and runs this test"
            )
        peer = Peer(90.0)
        try:
            yield Linked(session, peer, state)
        finally:
            session.link(False)
            peer.close()
    finally:
        session.close()


def test_a_krd_without_link_says_how_to_get_it(kr_clean: None) -> None:
    import kr
    from kr import RequestError

    assert not kr.status()["link"]["built"], "a test for a krd without Link (not link_build)"
    with pytest.raises(
        RequestError, match=r"krd was built without Link \(cargo build --features link\)"
    ):
        kr.link(True)
    link = kr.status()["link"]
    assert not link["enabled"] and link["peers"] is None
    kr.link(False)  # leaving is always possible


def test_a_krd_without_link_restores_the_rest_of_a_session_that_had_it(
    kr_clean: None, tmp_path: Any
) -> None:
    import kr

    # With Link, restoring a session that had it on would join outside the namespace.
    assert not kr.status()["link"]["built"], "a test for a krd without Link (not link_build)"
    state = tmp_path / "session.json"
    first = kr.Session(port=free_port(), krd_args=["--state", str(state)], restore=False)
    try:
        first.tempo = 133
    finally:
        first.close()
    saved = json.loads(state.read_text())
    saved["session"]["link"] = 1.0  # as a krd with Link left it
    state.write_text(json.dumps(saved))
    again = kr.Session(port=free_port(), krd_args=["--state", str(state)], restore=True)
    try:
        status = again.status()
        assert again.tempo == 133.0 and again.dump()["link"] is None
        problems = " ".join(status["restore_problems"])
        assert "Link: krd was built without Link (cargo build --features link)" in problems
    finally:
        again.close()


@pytest.mark.link_build
def test_krd_adopts_the_peers_tempo(linked: Linked) -> None:
    session, peer, _ = linked
    assert session.tempo == 120.0
    session.link(True)
    _wait("krd sees the peer", lambda: session.status()["link"]["peers"] == 1)
    # Which of two meeting sessions goes on is Link's choice (on one host, where both clocks are
    # the same, a coin toss): either way both now keep one tempo.
    _wait("krd and the peer agree on the tempo", lambda: abs(session.tempo - peer.tempo()) < 1e-3)
    peer.set_tempo(PEER_TEMPO)
    _wait("krd takes the peer's tempo change", lambda: abs(session.tempo - PEER_TEMPO) < 1e-3)
    # `/kr/status` is posted by the control thread a few times a second.
    _wait("/kr/status shows it", lambda: abs(session.status()["link"]["tempo"] - PEER_TEMPO) < 1e-3)
    link = session.status()["link"]
    assert (
        link["enabled"]
        and link["peers"] == 1
        and link["quantum"] == 1.0
        and link["quantum_beats"] == 4.0
    )


@pytest.mark.link_build
def test_onsets_fall_on_the_peers_beats_and_cycles_on_its_bars(linked: Linked) -> None:
    session, peer, _ = linked
    session.node("beats", CLICK)
    session.node("bars", CLICK)
    client = session.dump()["client"]
    cap = Capture([f"{client}:beats/out_1", f"{client}:bars/out_1"], seconds=4.0)
    try:
        session.play("beats", "a4*4")  # one onset per beat (meter 4)
        session.play("bars", "a4")  # one per cycle
        time.sleep(0.5)
        cap.record()
        offset = peer.jack_to_link_us()
    finally:
        cap.close()
        session.hush()
    beats, bars = cap.onsets
    state = peer.state()
    beat_us = 60e6 / state.tempo()

    def off_grid_ms(t_jack: float, quantum: float) -> float:
        phase = float(state.phaseAtTime(round(t_jack + offset), quantum))
        return min(phase, quantum - phase) * beat_us / 1000.0

    assert len(beats) >= 5 and len(bars) >= 1, f"onsets: {len(beats)} beats, {len(bars)} bars"
    beat_errors = [off_grid_ms(t, 1.0) for t in beats]
    bar_errors = [off_grid_ms(t, 4.0) for t in bars]
    worst = max(beat_errors)
    print(f"onset phase error vs the peer's beats: max {worst:.3f} ms over {len(beats)} onsets")
    assert max(beat_errors) < 1.0, f"onsets off the peer's beat grid by (ms): {beat_errors}"
    assert max(bar_errors) < 1.0, f"cycles start off the peer's bar lines by (ms): {bar_errors}"


@pytest.mark.link_build
def test_krds_tempo_change_reaches_the_peer(linked: Linked) -> None:
    session, peer, _ = linked
    session.tempo = 133
    _wait("the peer takes krd's tempo", lambda: abs(peer.tempo() - 133) < 1e-3)
    assert abs(session.tempo - 133) < 1e-3


@pytest.mark.link_build
def test_a_bundle_that_fails_does_not_join(linked: Linked) -> None:
    from kr import RequestError

    session, _, _ = linked
    session.link(False)
    with pytest.raises(RequestError, match="no node named 'nothing'"), session.batch():
        session.link(True)
        session.set("nothing/here", 1.0)
    assert session.dump()["link"] is None, "krd joined Link for a bundle that failed"


@pytest.mark.link_build
def test_the_state_file_keeps_whether_link_is_on(linked: Linked) -> None:
    session, _, state = linked

    def saved_link() -> Any:
        try:
            with open(state) as f:
                return json.load(f)["session"].get("link")
        except (OSError, ValueError, KeyError):
            return "unreadable"

    session.link(True, quantum=2)
    assert session.dump()["link"] == 2.0
    _wait("the state file says Link is on, 2 cycles a quantum", lambda: saved_link() == 2.0)
    session.link(False)
    assert session.dump()["link"] is None
    _wait("the state file says Link is off", lambda: saved_link() is None)


@pytest.mark.link_build
def test_an_export_follows_link_again_when_loaded(linked: Linked, tmp_path: Any) -> None:
    session, _, _ = linked
    session.link(True, quantum=2)
    text = session.export(tmp_path / "linked.py").read_text()
    assert "    kr.link(True, quantum=2)\n" in text, text
    session.link(False)
    session.load(tmp_path / "linked.py")
    assert session.dump()["link"] == 2.0, "loading the export did not join Link again"
    session.link(False)
