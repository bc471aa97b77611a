"""The spine, end to end: the seed's first example on a real krd, real JACK, real libfaust."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from audio import first_onset, fundamental, rms
from conftest import free_port
from record import Recorder

import kr
from kr import krs


def acid_bass() -> krs.Signal:
    freq = krs.control("freq", 55.0, 20.0, 800.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
    env = krs.adsr(0.005, 0.15, 0.3, 0.08, gate)
    return krs.lowpass(krs.saw(freq), cutoff) * env * 0.55


def reverb(inp: krs.Signal) -> krs.Signal:
    room = krs.control("room", 0.7, 0.0, 1.0)
    return krs.reverb(inp, room) * 0.8


class Clock:
    """krd's cycle → JACK frame map, from its state dump."""

    def __init__(self) -> None:
        c = kr.dump()["clock"]
        self.rate = c["sample_rate"]
        self.origin_frame = c["origin_frame"]
        self.origin_cycle = Fraction(*c["origin_cycle"])
        self.cps = c["cps"]
        self.now = c["frame"]

    def frame_of(self, cycle: Fraction) -> int:
        return round(self.origin_frame + float(cycle - self.origin_cycle) / self.cps * self.rate)

    def cycle_at(self, frame: int) -> float:
        return float(self.origin_cycle) + (frame - self.origin_frame) / self.rate * self.cps


def record(
    seconds: float, ports: tuple[str, ...] = ("krd:master/out_1", "krd:master/out_2")
) -> Recorder:
    rec = Recorder(list(ports), seconds, name=f"kr-test-rec-{time.monotonic_ns()}")
    rec.start()
    return rec


def test_seed_example_notes_sound_at_their_onsets(kr_clean: None) -> None:
    kr.tempo = 240  # one cycle per second keeps the test short; the map is the same
    bass = kr.node("bass", acid_bass, gain=0.3)
    rec = record(5.5)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)
    clock = Clock()
    rec.wait(15)
    assert rec.first_frame is not None
    x = rec.data[0, : rec.pos]
    start = rec.first_frame
    # The first whole period (cycles c .. c+2, c even) after the pattern started playing.
    c = int(np.ceil(clock.cycle_at(clock.now + int(0.1 * clock.rate))))
    c += c % 2
    period_end = clock.frame_of(Fraction(c + 2)) - start
    assert period_end <= len(x), "recording too short for a whole period"

    tolerance = int(0.005 * clock.rate)
    expected = [(Fraction(0), 110.0), (Fraction(1, 2), 146.83), (Fraction(3, 2), 82.41)]
    for offset, hz in expected:
        at = clock.frame_of(c + offset) - start
        onset = first_onset(x, at - int(0.05 * clock.rate))
        assert onset is not None, f"no sound near cycle {c + offset}"
        assert abs(onset - at) <= tolerance, f"onset at cycle {c + offset}: {onset - at} frames off"
        segment = x[onset + int(0.02 * clock.rate) : onset + int(0.22 * clock.rate)]
        f = fundamental(segment, int(clock.rate))
        assert abs(f - hz) / hz < 0.03, f"cycle {c + offset}: heard {f:.1f} Hz, expected {hz} Hz"

    # The rest (cycle c+1 .. c+3/2) is silent, and so is the end of each note's step.
    rest = x[
        clock.frame_of(Fraction(c + 1)) - start + tolerance : clock.frame_of(c + Fraction(3, 2))
        - start
        - tolerance
    ]
    assert rms(rest) < 1e-5, f"the rest is not silent (rms {rms(rest):.2e})"
    assert (
        rms(
            x[
                clock.frame_of(c + Fraction(1, 2)) - start - int(0.1 * clock.rate) : clock.frame_of(
                    c + Fraction(1, 2)
                )
                - start
                - tolerance
            ]
        )
        < 1e-5
    )


def test_seed_example_routes_through_the_reverb_and_modulates_cutoff(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    verb = kr.node("verb", reverb, gain=0.3)
    assert (bass >> (verb, 0.4)) == verb
    bass @ kr.seq("A2", "D3", None, "E2").over(2)
    bass @ ("cutoff", kr.sine(200, 2000).over(4))
    state = kr.dump()
    assert {n["name"]: n["inputs"] for n in state["nodes"]} == {"bass": 0, "verb": 1}
    assert state["routes"] == [{"from": "bass", "to": "verb", "level": pytest.approx(0.4)}]
    assert sorted(p["target"] for p in state["patterns"]) == ["bass", "bass/cutoff"]
    rec = record(2.5, ("krd:master/out_1", "krd:verb/out_1", "krd:bass/out_1"))
    rec.wait(10)
    master, wet, dry = rec.data[:, : rec.pos]
    assert rms(master) > 1e-3, "master is silent"
    assert rms(dry) > 1e-3, "bass's own port is silent"
    assert rms(wet) > 1e-4, "the reverb hears nothing through the send"


def test_invalid_faust_raises_with_libfaust_message_and_playing_notes_go_on(kr_clean: None) -> None:
    kr.tempo = 240
    bass = kr.node("bass", acid_bass, gain=0.3)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)

    def broken() -> krs.Signal:
        return krs.faust("no_such_function(1)")

    rec = record(4.0)
    time.sleep(0.5)
    with pytest.raises(kr.FaustError, match=r"undefined symbol : no_such_function"):
        kr.node("broken", broken)
    rec.wait(10)
    assert [n["name"] for n in kr.dump()["nodes"]] == ["bass"]
    x = rec.data[0, : rec.pos]
    second_half = x[len(x) // 2 :]
    # Two cycles of the pattern fit in the second half: its three notes are all still heard.
    assert rms(second_half) > 1e-3
    assert len(np.flatnonzero(np.diff((np.abs(second_half) > 1e-3).astype(int)) == 1)) >= 2


def test_bad_requests_get_the_engines_reason(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass)
    with pytest.raises(kr.KrError, match="has no control 'nope'"):
        bass["nope"] = 1.0
    with pytest.raises(kr.KrError, match="no node named 'ghost'"):
        kr.play("ghost", kr.seq("A2"))
    bass["cutoff"] = 1200
    assert bass["cutoff"] == pytest.approx(1200)
    bass["cutoff"] = 99999  # clamped to the control's range
    assert bass["cutoff"] == pytest.approx(4000)


def test_a_session_starts_krd_when_none_answers(jack_server: str) -> None:
    s = kr.Session(port=free_port())
    try:
        status = s.status()
        assert status["ok"] is True
        assert s._krd is not None and s._krd.alive()
    finally:
        s.close()
