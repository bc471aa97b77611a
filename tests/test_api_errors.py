"""Bad input from Python: an exception that names the problem, and the session unchanged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_spine import acid_bass, reverb

import kr
from kr import krs


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
    ("bad recording path", lambda: kr.record("/etc/x.wav"), kr.RequestError, "file"),
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
