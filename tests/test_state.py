"""The engine owns the session: it survives kill -9 (restored from its state file) and records
what it plays."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio import fundamental, read_wav
from conftest import free_port

import kr
import kr.client
from kr import engine

LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'
TONE = 'import("stdfaust.lib"); process = os.osc(330) * 0.2;'


def test_a_killed_engine_comes_back_with_its_session(jack_server: str) -> None:
    state = Path(tempfile.mkdtemp()) / "session.json"
    port = free_port()
    proc = engine.start_krd(port, jack_server, ["--state", str(state), "--name", "krd-state"])
    s = kr.Session(port=port)
    try:
        s.node("src", LEVEL)
        s.node("fx", "process = _ * 0.5;", count=1)
        s.route("src", "fx", 0.3)
        s.set("src/level", 0.42)
        s.play("src/level", kr.mini("0.1 0.2"))
        s.tempo = 97
        s.client.request("scene_save", {"name": "verse"})
        before = s.dump()
        time.sleep(1.2)  # the state is written within a second of a change
        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait()
        s.close()
        proc = engine.start_krd(port, jack_server, ["--state", str(state), "--name", "krd-state"])
        s = kr.Session(port=port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(s.dump()["nodes"]) < 2:
            time.sleep(0.1)
        after = s.dump()
        for key in ("nodes", "routes", "patterns", "tempo", "meter", "master", "scenes"):
            assert after[key] == before[key], key
    finally:
        s.close()
        proc.stop()


def test_record_writes_what_master_plays(kr_clean: None) -> None:
    kr.node("tone", TONE)
    done = kr.session.client.request("record_start", {"file": "kr-test/take.wav", "target": None})
    assert done == []
    time.sleep(1.0)
    kr.session.client.request("record_stop", {"file": None})
    path = Path(os.environ["XDG_DATA_HOME"]) / "kr" / "recordings" / "kr-test" / "take.wav"
    rate, x = read_wav(str(path))
    frames = len(x)
    assert (x.shape[1], rate) == (2, 48000)
    assert 0.8 * 48000 < frames < 1.5 * 48000, frames
    assert abs(fundamental(x[:, 0], 48000) - 330) < 2
    # Mono node, centre-panned: both channels equal, -3 dB, times master (0.8).
    peak = float(np.abs(x[:, 0]).max())
    assert abs(peak - 0.2 * 0.8 * np.sqrt(0.5)) < 0.01, peak
    assert np.array_equal(x[:, 0], x[:, 1])


def _start(port: int, jack_server: str, state: Path, name: str) -> tuple[engine.Process, dict]:  # type: ignore[type-arg]
    """krd on `port` with `state`; returns it and its first status (it must answer)."""
    proc = engine.start_krd(port, jack_server, ["--state", str(state), "--name", name])
    c = kr.client.Client(port=port)
    try:
        deadline = time.monotonic() + 30
        status = None
        while status is None and time.monotonic() < deadline:
            assert proc.alive(), proc.log_tail()
            status = c.status(0.2)
        assert status is not None, proc.log_tail()
        return proc, status
    finally:
        c.close()


def _wait_status(port: int, until: Callable[[dict], bool]) -> dict:  # type: ignore[type-arg]
    c = kr.client.Client(port=port)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            s = c.status(0.5)
            if s is not None and until(s):
                return s
            time.sleep(0.1)
        raise AssertionError(f"status never satisfied the condition: {s}")
    finally:
        c.close()


def test_a_state_file_cut_short_is_kept_aside_and_krd_starts(jack_server: str) -> None:
    state = Path(tempfile.mkdtemp()) / "session.json"
    snap = {"tempo": 120, "meter": 4, "master": 0.8, "nodes": [], "routes": [], "patterns": []}
    whole = json.dumps({"version": 1, "session": snap, "scenes": {}})
    state.write_text(whole[: len(whole) // 2])  # a crash or a full disk mid-write
    port = free_port()
    proc, status = _start(port, jack_server, state, "krd-cut")
    try:
        status = _wait_status(port, lambda s: bool(s["restore_problems"]))
        kept = list(state.parent.glob("session.json.bad-*"))
        assert len(kept) == 1, list(state.parent.iterdir())
        assert kept[0].read_text() == whole[: len(whole) // 2], "the bad bytes are kept as is"
        assert any("kept as" in p for p in status["restore_problems"]), status
        s = kr.Session(port=port)
        s.node("after", LEVEL)  # the engine works and saves again
        time.sleep(1.0)
        assert json.loads(state.read_text())["session"]["nodes"][0]["name"] == "after"
        s.close()
    finally:
        proc.stop()


def test_a_node_that_no_longer_compiles_is_skipped_and_the_rest_is_back(jack_server: str) -> None:
    state = Path(tempfile.mkdtemp()) / "session.json"
    good = {
        "name": "good",
        "source": LEVEL,
        "count": 1,
        "gain": 0.5,
        "muted": False,
        "soloed": False,
        "controls": {"level": 0.25},
    }
    bad = {**good, "name": "bad", "source": "process = no_such_function;", "controls": {}}
    huge = {**good, "name": "huge", "count": 1000}  # beyond the 64-voice limit
    snap = {
        "tempo": 97,
        "meter": 4,
        "master": 0.8,
        "nodes": [good, bad, huge],
        "routes": [{"from": "bad", "to": "good", "level": 1.0}],
        "patterns": [
            {
                "target": "good/level",
                "pattern": json.loads(kr.mini("0.1 0.2").to_ir()),
                "from_zero": False,
            }
        ],
    }
    original = json.dumps(
        {"version": 1, "session": snap, "scenes": {"a": snap, "broken": {"tempo": "fast"}}}
    )
    state.write_text(original)
    port = free_port()
    proc, _ = _start(port, jack_server, state, "krd-partial")
    try:
        # The file is kept aside once the restore is over (scene problems are known before).
        status = _wait_status(port, lambda s: any("kept as" in p for p in s["restore_problems"]))
        problems = " | ".join(status["restore_problems"])
        assert "node 'bad' skipped" in problems and "no_such_function" in problems, problems
        assert "node 'huge' skipped" in problems and "voices" in problems, problems
        assert "scene 'broken'" in problems, problems
        s = kr.Session(port=port)
        d = s.dump()
        assert [n["name"] for n in d["nodes"]] == ["good"]
        assert d["tempo"] == 97 and d["scenes"] == ["a"]
        assert [p["target"] for p in d["patterns"]] == ["good/level"]
        kept = list(state.parent.glob("session.json.bad-*"))
        assert len(kept) == 1 and kept[0].read_text() == original, "the whole original is kept"
        s.close()
    finally:
        proc.stop()


def test_a_state_file_with_absurd_tempo_and_meter_does_not_hang_start_up(jack_server: str) -> None:
    state = Path(tempfile.mkdtemp()) / "session.json"
    snap = {"tempo": 1e300, "meter": 0, "master": 1e30, "nodes": [], "routes": [], "patterns": []}
    state.write_text(json.dumps({"version": 1, "session": snap, "scenes": {}}))
    port = free_port()
    proc, _ = _start(port, jack_server, state, "krd-absurd")
    try:
        status = _wait_status(port, lambda s: bool(s["restore_problems"]))
        problems = " | ".join(status["restore_problems"])
        assert "tempo" in problems and "master" in problems, problems
        assert status["tempo"] == 120, "the default tempo stays"
    finally:
        proc.stop()


def _recording(jack_server: str, name: str) -> tuple[engine.Process, kr.Session, Path]:
    """A krd recording a 330 Hz tone on master to `<folder>/take.wav`: it, a session, the folder."""
    port = free_port()
    rec_dir = Path(tempfile.mkdtemp())
    config = rec_dir / "krd.yaml"
    config.write_text(f"record_dir: {rec_dir}\n")
    proc = engine.start_krd(
        port, jack_server, ["--no-state", "--config", str(config), "--name", name]
    )
    s = kr.Session(port=port)
    s.node("tone", TONE)
    s.client.request("record_start", {"file": "take.wav", "target": None})
    return proc, s, rec_dir


def test_sigterm_mid_recording_leaves_a_complete_wav(jack_server: str) -> None:
    proc, s, rec_dir = _recording(jack_server, "krd-rec")
    try:
        time.sleep(2.0)
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(15) == 0, proc.log_tail()
        rate, x = read_wav(str(rec_dir / "take.wav"))
        assert rate == 48000 and 1.5 * rate < len(x) < 3.5 * rate, len(x)
        assert abs(fundamental(x[: len(x) // 2, 0], rate) - 330) < 2
    finally:
        s.close()
        proc.stop()


def test_kill_9_mid_recording_leaves_a_readable_wav(jack_server: str) -> None:
    proc, s, rec_dir = _recording(jack_server, "krd-rec9")
    try:
        time.sleep(5.0)
        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait()
        rate, x = read_wav(str(rec_dir / "take.wav"))
        # The header is rewritten every 2 s: at least the first 2 of the 5 seconds are in it.
        assert len(x) >= 2 * rate, len(x)
        assert abs(fundamental(x[:rate, 0], rate) - 330) < 2
    finally:
        s.close()
        proc.stop()


def test_subscribers_hear_when_the_jack_server_goes_away() -> None:
    from oscclient import Tcp

    jack, name = engine.start_dummy_jack(f"kr-gone-{os.getpid()}")
    port = free_port()
    proc = engine.start_krd(port, name, ["--no-state", "--name", "krd-gone"])
    sub = None
    try:
        c = kr.client.Client(port=port)
        deadline = time.monotonic() + 30
        while c.status(0.2) is None:
            assert time.monotonic() < deadline and proc.alive(), proc.log_tail()
        c.close()
        sub = Tcp(port)
        reply, _ = sub.ask("/kr/notify/subscribe", 60.0)
        assert reply == "/kr/done"
        jack.stop()
        address, args = sub.recv(15)
        while address != "/kr/notify/error":
            address, args = sub.recv(15)
        assert "JACK server went away" in args[0], args
        assert "waits for a server" in args[0], args
        time.sleep(1.0)
        assert proc.alive(), "krd keeps its session and waits for a server"
    finally:
        if sub is not None:
            sub.close()
        proc.stop()
        jack.stop()


def test_a_recording_whose_disk_is_full_stops_and_says_so_while_the_sound_plays_on(
    kr_clean: None,
) -> None:
    from oscclient import Tcp

    folder = Path(tempfile.mkdtemp())
    full = folder / "full.wav"
    full.symlink_to("/dev/full")  # every write fails: No space left on device
    sub = Tcp(int(os.environ["KR_PORT"]))
    try:
        assert sub.ask("/kr/notify/subscribe", 60.0)[0] == "/kr/done"
        kr.node("tone", TONE)
        kr.session.client.request("record_start", {"file": str(full), "target": None})
        deadline = time.monotonic() + 15
        message = ""
        while "full.wav" not in message and time.monotonic() < deadline:
            address, args = sub.recv(15)
            if address == "/kr/notify/error":
                message = str(args[0])
        assert "stopped" in message and "No space left" in message, message
        with pytest.raises(kr.KrError, match="nothing is being recorded"):
            kr.session.client.request("record_stop", {"file": None})
        assert kr.get("tone/gain") == 1.0 and kr.status()["ok"], "krd plays on"
    finally:
        sub.close()


def test_a_state_file_that_cannot_be_written_is_an_error_clients_hear(jack_server: str) -> None:
    from oscclient import Tcp

    port = free_port()
    state = "/proc/kr-no-such-folder/session.json"  # nothing can be created under /proc
    proc = engine.start_krd(port, jack_server, ["--state", state, "--name", "krd-nowrite"])
    sub = None
    try:
        _wait_status(port, lambda s: s["ok"])
        sub = Tcp(port)
        assert sub.ask("/kr/notify/subscribe", 60.0)[0] == "/kr/done"
        s = kr.Session(port=port)
        s.node("a", LEVEL)  # a change: krd tries to save it
        status = _wait_status(port, lambda s: not s["ok"])
        assert state in status["state_error"], status
        address, args = sub.recv(5)
        while address != "/kr/notify/error":
            address, args = sub.recv(5)
        assert "cannot write the session state" in args[0], args
        s.close()
    finally:
        if sub is not None:
            sub.close()
        proc.stop()
