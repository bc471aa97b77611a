"""Every code sample of the seed README and scenes page, run against a real krd and heard in a
JACK recording where it makes sound: onsets where the pattern puts them, pitches, chords,
silence after mute and hush, gain changes. (Exports and kits: test_api_export.py.)"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction

import numpy as np
import pytest
from audio import fundamental, rms
from test_spine import Clock, acid_bass, record, reverb

import kr
from kr import krs
from kr.client import Client


@kr.dsp
def kick() -> krs.Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
    return krs.sine_osc(55.0 + env * 200.0) * env * 0.9


def tone() -> krs.Signal:
    return krs.sine_osc(krs.control("freq", 440.0, 20.0, 2000.0)) * 0.5


def rising_edges(x: np.ndarray, threshold: float = 1e-3, gap: int = 480) -> list[int]:
    """Sample indices where |x| crosses `threshold` after at least `gap` quiet samples."""
    loud = np.flatnonzero(np.abs(x) > threshold)
    if len(loud) == 0:
        return []
    starts = [int(loud[0])] + [
        int(b) for a, b in zip(loud[:-1], loud[1:], strict=True) if b - a > gap
    ]
    return starts


def check_onsets(rec: object, clock: Clock, pattern: kr.Pattern, cycles: int = 2) -> int:
    """Every onset of `pattern` in `cycles` whole cycles of the recording is heard at its frame
    (±2 ms), and nothing else starts in between. Returns the number of onsets checked."""
    x = rec.data[0, : rec.pos]  # type: ignore[attr-defined]
    start = rec.first_frame  # type: ignore[attr-defined]
    rate = clock.rate
    c0 = math.ceil(clock.cycle_at(max(start, clock.now) + int(0.1 * rate)))
    assert clock.frame_of(Fraction(c0 + cycles)) - start <= len(x), "recording too short"
    expected = [
        clock.frame_of(e.whole[0]) - start
        for e in pattern.query(c0, c0 + cycles)
        if e.has_onset and e.whole is not None
    ]
    assert expected
    lo = clock.frame_of(Fraction(c0)) - start - 10
    hi = clock.frame_of(Fraction(c0 + cycles)) - start - 10
    # A cycle JACK skipped leaves a silent hole in the recording; sound resuming after it is not
    # an onset.
    hole_ends = {end for _, end in rec.holes}  # type: ignore[attr-defined]
    heard = [i for i in rising_edges(x) if lo <= i < hi and i not in hole_ends]
    tol = int(0.002 * rate)
    assert len(heard) == len(expected), (
        f"heard {len(heard)} onsets, the pattern has {len(expected)}"
    )
    for h, e in zip(heard, sorted(expected), strict=True):
        assert abs(h - e) <= tol, f"onset {h - e} frames off"
    return len(expected)


# ---- README: the first example ---------------------------------------------------------------


def test_readme_first_example(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    verb = kr.node("verb", reverb, gain=0.3)
    bass >> (verb, 0.4)  # route with send level
    bass @ kr.seq("A2", "D3", None, "E2").over(2)  # play pattern
    bass @ ("cutoff", kr.sine(200, 2000).over(4))  # modulate control
    state = kr.dump()
    assert state["routes"] == [{"from": "bass", "to": "verb", "level": pytest.approx(0.4)}]
    kr.tempo = 240  # the cutoff's sine takes 4 s
    rec = record(4.5, ("krd:master/out_1", "krd:verb/out_1", "krd:bass/out_1"))
    rec.wait(10)
    master, wet, dry = rec.data[:, : rec.pos]
    assert rms(master) > 1e-3 and rms(wet) > 1e-4
    # The cutoff moves: the brightness (spectral centroid) of the notes rises and falls.
    rate = rec.rate
    win = int(0.1 * rate)
    centroids = []
    for i in range(0, len(dry) - win, win):
        seg = dry[i : i + win]
        if rms(seg) < 1e-3:
            continue
        spec = np.abs(np.fft.rfft(seg * np.hanning(win)))
        freqs = np.fft.rfftfreq(win, 1 / rate)
        centroids.append(float((spec * freqs).sum() / spec.sum()))
    assert max(centroids) > 1.5 * min(centroids), f"the cutoff does not move: {centroids}"


# ---- README: quick start -------------------------------------------------------------------


def test_readme_kick_four_on_the_floor_and_swung_eighths(kr_clean: None) -> None:
    kr.tempo = 60  # slow enough that each kick dies away before the next
    k = kr.node("kick", kick, gain=0.8)
    k @ (kr.hit() * 4)  # 4-on-the-floor
    time.sleep(0.2)
    rec, clock = record(9.5), Clock()
    rec.wait(15)
    assert check_onsets(rec, clock, kr.hit() * 4, cycles=1) == 4

    swung = (kr.hit() * 8).swing(0.67)
    k @ swung  # swung 8ths
    time.sleep(0.2)
    rec, clock = record(9.5), Clock()
    rec.wait(15)
    assert check_onsets(rec, clock, swung, cycles=1) == 8
    # Swung: the 8ths alternate long and short.
    onsets = [e.whole[0] for e in swung.query(0, 1) if e.whole is not None]
    gaps = {float(b - a) for a, b in zip(onsets[:-1], onsets[1:], strict=True)}
    assert len({round(g, 6) for g in gaps}) > 1


def test_readme_sequence_pitches(kr_clean: None) -> None:
    kr.tempo = 240
    bass = kr.node("bass", acid_bass, gain=0.3)
    pattern = kr.seq("A2", "D3", None, "E2").over(2)
    bass @ pattern
    time.sleep(0.2)
    rec, clock = record(4.5), Clock()
    rec.wait(10)
    x = rec.data[0, : rec.pos]
    check_onsets(rec, clock, pattern, cycles=2)
    c0 = math.ceil(clock.cycle_at(rec.first_frame + int(0.1 * clock.rate)))
    for e in pattern.query(c0, c0 + 2):
        if not e.has_onset or e.whole is None:
            continue
        at = clock.frame_of(e.whole[0]) - rec.first_frame
        hz = 440 * 2 ** ((e.value["note"] - 69) / 12)  # type: ignore[index]
        seg = x[at + int(0.02 * clock.rate) : at + int(0.2 * clock.rate)]
        assert abs(fundamental(seg, int(clock.rate)) - hz) / hz < 0.03


def test_readme_chords_on_a_poly_node(kr_clean: None) -> None:
    kr.tempo = 120  # a cycle is 2 s: the chord sounds 1 s, then 1 s of rest
    pad = kr.node("pad", acid_bass, gain=0.2, count=4)
    pad @ (kr.note("A4", "C5", "E5") + kr.rest())
    time.sleep(0.2)
    rec, clock = record(4.5), Clock()
    rec.wait(10)
    x = rec.data[0, : rec.pos]
    rate = int(clock.rate)
    c0 = math.ceil(clock.cycle_at(rec.first_frame + int(0.1 * rate)))
    at = clock.frame_of(Fraction(c0)) - rec.first_frame
    chord = x[at + int(0.02 * rate) : at + int(0.45 * rate)]  # while the gate is up
    spec = np.abs(np.fft.rfft(chord * np.hanning(len(chord)), 1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / rate)

    def level(f: float) -> float:
        return float(spec[(freqs > f - 4) & (freqs < f + 4)].max())

    floor = float(np.median(spec[(freqs > 300) & (freqs < 800)]))
    for f in (440.0, 523.25, 659.26):
        assert level(f) > 30 * floor, f"{f} Hz is not in the chord"
    rest = x[at + int(1.2 * rate) : at + int(1.95 * rate)]
    assert rms(rest) < 1e-5, "the rest step is not silent"


def test_readme_effect_routing_and_control_access(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)
    verb = kr.node("verb", reverb, gain=0.3)  # auto-detected as effect
    assert {n["name"]: n["inputs"] for n in kr.dump()["nodes"]} == {"bass": 0, "verb": 1}
    bass >> (verb, 0.4)  # send at 40%
    rec = record(4.5, ("krd:verb/out_1",))  # a whole period of the pattern
    rec.wait(10)
    assert rms(rec.data[0, : rec.pos]) > 1e-4, "the effect hears nothing through the send"

    bass["cutoff"] = 1200  # set control
    assert bass["cutoff"] == pytest.approx(1200)  # read control value
    assert kr["bass"] == bass  # get node handle by name


# ---- README: transport and control -----------------------------------------------------------


def test_readme_master_scales_the_output(kr_clean: None) -> None:
    kr.node("tone", tone)
    kr.master = 0.8
    time.sleep(0.2)
    rec = record(0.5)
    rec.wait(5)
    loud = rms(rec.data[0, : rec.pos])
    kr.master = 0.7
    time.sleep(0.2)
    rec = record(0.5)
    rec.wait(5)
    assert rms(rec.data[0, : rec.pos]) / loud == pytest.approx(0.7 / 0.8, rel=0.01)


def test_readme_mute_silences_and_tempo_moves_the_onsets(kr_clean: None) -> None:
    kr.tempo = 128
    k = kr.node("bass", kick, gain=0.8)
    k @ (kr.hit() * 4)
    time.sleep(0.2)
    rec, clock = record(6.0), Clock()
    assert clock.cps == pytest.approx(128 / 60 / 4)
    rec.wait(10)
    check_onsets(rec, clock, kr.hit() * 4)
    kr.mute("bass")
    time.sleep(0.1)
    rec = record(2.0)
    rec.wait(10)
    assert rms(rec.data[0, : rec.pos]) < 1e-6, "muted, yet heard"
    kr.unmute("bass")
    time.sleep(0.1)
    rec = record(2.0)
    rec.wait(10)
    assert rms(rec.data[0, : rec.pos]) > 1e-3


def test_readme_transport_block(kr_clean: None, tmp_path: object) -> None:
    bass = kr.node("bass", tone, gain=0.3)
    kr.tempo = 128
    kr.master = 0.7
    kr.fade("bass/gain", 0.0, bars=4)
    kr.mute("bass")
    kr.save("verse")
    kr.recall("verse")
    path = kr.export(f"{tmp_path}/my_session.py")  # save to reloadable Python file
    assert 'kr.node("bass"' in path.read_text()
    state = kr.dump()
    assert (state["tempo"], round(state["master"], 3)) == (128, 0.7)
    assert state["nodes"][0]["muted"] is True

    kr.remove("bass")
    bass = kr.node("bass", tone, gain=0.2)
    time.sleep(0.2)
    rec = record(2.5)
    time.sleep(0.3)
    # Transition: all changes inside fade over N bars
    with kr.transition(bars=8):
        bass["gain"] = 0.8
        kr.tempo = 140
    assert kr.tempo == 140  # the tempo switches at once
    rec.wait(10)
    x = rec.data[0, : rec.pos]
    quarter = len(x) // 4
    levels = [rms(x[i * quarter : (i + 1) * quarter]) for i in range(4)]
    assert levels == sorted(levels), f"the gain does not rise gradually: {levels}"
    assert levels[-1] < 0.8 / 0.2 * levels[0] * 0.9, "the gain jumped instead of fading"
    kr.delete_scene("verse")


# ---- README: pattern algebra -----------------------------------------------------------------


def test_readme_pattern_algebra_plays(kr_clean: None) -> None:
    kr.node("k", kick)
    kr.node("t", tone)
    a = kr.hit()
    b = kr.note("C4")
    p = kr.seq("A2", "D3", "E2")
    c = kr.rest()
    rhythm = kr.p("x . x x")
    melody = kr.seq("A2", "D3")

    def onsets(pat: kr.Pattern) -> int:
        return sum(1 for e in pat.query(0, 4) if e.has_onset)

    cases = {
        "a + b": (a + b, 8),  # sequence (equal time share)
        "a | b": (a | b, 8),  # layer (simultaneous)
        "p * 4": (p * 4, 48),  # repeat 4 times
        "p.over(2)": (p.over(2), 6),  # stretch to 2 cycles
        "p.fast(2)": (p.fast(2), 24),  # double speed
        "p.reverse()": (p.reverse(), 12),
        "p.every(4, ...)": (p.every(4, lambda p: p.reverse()), 12),
        "p.spread(3, 8)": (p.spread(3, 8), None),  # euclidean rhythm
        "p.thin(0.3)": (p.thin(0.3), None),
        "p.swing(0.67)": (p.swing(0.67), None),
        "p.mask(...)": (p.mask("1 1 0 1"), None),
        "p.sometimes(...)": (p.sometimes(0.3, lambda p: p.reverse()), 12),
        "kr.p(...)": (kr.p("x . x . x . . x"), 16),
        "kr.cat(a, b, c)": (kr.cat(a, b, c), 3),
        "kr.stack(a, b)": (kr.stack(a, b), 8),
        "kr.struct(rhythm, melody)": (kr.struct(rhythm, melody), 12),
        "kr.sine(200, 2000)": (kr.sine(200, 2000), None),
        "kr.saw(200, 2000)": (kr.saw(200, 2000), None),
        "kr.rand(200, 2000)": (kr.rand(200, 2000), None),
    }
    for what, (pat, n) in cases.items():
        if n is not None:
            assert onsets(pat) == n, what
        continuous = what.startswith(("kr.sine", "kr.saw", "kr.rand"))
        target = "t/freq" if continuous else "k"
        kr.play(target, pat)
        assert any(x["target"] == target for x in kr.dump()["patterns"]), what
    assert onsets(p.thin(0.3)) < 12
    reversed_first = [e.value for e in p.every(4, lambda p: p.reverse()).query(0, 1)]
    assert reversed_first == [e.value for e in p.reverse().query(0, 1)]
    assert [e.value for e in kr.struct(rhythm, melody).query(0, 1)] == [
        {"note": 45.0},
        {"note": 50.0},
        {"note": 50.0},
    ]


# ---- scenes page -----------------------------------------------------------------------------


def test_scenes_ab_between_sections(kr_clean: None) -> None:
    kr.tempo = 120
    kr.node("kick", kick, gain=0.8)
    kr.node("bass", acid_bass, gain=0.3)
    # Build a verse
    kr.play("kick", kr.hit() * 4)
    kr.play("bass", kr.seq("A2", "D3", None, "E2").over(2))
    kr.save("verse")
    # Build a chorus
    kr.play("kick", kr.hit() * 8)
    kr.play("bass", kr.seq("A3", "C3", "E3", "G3"))
    kr.save("chorus")
    # Switch between them
    kr.recall("verse")
    kr.hush("bass")
    kr.recall("verse")  # the bass comes back with the scene
    pats = {
        p["target"]: kr.Pattern.from_ir(json.dumps(p["pattern"])) for p in kr.dump()["patterns"]
    }
    assert set(pats) == {"kick", "bass"}
    assert pats["kick"].to_ir() == (kr.hit() * 4).to_ir()
    kr.mute("bass")
    time.sleep(0.2)
    rec, clock = record(6.5), Clock()
    rec.wait(10)
    assert check_onsets(rec, clock, kr.hit() * 4) == 8
    kr.recall("chorus")  # unmutes: the scene has bass unmuted
    assert not any(n["muted"] for n in kr.dump()["nodes"])
    kr.mute("bass")
    time.sleep(0.2)
    rec, clock = record(6.5), Clock()
    rec.wait(10)
    assert check_onsets(rec, clock, kr.hit() * 8) == 16
    for s in ("verse", "chorus"):
        kr.delete_scene(s)


def test_scenes_smooth_transition_example(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    kr.node("kick", kick)
    kr.play("kick", kr.hit() * 4)
    # Build two scenes, transition between them
    kr.save("verse")
    # Modify into chorus
    bass["gain"] = 0.5
    kr.play("kick", kr.hit() * 8)
    kr.save("chorus")
    # Smooth recall
    kr.recall("verse")
    assert bass["gain"] == pytest.approx(0.3)
    with kr.transition(bars=4):
        kr.recall("chorus")  # all changes fade over 4 bars
    # The session holds the chorus at once; what sounds is still near the verse, fading.
    assert [n["gain"] for n in kr.dump()["nodes"] if n["name"] == "bass"] == [pytest.approx(0.5)]
    assert bass["gain"] == pytest.approx(0.3, abs=0.02)
    pats = kr.dump()["patterns"]
    assert pats[0]["pattern"]["p"]["factor"]["value"] == 8
    # No nesting
    with pytest.raises(RuntimeError), kr.transition(bars=1), kr.transition(bars=2):
        pass
    for s in ("verse", "chorus"):
        kr.delete_scene(s)


def test_engine_still_answers(krd: int) -> None:
    assert Client(port=krd).status(1.0) is not None
