"""The .dsp directory: a file is a node type; editing it recompiles and crossfades its nodes; a
broken edit keeps the old version playing and subscribers are told why."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from oscclient import Udp
from record import Recorder

import kr


def latest(x: np.ndarray) -> float:
    return float(x[-1])


def test_editing_a_dsp_file_reloads_its_nodes(kr_clean: None) -> None:
    root = Path(os.environ["XDG_DATA_HOME"]) / "kr" / "dsp" / "test"
    root.mkdir(parents=True, exist_ok=True)
    path = root / "level.dsp"
    path.write_text("process = 0.25;\n")
    kr.node("f", "faust:test/level")
    watcher = Udp(int(os.environ["KR_PORT"]))
    assert watcher.ask("/kr/notify/subscribe", 60.0)[0] == "/kr/done"

    path.write_text("process = 0.5; // edited\n")
    note = watcher.recv(10)
    while note[0] != "/kr/notify/reload":
        note = watcher.recv(10)
    assert note[1][:2] == ["f", 1], note
    rec = Recorder(["krd:f/out_1"], 0.3, name="kr-test-dspdir")
    rec.start()
    rec.wait(5)
    assert abs(latest(rec.data[0, : rec.pos]) - 0.5) < 1e-6

    path.write_text("process = broken;\n")
    note = watcher.recv(10)
    while note[0] != "/kr/notify/reload":
        note = watcher.recv(10)
    assert note[1][0] == "f" and note[1][1] == 0 and "undefined symbol : broken" in note[1][2], note
    rec = Recorder(["krd:f/out_1"], 0.3, name="kr-test-dspdir2")
    rec.start()
    rec.wait(5)
    assert abs(latest(rec.data[0, : rec.pos]) - 0.5) < 1e-6, "the last good version keeps playing"
    watcher.close()
