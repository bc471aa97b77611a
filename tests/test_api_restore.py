"""Restoring is never a surprise: a krd the library starts starts fresh (the session krd saved
last is kept as `<state file>.previous`), so a script sounds the same whatever ran before it;
`restore=True` (KR_RESTORE=1, `kr --restore`) brings the saved session back; a krd that answers
already is used as it is. The engine's state dump is the witness."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

import kr

LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'
FX = "process = _ * 0.5;"
KEYS = ("nodes", "routes", "patterns", "tempo", "meter", "master", "scenes")


def saved_nodes(state: Path) -> list[str]:
    """The node names in a state file (none when it is missing or being written)."""
    try:
        saved = json.loads(state.read_text())
    except (OSError, ValueError):
        return []
    return [n["name"] for n in saved.get("session", {}).get("nodes", [])]


def leave_session(state: Path | None = None, port: int | None = None) -> dict[str, Any]:
    """An earlier session: a library-started krd (with `state` as its state file, else the
    default one for `port`) that plays two nodes, a route, a pattern, a tempo and a scene, then
    stops cleanly. Returns its dump."""
    args = ["--state", str(state)] if state is not None else []
    s = kr.Session(port=port or free_port(), krd_args=args, restore=False)
    try:
        s.node("old/src", LEVEL)
        s.node("old/fx", FX)
        s.route("old/src", "old/fx", 0.3)
        s.play("old/src/level", kr.mini("0.1 0.2"))
        s.tempo = 97
        s.save("old-scene")
        dump: dict[str, Any] = s.dump()
        path = state or _default_state(s.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(saved_nodes(path)) < 2:
            time.sleep(0.05)
        assert sorted(saved_nodes(path)) == ["old/fx", "old/src"]
        return dump
    finally:
        s.close()


def _default_state(port: int) -> Path:
    """krd's state file for `port` when none is given (conftest sets XDG_STATE_HOME)."""
    return Path(os.environ["XDG_STATE_HOME"]) / "kr" / f"session-{port}.json"


def script(s: kr.Session) -> None:
    """What a script does: its own node, control and pattern."""
    s.node("mine", LEVEL, level=0.25)
    s.play("mine/level", kr.mini("0.5 0.75"))


def test_a_script_sounds_the_same_whatever_ran_before_it(jack_server: str, tmp_path: Path) -> None:
    # The script on an engine that never had a session: the reference.
    alone = kr.Session(port=free_port(), krd_args=["--no-state"], restore=False)
    try:
        script(alone)
        reference = alone.dump()
    finally:
        alone.close()

    state = tmp_path / "session.json"
    old = leave_session(state)
    s = kr.Session(port=free_port(), krd_args=["--state", str(state)], restore=False)
    try:
        script(s)
        assert s.origin == "fresh" and s.started_engine
        after = s.dump()
        assert s.nodes() == ["mine"]
        for key in KEYS:
            assert after[key] == reference[key], key
    finally:
        s.close()
    # Nothing is lost: the earlier session is kept beside the state file.
    previous = json.loads((tmp_path / "session.json.previous").read_text())
    kept = {n["name"]: n["source"] for n in previous["session"]["nodes"]}
    assert kept == {n["name"]: n["source"] for n in old["nodes"]}
    assert len(previous["session"]["patterns"]) == len(old["patterns"]) == 1
    assert previous["session"]["tempo"] == old["tempo"] == 97
    assert list(previous["scenes"]) == ["old-scene"]
    assert saved_nodes(state) == ["mine"]  # the fresh engine saves its own session


def test_restore_true_brings_the_saved_session_back(jack_server: str, tmp_path: Path) -> None:
    state = tmp_path / "session.json"
    old = leave_session(state)
    s = kr.Session(port=free_port(), krd_args=["--state", str(state)], restore=True)
    try:
        assert s.nodes() == ["old/fx", "old/src"]  # restored before the first command is served
        assert s.origin == "restored"
        after = s.dump()
        for key in KEYS:
            assert after[key] == old[key], key
        assert s.scenes() == ["old-scene"]
    finally:
        s.close()
    assert not (tmp_path / "session.json.previous").exists()


def test_kr_restore_in_the_environment_restores(
    jack_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "session.json"
    leave_session(state)
    monkeypatch.setenv("KR_RESTORE", "1")
    s = kr.Session(port=free_port(), krd_args=["--state", str(state)])
    try:
        assert s.restore
        assert s.nodes() == ["old/fx", "old/src"]
        assert s.origin == "restored"
    finally:
        s.close()


def test_a_running_krd_is_used_as_it_is(kr_clean: None) -> None:
    """The session-wide krd was started by hand (as the service is): connecting changes
    nothing, restore or not."""
    kr.node("running", LEVEL)
    for restore in (False, True):
        s = kr.Session(port=kr.session.port, restore=restore)
        try:
            assert s.nodes() == ["running"]
            assert s.origin == "connected" and not s.started_engine
        finally:
            s.close()
        assert s.origin is None


def test_clear_empties_the_session(kr_clean: None) -> None:
    kr.node("src", LEVEL)
    kr.node("fx", FX)
    kr.route("src", "fx", 0.5)
    kr.play("src/level", "0.1 0.2")
    kr.tempo = 133
    kr.save("kept")
    kr.clear()
    state = kr.dump()
    assert (state["nodes"], state["routes"], state["patterns"]) == ([], [], [])
    assert kr.tempo == 133 and kr.scenes() == ["kept"]
    kr.clear()  # an empty session stays empty
    assert kr.nodes() == []


def test_clear_inside_a_batch_is_part_of_it(kr_clean: None) -> None:
    kr.node("a", LEVEL)
    with kr.batch():
        kr.clear()
        kr.node("b", LEVEL)
    assert kr.nodes() == ["b"]


def test_restore_settings() -> None:
    """No engine: how `restore` is decided."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("KR_RESTORE", raising=False)
        assert kr.Session(port=1).restore is False
        for value, want in (("1", True), ("yes", True), ("0", False), ("", False), ("off", False)):
            mp.setenv("KR_RESTORE", value)
            assert kr.Session(port=1).restore is want, value
            assert kr.Session(port=1, restore=not want).restore is not want  # the argument wins
        mp.setenv("KR_RESTORE", "maybe")
        with pytest.raises(ValueError, match="KR_RESTORE='maybe'"):
            kr.Session(port=1)
        mp.setenv("KR_RESTORE", "1")  # krd_args that say otherwise win over the environment
        assert not kr.Session(port=1, krd_args=["--no-state"])._restores()
    for flag in ("--fresh", "--no-state"):
        with pytest.raises(ValueError, match=f"contradicts krd_args {flag}"):
            kr.Session(port=1, krd_args=[flag], restore=True)
    assert kr.Session(port=1).origin is None  # before connecting
