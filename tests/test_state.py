"""The engine owns the session: it survives kill -9 (restored from its state file) and records
what it plays."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import numpy as np
from audio import fundamental, read_wav
from conftest import free_port

import kr
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
