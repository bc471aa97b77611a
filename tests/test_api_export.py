"""`kr.export` writes a plain Python file; `kr.load` rebuilds from it an identical session in a
fresh engine (a second krd on its own port). Also the scenes page's file workflows."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_spine import acid_bass, reverb

import kr
from kr import krs
from kr.namespace import scope
from kr.sessionfile import render_session


@kr.dsp
def kick() -> krs.Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
    return krs.sine_osc(55.0 + env * 200.0) * env * 0.9


def lead_fn() -> krs.Signal:
    freq = krs.control("freq", 440.0, 20.0, 2000.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    return krs.triangle(freq) * krs.adsr(0.01, 0.1, 0.6, 0.2, gate) * 0.3


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """What export must reproduce: nodes (DSP, count, gain, mute, solo, controls), routes,
    patterns, tempo, meter, master. Controls that patterns drive move by themselves."""
    driven = {p["target"] for p in state["patterns"]}
    nodes = []
    for n in sorted(state["nodes"], key=lambda n: n["name"]):
        played = n["name"] in driven
        controls = {
            c["name"]: round(c["value"], 5)
            for c in n["controls"]
            if f"{n['name']}/{c['name']}" not in driven
            and c["name"] != "gate"
            and not (played and c["name"] in ("freq", "note", "midi"))
        }
        nodes.append(
            {k: n[k] for k in ("name", "source", "count", "inputs", "outputs", "muted", "soloed")}
            | {"gain": round(n["gain"], 5), "controls": controls}
        )
    return {
        "nodes": nodes,
        "routes": sorted((r["from"], r["to"], round(r["level"], 5)) for r in state["routes"]),
        "patterns": sorted(
            (p["target"], json.dumps(p["pattern"], sort_keys=True), p["from_zero"])
            for p in state["patterns"]
        ),
        "tempo": state["tempo"],
        "meter": state["meter"],
        "master": round(state["master"], 5),
    }


def build_session() -> None:
    kr.tempo = 128
    kr.meter = 3
    kr.master = 0.7
    bass = kr.node("bass", acid_bass, gain=0.3, cutoff=1200)
    verb = kr.node("verb", reverb, gain=0.25, room=0.4)
    k = kr.node("drums/kick", kick, gain=0.8)
    kr.node("drums/hat", 'import("stdfaust.lib"); process = no.noise * 0.1;', gain=0.5)
    kr.node("pad", acid_bass, gain=0.2, count=4)
    bass >> (verb, 0.4)
    k >> (verb, 0.1)
    bass @ kr.seq("A2", "D3", None, "E2").over(2)
    bass @ ("cutoff", kr.sine(200, 2000).over(4))
    k @ (kr.hit() * 8).swing(0.67)
    kr.play("drums/hat", (kr.rest() + kr.hit()) * 4, from_zero=True)
    kr.play("verb/room", "0.2 0.5")
    kr.play("pad", kr.seq("A2", "D3").every(4, lambda p: p.reverse()))
    kr.mute("drums/hat")


def test_export_then_load_in_a_fresh_engine_gives_the_same_session(
    kr_clean: None, fresh_session: kr.Session, tmp_path: Path
) -> None:
    build_session()
    path = kr.export(tmp_path / "session.py")
    text = path.read_text()
    # Readable: Python DSP functions, seed-syntax patterns, FAUST only where there is no Python.
    assert "def acid_bass() -> krs.Signal:" in text and "def kick()" in text
    assert 'kr.play("bass", kr.seq("A2", "D3", None, "E2").over(2))' in text
    assert 'kr.play("bass/cutoff", kr.sine(200, 2000).over(4))' in text
    assert "from_ir" not in text
    assert "HAT_FAUST" in text and 'kr.mute("drums/hat")' in text
    compile(text, str(path), "exec")

    assert fresh_session.nodes() == []
    fresh_session.load(path)
    assert comparable(fresh_session.dump()) == comparable(kr.dump())
    # The client that loaded it can export it again, the same.
    again = fresh_session.export(tmp_path / "again.py").read_text()
    assert again.split("\n", 1)[1] == text.split("\n", 1)[1]


def test_export_falls_back_to_faust_and_ir_when_it_must(
    kr_clean: None, fresh_session: kr.Session, tmp_path: Path
) -> None:
    depth = 0.5

    def closure_synth() -> krs.Signal:  # depends on a variable of this test: not self-contained
        return krs.sine_osc(220.0) * depth

    kr.node("c", closure_synth)
    weird = kr.mini("a2 d3").add(kr.seq(0, 7)).degrade_by(0.3).seed(4)
    kr.play("c", weird)
    path = kr.export(tmp_path / "s.py")
    text = path.read_text()
    assert "def closure_synth" not in text and "C_FAUST = " in text
    fresh_session.load(path)
    assert comparable(fresh_session.dump()) == comparable(kr.dump())


def test_a_session_that_followed_link_exports_it_and_loads_without_link(
    kr_clean: None,
    fresh_session: kr.Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A session dumped by a krd with Link on exports `kr.link(True, quantum=...)`; this krd,
    built without Link, refuses to join, and the file says so and loads the rest."""
    kr.tempo = 131
    kr.node("k", kick)
    state = kr.dump()
    state["link"] = 2.0  # as a krd with Link, following it with quantum 2, dumps it
    text = render_session(state, scope(fresh_session), "a krd with Link")
    assert "    kr.link(True, quantum=2)\n" in text, text
    path = tmp_path / "linked.py"
    path.write_text(text)
    fresh_session.load(path)
    assert "kr: not following Link: krd was built without Link" in capsys.readouterr().out
    assert fresh_session.tempo == 131 and fresh_session.nodes() == ["k"]
    assert fresh_session.dump()["link"] is None


