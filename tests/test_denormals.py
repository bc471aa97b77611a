"""Denormal floats are flushed to zero while the engine computes, live (inside the JACK process
callback) and in `krd render`: a decaying reverb tail must not cost more than the song.

The probe is a node whose output is its control times 1e-20: a control of 1e-10 gives 1e-30 (a
normal float, heard as it is), a control of 1e-20 gives 1e-40, a denormal, which the processor
computes as exactly 0 only when flush-to-zero is on in the thread that runs the node."""

from __future__ import annotations

import time

import numpy as np
from record import Recorder
from test_render import render

import kr

PROBE = 'process = hslider("a", 0, 0, 1, 0.001) * 1e-20;'

SCORE = f"""
duration: 1
commands:
  - at: 0
    cmd: node_new
    name: probe
    source: '{PROBE}'
  - at: 0
    cmd: set
    path: probe/a
    value: 1.0e-10
  - at: 0.5
    cmd: set
    path: probe/a
    value: 1.0e-20
"""


def test_render_flushes_denormals_to_zero() -> None:
    left = render(SCORE)[:, 0]
    normal, tiny = left[64:24000], left[24000:]
    assert np.all(normal > 1e-31) and np.all(normal < 1e-29), "1e-30 is a normal float: kept"
    assert np.all(tiny == 0.0), f"1e-40 is denormal: flushed to 0, got {tiny[np.nonzero(tiny)][:3]}"


def test_the_jack_callback_flushes_denormals_to_zero(kr_clean: None) -> None:
    kr.node("probe", PROBE)
    port = f"{kr.dump()['client']}:probe/out_1"
    heard = {}
    for value in (1e-10, 1e-20):
        kr.session.client.request("set", {"path": "probe/a", "value": value})
        time.sleep(0.05)
        rec = Recorder([port], 0.2, name="kr-test-denormals")
        rec.start()
        rec.wait(5)
        heard[value] = rec.data[0, : rec.pos]
        assert rec.pos > 4096, "the recorder ran"
    assert np.all(heard[1e-10] > 1e-31) and np.all(heard[1e-10] < 1e-29), "1e-30 is kept"
    tiny = heard[1e-20]
    assert np.all(tiny == 0.0), f"1e-40 is denormal: flushed to 0, got {tiny[np.nonzero(tiny)][:3]}"
