"""The session API against a real krd: every command, groups, modes (batch, transition), two
clients. Audio checks live in test_api_seed.py; here the engine's state dump is the witness."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import free_port
from test_spine import acid_bass, record, reverb

import kr
from kr import krs


def stereo_fx(left: krs.Signal, right: krs.Signal) -> tuple[krs.Signal, krs.Signal]:
    return left * 0.5, right * 0.5


def tone() -> krs.Signal:
    return krs.sine_osc(krs.control("freq", 440.0, 20.0, 2000.0)) * 0.5


def envelope(x: np.ndarray, rate: int, win: float = 0.05) -> np.ndarray:
    """RMS in consecutive windows of `win` seconds."""
    n = int(rate * win)
    frames = x[: len(x) // n * n].reshape(-1, n).astype(np.float64)
    return np.sqrt(np.mean(frames**2, axis=1))


def ramp_windows(env: np.ndarray) -> int:
    """How many windows lie strictly between 10% and 90% of the loudest level."""
    top = env.max()
    return int(np.count_nonzero((env > 0.1 * top) & (env < 0.9 * top)))


def by_name(state: dict) -> dict[str, dict]:
    return {n["name"]: n for n in state["nodes"]}


def test_sources_and_effects_are_detected_from_parameters(kr_clean: None) -> None:
    kr.node("bass", acid_bass)
    kr.node("verb", reverb)
    kr.node("st", stereo_fx)
    nodes = by_name(kr.dump())
    assert (nodes["bass"]["inputs"], nodes["verb"]["inputs"], nodes["st"]["inputs"]) == (0, 1, 2)
    assert nodes["st"]["outputs"] == 2


def test_dsp_decorator_is_a_dsp_and_still_a_function(kr_clean: None) -> None:
    @kr.dsp
    def kick() -> krs.Signal:
        gate = krs.control("gate", 0.0, 0.0, 1.0)
        env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
        return krs.sine_osc(55.0 + env * 200.0) * env * 0.9

    assert isinstance(kick, kr.Dsp) and kick.__name__ == "kick"
    assert isinstance(kick(), krs.Signal)  # still callable
    assert krs.faust_source(kick) == kick.faust  # still traceable
    assert kick.inputs == 0
    k = kr.node("kick", kick, gain=0.8)
    assert by_name(kr.dump())["kick"]["source"] == kick.faust
    assert k == kr["kick"]


def test_node_from_faust_source_string_and_init_controls(kr_clean: None) -> None:
    src = 'import("stdfaust.lib"); f = hslider("freq", 220, 20, 2000, 0.01); process = os.osc(f);'
    kr.node("tone", src, gain=0.5, freq=330)
    n = by_name(kr.dump())["tone"]
    assert n["gain"] == pytest.approx(0.5)
    assert kr["tone/freq"] == pytest.approx(330)


def test_remove(kr_clean: None) -> None:
    kr.node("bass", acid_bass)
    kr.node("verb", reverb)
    kr.route("bass", "verb")
    kr.play("bass", "a2 d3")
    kr.remove("bass")
    state = kr.dump()
    assert [n["name"] for n in state["nodes"]] == ["verb"]
    assert state["routes"] == [] and state["patterns"] == []


def test_routing_levels_chaining_and_unroute(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass)
    verb = kr.node("verb", reverb)
    echo = kr.node("echo", reverb)
    assert (bass >> (verb, 0.4) >> echo) == echo
    routes = {(r["from"], r["to"]): r["level"] for r in kr.dump()["routes"]}
    assert routes == {("bass", "verb"): pytest.approx(0.4), ("verb", "echo"): pytest.approx(1.0)}
    bass >> (verb, 0.7)  # routing again changes the level
    kr.unroute("verb", echo)
    routes = {(r["from"], r["to"]): r["level"] for r in kr.dump()["routes"]}
    assert routes == {("bass", "verb"): pytest.approx(0.7)}
    kr.route(bass, "echo", 0.2)
    assert len(kr.dump()["routes"]) == 2


def test_play_forms(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass)
    bass @ kr.seq("A2", "D3")
    bass @ ("cutoff", kr.sine(200, 2000))
    pats = {p["target"]: p for p in kr.dump()["patterns"]}
    assert set(pats) == {"bass", "bass/cutoff"}
    bass @ "a2 [d3 e3]"
    pats = {p["target"]: p for p in kr.dump()["patterns"]}
    assert pats["bass"]["pattern"]["p"] == {"op": "mini", "src": "a2 [d3 e3]"}
    bass @ ("cutoff", 1200)
    kr.play("bass", kr.note("c3 e3"), from_zero=True)
    pats = {p["target"]: p for p in kr.dump()["patterns"]}
    assert pats["bass"]["from_zero"] is True
    bass @ None
    assert [p["target"] for p in kr.dump()["patterns"]] == ["bass/cutoff"]
    kr.hush("bass/cutoff")
    assert kr.dump()["patterns"] == []


def test_hush_stop_and_group_hush(kr_clean: None) -> None:
    kr.node("drums/kick", acid_bass)
    kr.node("drums/hat", acid_bass)
    kr.node("bass", acid_bass)
    for name in ("drums/kick", "drums/hat", "bass"):
        kr.play(name, kr.hit() * 4)
    kr.hush("drums")
    assert [p["target"] for p in kr.dump()["patterns"]] == ["bass"]
    kr.play("drums/kick", kr.hit())
    kr.stop()
    assert kr.dump()["patterns"] == []
    assert len(kr.dump()["nodes"]) == 3  # stop keeps the nodes


def test_controls_by_handle_and_by_path(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass)
    bass["cutoff"] = 1200
    assert bass["cutoff"] == pytest.approx(1200)
    assert kr["bass/cutoff"] == pytest.approx(1200)
    kr["bass/cutoff"] = 900
    assert bass["cutoff"] == pytest.approx(900)
    kr.set("bass/gain", 0.25)
    assert bass["gain"] == pytest.approx(0.25)
    kr.gain("bass", 0.5)
    assert kr.get("bass/gain") == pytest.approx(0.5)
    assert kr["bass"] == bass and isinstance(kr["bass"], kr.Node)
    assert sorted(bass.controls()) == ["cutoff", "freq", "gain", "gate"]
    with pytest.raises(KeyError):
        kr["nothing"]


def test_settings_are_the_engines_and_misspellings_raise(kr_clean: None) -> None:
    kr.tempo = 128
    kr.meter = 3
    kr.master = 0.7
    state = kr.dump()
    assert (state["tempo"], state["meter"]) == (128, 3)
    assert state["master"] == pytest.approx(0.7)
    assert (kr.tempo, kr.meter, kr.master) == (128, 3, pytest.approx(0.7))
    with pytest.raises(AttributeError, match="no setting 'tmepo'"):
        kr.tmepo = 140  # type: ignore[attr-defined]
    s = kr.Session(port=kr.session.port)
    with pytest.raises(AttributeError):
        s.tmepo = 1  # type: ignore[attr-defined]
    kr.meter = 4


def test_fade_moves_a_gain_over_bars(kr_clean: None) -> None:
    kr.tempo = 240  # a bar per second
    kr.node("tone", tone, gain=1.0)
    rec = record(3.5)
    time.sleep(0.5)
    kr.fade("tone/gain", 0.0, bars=2)
    rec.wait(10)
    env = envelope(rec.data[0, : rec.pos], rec.rate)
    assert ramp_windows(env) >= 25, "the gain did not move gradually over two bars"
    assert env[-5:].max() < 1e-4, "the fade did not end at 0"
    kr.fade("master", 0.4, bars=0.5)
    assert kr.master == pytest.approx(0.4)


def test_mute_and_solo_groups_by_path(kr_clean: None) -> None:
    for name in ("drums/kick", "drums/hat", "drums/perc/shaker", "bass"):
        kr.node(name, acid_bass)
    kr.mute("drums")
    muted = {n["name"]: n["muted"] for n in kr.dump()["nodes"]}
    assert muted == {
        "drums/kick": True,
        "drums/hat": True,
        "drums/perc/shaker": True,
        "bass": False,
    }
    kr.unmute("drums/perc")
    muted = {n["name"]: n["muted"] for n in kr.dump()["nodes"]}
    assert muted["drums/perc/shaker"] is False and muted["drums/kick"] is True
    kr.unmute("drums")
    kr.solo("drums")
    soloed = {n["name"]: n["soloed"] for n in kr.dump()["nodes"]}
    assert soloed == {
        "drums/kick": True,
        "drums/hat": True,
        "drums/perc/shaker": True,
        "bass": False,
    }
    kr.unsolo("drums")
    kr.mute("bass")
    assert by_name(kr.dump())["bass"]["muted"] is True
    kr.unmute(kr["bass"])  # type: ignore[arg-type]
    assert not any(n["muted"] or n["soloed"] for n in kr.dump()["nodes"])
    with pytest.raises(kr.KrError, match="'drum'"):
        kr.mute("drum")  # a prefix that is not a whole path segment is no group


def test_scenes_save_recall_list_delete(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    kr.play("bass", kr.seq("A2", "D3", None, "E2").over(2))
    kr.tempo = 128
    kr.save("verse")
    bass["gain"] = 0.5
    kr.play("bass", kr.seq("A3", "C3", "E3", "G3"))
    kr.tempo = 140
    kr.node("lead", acid_bass)
    kr.save("chorus")
    assert {"verse", "chorus"} <= set(kr.scenes())
    kr.recall("verse")
    state = kr.dump()
    assert [n["name"] for n in state["nodes"]] == ["bass"]
    assert state["tempo"] == 128
    assert bass["gain"] == pytest.approx(0.3)
    assert state["patterns"][0]["pattern"]["p"]["op"] == "slow"
    kr.recall("chorus")
    assert kr.nodes() == ["bass", "lead"] and kr.tempo == 140
    kr.delete_scene("verse")
    kr.delete_scene("chorus")
    assert "verse" not in kr.scenes()
    with pytest.raises(kr.KrError, match="verse"):
        kr.recall("verse")


def test_transition_turns_sets_into_fades(kr_clean: None) -> None:
    kr.tempo = 240  # a bar per second
    kr.node("tone", tone, gain=1.0)
    rec = record(3.0)
    time.sleep(0.5)
    with kr.transition(bars=2):
        kr["tone"]["gain"] = 0.0  # type: ignore[index]
        kr.master = 0.4
        kr.tempo = 120  # no ramp: at once
    assert kr.tempo == 120
    rec.wait(10)
    env = envelope(rec.data[0, : rec.pos], rec.rate)
    # Two bars at 120 BPM (the tempo switched at once) take 4 s; 2.5 s of them are recorded.
    assert ramp_windows(env) >= 30, "the set inside the transition did not fade"
    assert kr.master == pytest.approx(0.4)


def test_recall_inside_a_transition_fades(kr_clean: None) -> None:
    kr.tempo = 240
    t = kr.node("tone", tone, gain=1.0)
    kr.save("loud")
    t["gain"] = 0.0
    time.sleep(0.3)
    rec = record(3.0)
    time.sleep(0.5)
    with kr.transition(bars=2):
        kr.recall("loud")
    rec.wait(10)
    env = envelope(rec.data[0, : rec.pos], rec.rate)
    assert env[:5].max() < 1e-4
    assert ramp_windows(env) >= 25, "recall inside a transition did not fade"
    assert env[-5:].min() > 0.15
    kr.delete_scene("loud")


def test_a_faded_recall_leaves_the_notes_of_a_played_node_sounding(kr_clean: None) -> None:
    """Gate and pitch belong to the notes: a faded recall moves the other controls and the
    faders, and the node a pattern plays keeps sounding throughout."""
    kr.tempo = 240
    src = (
        'import("stdfaust.lib"); freq = hslider("freq", 220, 20, 2000, 0.01); '
        'gate = hslider("gate", 0, 0, 1, 1); process = os.osc(freq) * gate * 0.3;'
    )
    kr.node("keys", src)
    kr.play("keys", kr.mini("a3*4"))
    time.sleep(0.3)
    kr.save("a")
    rec = record(3.0)
    time.sleep(0.3)
    kr.recall("a", bars=4)
    rec.wait(10)
    env = envelope(rec.data[0, : rec.pos], rec.rate, 0.25)
    assert env.min() > 0.05, f"silent windows during the fade: {np.round(env, 3)}"
    kr.delete_scene("a")


def test_transitions_do_not_nest(kr_clean: None) -> None:
    with kr.transition(bars=1), pytest.raises(RuntimeError, match="nested"):
        with kr.transition(bars=2):
            pass
    kr.node("bass", acid_bass)
    kr.set("bass/cutoff", 500)  # back to plain sets after the block
    assert kr.get("bass/cutoff") == pytest.approx(500)


def test_batch_is_one_atomic_bundle(kr_clean: None) -> None:
    with kr.batch():
        kr.node("drums/kick", acid_bass, gain=0.8)
        kr.node("drums/hat", acid_bass, gain=0.5)
        kr.tempo = 130
        kr.play("drums/kick", kr.hit() * 4)
        assert kr.nodes() == []  # nothing is sent before the block ends
    state = kr.dump()
    assert sorted(by_name(state)) == ["drums/hat", "drums/kick"] and state["tempo"] == 130
    assert [p["target"] for p in state["patterns"]] == ["drums/kick"]

    before = kr.dump()
    with pytest.raises(kr.KrError, match="has no control 'nope'"):
        with kr.batch():
            kr.tempo = 90
            kr.node("lead", acid_bass)
            kr.set("drums/kick/nope", 1)
    after = kr.dump()
    assert after["tempo"] == before["tempo"] == 130, "a failed bundle applied part of itself"
    assert sorted(by_name(after)) == sorted(by_name(before))

    with pytest.raises(ZeroDivisionError):
        with kr.batch():
            kr.tempo = 70
            1 / 0  # noqa: B018
    assert kr.tempo == 130, "a batch that raised sent something"


def test_record_writes_a_wav_in_the_recording_dir(kr_clean: None) -> None:
    kr.node("bass", acid_bass, gain=0.3)
    kr.play("bass", kr.hit() * 8)
    name = f"kr-tests/api-{free_port()}.wav"
    kr.record(name)
    time.sleep(0.5)
    message = kr.stop_record()
    assert name in message
    path = next(w for w in message.split() if w.endswith(name))
    data = open(path, "rb").read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) > 48000 * 4 * 0.3
    kr.record(name.replace(".wav", "-bass.wav"), node="bass")
    assert "bass" in kr.stop_record(name.replace(".wav", "-bass.wav"))


def test_status(kr_clean: None) -> None:
    s = kr.status()
    assert s["ok"] is True and s["sample_rate"] > 0


def test_two_clients_see_one_session(kr_clean: None) -> None:
    other = kr.Session(port=kr.session.port)
    try:
        kr.node("bass", acid_bass)
        assert other.nodes() == ["bass"]
        other_bass = other["bass"]
        assert isinstance(other_bass, kr.Node)
        other_bass["cutoff"] = 1500
        assert kr["bass/cutoff"] == pytest.approx(1500)
        other.tempo = 133
        assert kr.tempo == 133
        kr.play("bass", "a2 e2")
        assert [p["target"] for p in other.dump()["patterns"]] == ["bass"]
        other.mute("bass")
        assert by_name(kr.dump())["bass"]["muted"] is True
        other.remove("bass")
        assert kr.nodes() == []
    finally:
        other.close()