def test_scenes_page_my_kit(
    kr_clean: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenes page's reusable drum kit, loaded from the REPL and played."""
    (tmp_path / "kits").mkdir()
    (tmp_path / "kits" / "my_kit.py").write_text(
        textwrap.dedent(
            """
            # my_kit.py -- reusable drum kit setup
            def kick() -> krs.Signal:
                gate = krs.control("gate", 0.0, 0.0, 1.0)
                env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
                return krs.sine_osc(55.0 + env * 200.0) * env * 0.9

            def hat() -> krs.Signal:
                gate = krs.control("gate", 0.0, 0.0, 1.0)
                env = krs.adsr(0.001, 0.04, 0.0, 0.02, gate)
                return krs.highpass(krs.white_noise(), 8000.0) * env * 0.5

            with kr.batch():
                kr.node("drums/kick", kick, gain=0.8)
                kr.node("drums/hat", hat, gain=0.5)
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    kr.load("kits/my_kit.py")  # load from a subdirectory
    kr.play("drums/kick", kr.hit() * 4)
    kr.play("drums/hat", (kr.rest() + kr.hit()) * 4)
    state = kr.dump()
    gains = {n["name"]: round(n["gain"], 3) for n in state["nodes"]}
    assert gains == {"drums/kick": 0.8, "drums/hat": 0.5}
    assert sorted(p["target"] for p in state["patterns"]) == ["drums/hat", "drums/kick"]
    # Functions defined in a loaded file export as Python.
    assert "def hat() -> krs.Signal:" in kr.export(tmp_path / "out.py").read_text()


def test_scenes_page_compose_export_iterate(
    kr_clean: None, fresh_session: kr.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Session 1: build the initial arrangement
    kr.tempo = 128
    kr.node("kick", kick, gain=0.8)
    kr.node("bass", acid_bass, gain=0.3)
    kr.play("kick", kr.hit() * 4)
    kr.play("bass", kr.seq("A2", "D3", None, "E2").over(2))
    kr.export("track_v1.py")

    # Session 2 (another engine): pick up where you left off
    s2 = kr.namespace.scope(fresh_session)
    s2.load("track_v1.py")
    s2.node("lead", lead_fn, gain=0.25)
    s2.play("lead", s2.seq("A4", "C5", "E5", "D5").over(2))
    s2.export("track_v2.py")
    v2 = comparable(fresh_session.dump())
    assert [n["name"] for n in v2["nodes"]] == ["bass", "kick", "lead"]
    assert v2["tempo"] == 128

    # And v2 loads back into the first engine as the same session.
    kr.load("track_v2.py")
    assert comparable(kr.dump()) == v2


def test_another_process_exports_python_dsp_from_the_engine(kr_clean: None, tmp_path: Path) -> None:
    """The DSP function's source travels with the node (its `meta` in the engine), so a client
    that never saw the function exports it as Python too."""
    import os
    import subprocess
    import sys

    kr.node("bass", acid_bass, gain=0.3)
    out = tmp_path / "other.py"
    subprocess.run(
        [sys.executable, "-c", f"import kr; kr.export({str(out)!r})"],
        check=True,
        timeout=60,
        env=dict(os.environ, KR_PORT=str(kr.session.port)),
    )
    text = out.read_text()
    assert "def acid_bass() -> krs.Signal:" in text and "_FAUST" not in text
