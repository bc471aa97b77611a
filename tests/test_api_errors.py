"""Bad input from Python: an exception that names the problem, and the session unchanged."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from conftest import free_port
from test_spine import acid_bass, reverb

import kr
from kr import engine, krs
from kr.client import Client


def comparable(state: dict) -> dict:
    """The state without what moves by itself (the clock)."""
    return {k: v for k, v in state.items() if k != "clock"}


@pytest.fixture
def session_with_things(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass, gain=0.3)
    verb = kr.node("verb", reverb, gain=0.3)
    bass >> (verb, 0.4)
    bass["cutoff"] = 1200
    kr.tempo = 128


def broken() -> krs.Signal:
    return krs.faust("no_such_function(1)")


CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("unknown node (play)", lambda: kr.play("ghost", kr.seq("A2")), kr.KrError, "'ghost'"),
    ("unknown node (set)", lambda: kr.set("ghost/cutoff", 1), kr.KrError, "'ghost'"),
    ("unknown node (get)", lambda: kr.get("ghost/cutoff"), kr.KrError, "'ghost'"),
    ("unknown node (route)", lambda: kr.route("bass", "ghost"), kr.KrError, "'ghost'"),
    ("unknown node (mute)", lambda: kr.mute("ghost"), kr.KrError, "'ghost'"),
    ("unknown node (remove)", lambda: kr.remove("ghost"), kr.KrError, "'ghost'"),
    ("wrong control", lambda: kr.set("bass/nope", 1), kr.KrError, "has no control 'nope'"),
    (
        "wrong control (fade)",
        lambda: kr.fade("bass/nope", 1, bars=2),
        kr.KrError,
        "has no control 'nope'",
    ),
    ("route to a source", lambda: kr.route("verb", "bass"), kr.KrError, "bass"),
    (
        "bad pattern string",
        lambda: kr.play("bass", "a2 [d3"),
        ValueError,
        "mini-notation error at column 7",
    ),
    ("bad FAUST", lambda: kr.node("broken", broken), kr.FaustError, "no_such_function"),
    (
        "bad FAUST source string",
        lambda: kr.node("bass", "process = ;"),
        kr.FaustError,
        "FAUST error",
    ),
    ("tempo out of range", lambda: setattr(kr, "tempo", 0), kr.RequestError, "tempo.*0"),
    ("master out of range", lambda: setattr(kr, "master", 99), kr.RequestError, "master|gain"),
    ("gain out of range", lambda: kr.node("x", acid_bass, gain=-1), kr.RequestError, "gain"),
    ("count out of range", lambda: kr.node("x", acid_bass, count=0), kr.RequestError, "count"),
    (
        "NaN value",
        lambda: kr.set("bass/cutoff", float("nan")),
        kr.RequestError,
        "nan is not a finite",
    ),
    ("bad node name", lambda: kr.node("bad name!", acid_bass), kr.RequestError, "name"),
    ("fade too long", lambda: kr.fade("bass/gain", 0, bars=1e9), kr.RequestError, "cycles"),
    ("unknown scene", lambda: kr.recall("nope"), kr.KrError, "nope"),
    # An absolute path is a local client's right now; a '..' segment never is.
    ("bad recording path", lambda: kr.record("/tmp/../etc/x.wav"), kr.RequestError, "file"),
    ("not a pattern", lambda: kr.play("bass", object()), TypeError, "cannot play"),  # type: ignore[arg-type]
    ("effect as tuple input", lambda: kr.node("x", lambda a, *b: a), TypeError, r"\*args"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_and_leaves_the_session_unchanged(
    session_with_things: None, case: tuple[str, Callable[[], object], type[Exception], str]
) -> None:
    _, action, error, match = case
    before = comparable(kr.dump())
    with pytest.raises(error, match=match):
        action()
    assert comparable(kr.dump()) == before


def test_validation_errors_are_both_kr_errors_and_value_errors(kr_clean: None) -> None:
    with pytest.raises(ValueError):
        kr.tempo = -5
    with pytest.raises(kr.KrError):
        kr.tempo = -5


# ---- the connection: every failure is a KrError that says what happened ----------------------


def test_no_engine_at_the_port_is_engine_unavailable() -> None:
    port = free_port()
    client = Client(port=port)
    try:
        with pytest.raises(kr.EngineUnavailable) as e:
            client.request("get", {"path": "tempo"})
        assert f"127.0.0.1:{port}" in str(e.value) and "is it running" in str(e.value)
        assert not isinstance(e.value, OSError)
    finally:
        client.close()


def test_a_refused_message_carries_the_engines_reason(kr_clean: None) -> None:
    with pytest.raises(kr.RequestError, match="no node named 'ghost'"):
        kr.session.client.request("node_info", {"name": "ghost"})
    with pytest.raises(kr.KrError, match="'ghost'") as e:
        kr.get("ghost/cutoff")
    assert "is it running" not in str(e.value)


def test_a_request_left_unanswered_is_a_timeout_not_a_missing_engine() -> None:
    """Something accepts the TCP connection and never answers (a stuck engine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = Client(port=listener.getsockname()[1])
        try:
            with pytest.raises(kr.KrError) as e:
                client.request("dump", {}, timeout=0.5)
        finally:
            client.close()
    assert isinstance(e.value, kr.EngineTimeout) and not isinstance(e.value, OSError)
    assert "is it running" not in str(e.value) and "did not answer /kr/dump" in str(e.value)


def test_a_stopped_engine_is_unavailable_and_a_restarted_one_is_reconnected(
    jack_server: str,
) -> None:
    port = free_port()

    def start() -> engine.Process:
        proc = engine.start_krd(port, jack_server, ["--no-state"])
        probe = Client(port=port)
        try:
            for _ in range(200):
                if probe.status(0.1) is not None:
                    return proc
                assert proc.alive(), proc.log_tail()
        finally:
            probe.close()
        raise AssertionError(f"krd did not start:\n{proc.log_tail()}")

    proc = start()
    s = kr.Session(port=port)
    try:
        s.tempo = 131
        assert s.tempo == 131
        proc.stop()
        proc = start()  # restarted between two requests: the next one reconnects
        assert s.tempo == 120
        proc.stop()
        with pytest.raises(kr.EngineUnavailable, match=f"127.0.0.1:{port}.*is it running"):
            s.tempo = 140
        proc = start()
        assert s.tempo == 120
        assert s.nodes() == []
    finally:
        s.close()
        proc.stop()


def test_a_string_that_is_no_note_is_reported_once_and_not_played(kr_clean: None) -> None:
    """Mini-notation keeps any word (`kr.mini("H2 A2")`: `kr.seq` refuses it in Python); when
    a word that names no note reaches a synth where a pitch is expected, krd reports it (once
    for the pattern) and skips those events instead of playing them as some other pitch."""
    import os
    import time

    from oscclient import Udp, message
    from test_jack_ports import PROBE
    from test_spine import record

    kr.node("probe", PROBE)
    sub = Udp(int(os.environ["KR_PORT"]))
    sub.send(message("/kr/notify/subscribe", 30.0).build().dgram)
    assert sub.recv()[0] == "/kr/done"
    kr.tempo = 240
    rec = record(3.0, (f"{kr.dump()['client']}:probe/out_1",))
    kr.play("probe", kr.mini("H2 A2"))
    rec.wait(10)
    kr.hush()
    x = rec.data[0, : rec.pos]
    levels = {np_round(v) for v in x if v != 0}
    assert levels == {0.11}, f"only A2 (110 Hz) sounds: {levels}"
    # One note a cycle (a cycle is a second at 240 BPM): H2's half of each cycle stays silent.
    onsets = [i for i in range(1, len(x)) if x[i] != 0 and x[i - 1] == 0]
    assert len(onsets) >= 2 and all(
        d == 48000 for d in (b - a for a, b in zip(onsets, onsets[1:], strict=False))
    ), onsets
    reports = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            address, args = sub.recv(0.5)
        except TimeoutError:
            break
        if address == "/kr/notify/error" and "not a note name" in str(args):
            reports.append(args)
    assert len(reports) == 1, reports
    assert "'H2'" in str(reports[0]) and "probe" in str(reports[0])
    sub.close()


def np_round(v: float) -> float:
    return round(float(v), 2)
