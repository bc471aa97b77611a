"""Voices in lanes, live: a node of 8 voices or more of a source is made at once with one FAUST
instance per voice (its first sound does not wait for the lanes program, ~100 ms more to
compile), and takes its voices up in lanes, 8 to an instance, once the lanes program is there
and every voice is silent — never under a sound. It plays the same afterwards."""

from __future__ import annotations

import time

import numpy as np
from audio import zero_crossing_hz
from record import Recorder

import kr

KEYS = (
    'import("stdfaust.lib"); freq = hslider("freq", 440, 20, 20000, 0.001);'
    ' gate = hslider("gate", 0, 0, 1, 1);'
    " process = os.osc(freq) * en.adsr(0.005, 0.05, 0.8, 0.1, gate) * 0.2;"
)


def lanes(name: str) -> int:
    return int(kr.session.node_info(name)["lanes"])


def compiles_pending() -> int:
    return int(kr.status()["compiles"]["pending"])


def test_a_poly_node_takes_its_lanes_up_once_silent(kr_clean: None) -> None:
    # A source krd has not compiled before, so that its lanes program is not there yet.
    source = f"// {time.time_ns()}\n{KEYS}"
    kr.node("pad", source, count=12)
    assert lanes("pad") == 0, "made at once, one instance per voice"
    kr.session.set("pad/gate", 1.0)  # every voice sounds, before the lanes program is there
    deadline = time.monotonic() + 10
    while compiles_pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert compiles_pending() == 0, "the lanes program compiled"
    time.sleep(0.5)
    assert lanes("pad") == 0, "voices are not swapped while they sound"
    kr.session.set("pad/gate", 0.0)
    deadline = time.monotonic() + 5
    while lanes("pad") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lanes("pad") == 8, "once silent, 8 of the 12 voices went in lanes"
    client = str(kr.dump()["client"])
    rec = Recorder([f"{client}:pad/out_1"], 1.5, name="kr-test-lanes")
    rec.start()
    time.sleep(0.2)
    kr.session.set("pad/freq", 440.0)
    kr.session.set("pad/gate", 1.0)  # all 12 voices: 8 in lanes, 4 alone
    rec.wait(5)
    x = rec.data[0, : rec.pos]
    onset = int(np.flatnonzero(np.abs(x) > 0.01)[0])
    held = x[onset + rec.rate // 10 : onset + rec.rate // 2]
    assert len(held) == rec.rate * 4 // 10, "recorded the note"
    # Each voice at 0.2 x sustain 0.8, in phase: twelve of them.
    assert abs(np.abs(held).max() - 12 * 0.2 * 0.8) < 0.05, np.abs(held).max()
    assert abs(zero_crossing_hz(held, rec.rate) - 440.0) < 2
