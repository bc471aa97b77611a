"""The Strudel library from Python: every Strudel 1.2.6 reference case of
`pattern/tests/data/strudel-library.jsonl` through the snake_case methods, the top-level
function forms and the control builders, and the laws of the new operators."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kr
from kr import Pattern

DATA = Path(__file__).resolve().parents[2] / "pattern" / "tests" / "data" / "strudel-library.jsonl"
CASES = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
# The same expressions over five other windows, as Strudel 1.2.6 answers them.
WINDOWS = DATA.with_name("strudel-library-windows.jsonl")
WINDOW_CASES = [json.loads(line) for line in WINDOWS.read_text().splitlines() if line.strip()]
# Variations of the library's expressions (patterned arguments, more scales, chords and
# mini-notation), as Strudel 1.2.6 answers them.
EXTRA = DATA.with_name("strudel-library-extra.jsonl")
WINDOW_CASES += [json.loads(line) for line in EXTRA.read_text().splitlines() if line.strip()]

NAMESPACE: dict[str, Any] = {
    **{name: getattr(kr, name) for name in kr.__all__ if not name.startswith("_")},
    "M": kr.mini,
    "note": kr.note_strudel,
    "sine": kr.sine(),
    "saw": kr.saw(),
    "perlin": kr.perlin(),
    "tri": kr.tri(),
    "rev": kr.rev,
}


def snake(name: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def translate(expr: str) -> str:
    """JS-ish Strudel to Python: mini strings become `M(...)`, lambdas `lambda`, camelCase
    snake_case, `x.add.squeeze(y)` `x.add_squeeze(y)`, object keys strings."""
    strings: list[str] = []

    def stash(m: re.Match[str]) -> str:
        strings.append(m.group(0))
        return f"__S{len(strings) - 1}__"

    code = re.sub(r'"[^"]*"', stash, expr)
    code = re.sub(r"(\w+)\s*=>\s*", r"lambda \1: ", code)
    code = re.sub(r"\.(add|sub|mul|div|set|keep)\.(in|out|mix|squeeze)\(", r".\1_\2(", code)
    code = re.sub(
        r"([.\s(]|^)([a-z]+[A-Z]\w*)\(", lambda m: m.group(1) + snake(m.group(2)) + "(", code
    )
    code = re.sub(r"([{,]\s*)(\w+):", r'\1"\2":', code)
    for i, s in enumerate(strings):
        code = code.replace(f"__S{i}__", f"M({s})")
    return code


def evaluate(expr: str) -> Pattern:
    result = eval(translate(expr), dict(NAMESPACE))  # noqa: S307 - test data, our own file
    assert isinstance(result, Pattern), expr
    return result


def deviations(case_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Expected events adjusted for kr's deliberate deviations (the crate docs list them):
    (4) a bare value combined with controls keeps its pitch under `note` (Strudel: `value`), so
    the engine can play `"a".gain(1)`; (5) kr values have no lists: `"bd:3"` is the string
    "bd:3" until a control reads it (`s("bd:3")` is `{s: "bd", n: 3}` as in Strudel)."""
    if case_id in ("lib/echo", "lib/stut", "extra/echo"):
        return [
            {**e, "value": {("note" if k == "value" else k): v for k, v in e["value"].items()}}
            for e in events
        ]
    if case_id in ("mini/colon", "extra/colon"):
        return [{**e, "value": ":".join(str(x) for x in e["value"])} for e in events]
    return events


def values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) < 1e-9
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def frac(s: str | None) -> Fraction | None:
    return None if s is None else Fraction(s)


@pytest.mark.parametrize("case", CASES + WINDOW_CASES, ids=[c["id"] for c in CASES + WINDOW_CASES])
def test_strudel_library_conformance(case: dict[str, Any]) -> None:
    pat = evaluate(case["expr"])
    begin, end = (Fraction(x) for x in case["cycles"])
    got = pat.query(begin, end)
    expected = deviations(case["id"].split("@")[0], case["events"])
    assert len(got) == len(expected), (case["expr"], got)
    for e, x in zip(got, expected, strict=True):
        whole = None if x["whole_begin"] is None else (frac(x["whole_begin"]), frac(x["whole_end"]))
        assert e.whole == whole, (case["expr"], e, x)
        assert e.part == (Fraction(x["part_begin"]), Fraction(x["part_end"])), (case["expr"], e, x)
        assert values_equal(e.value, x["value"]), (case["expr"], e, x)


def test_all_library_cases_present() -> None:
    assert len(CASES) >= 90
    assert len(WINDOW_CASES) >= 450 + 160


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_library_patterns_survive_the_ir(case: dict[str, Any]) -> None:
    """What Python builds is what the engine gets: the IR round trip queries the same."""
    pat = evaluate(case["expr"])
    again = Pattern.from_ir(pat.to_ir())
    assert repr(again.query(0, 3)) == repr(pat.query(0, 3))


# --- typos are errors ----------------------------------------------------------------------


def test_note_to_midi_rejects_a_typo() -> None:
    with pytest.raises(ValueError, match="not a note name"):
        kr.note_to_midi("H2")


def test_seq_names_a_non_note_and_its_position() -> None:
    with pytest.raises(ValueError, match=r"seq step 1: .*not a note: 'H2'"):
        kr.seq("H2", "A2")
    with pytest.raises(ValueError, match=r"seq step 2, item 2: .*not a note: 'X9'"):
        kr.seq("A2", ["C3", "X9"])
    with pytest.raises(TypeError, match="seq step 2"):
        kr.seq("A2", {"note": 3})


def test_note_names_the_column_of_a_non_note() -> None:
    with pytest.raises(ValueError, match=r"column 3: not a note: 'H2'"):
        kr.note("c H2 e")
    with pytest.raises(ValueError, match=r"note 2 of the chord: .*not a note: 'q4'"):
        kr.note("c4", "q4", "g4")
    with pytest.raises(ValueError, match=r"column 5: not a note: 'hh'"):
        kr.p("x . hh")


def test_notes_rests_hits_and_modifiers_are_accepted() -> None:
    pat = kr.note("c4*2 ~ [eb4 f#3]@2 60 x a(3,8) <d e>?0.3")
    assert pat.query(0, 1)
    assert [e.value for e in kr.seq("A2", None, 45).query(0, 1)] == [{"note": 45.0}, {"note": 45.0}]


def test_chord_rejects_an_unknown_symbol() -> None:
    with pytest.raises(ValueError, match=r"column 4: not a chord symbol: 'Xq'"):
        kr.chord("<C Xq>")
    assert len(kr.chord("<C Am7 F^7 G7>").voicing().query(0, 1)) == 5


def test_a_string_pitch_stays_a_string_in_events() -> None:
    """Tonal results are note names (as in Strudel): the engine reads them as pitches."""
    values = [e.value for e in kr.n("0 1").scale("C:major").query(0, 1)]
    assert values == [{"note": "C3"}, {"note": "D3"}]
    assert kr.note_to_midi("C3") == 48


# --- control builders ----------------------------------------------------------------------

EXPECTED_KEYS = {
    "s": "s",
    "sound": "s",
    "n": "n",
    "speed": "speed",
    "begin": "begin",
    "end": "end",
    "loop": "loop",
    "accelerate": "accelerate",
    "unit": "unit",
    "cut": "cut",
    "orbit": "orbit",
    "pan": "pan",
    "amp": "amp",
    "overgain": "overgain",
    "legato": "legato",
    "sustain": "sustain",
    "shape": "shape",
    "crush": "crush",
    "coarse": "coarse",
    "cutoff": "cutoff",
    "lpf": "cutoff",
    "resonance": "resonance",
    "lpq": "resonance",
    "hcutoff": "hcutoff",
    "hpf": "hcutoff",
    "hresonance": "hresonance",
    "hpq": "hresonance",
    "bandf": "bandf",
    "bandq": "bandq",
    "vowel": "vowel",
    "room": "room",
    "size": "roomsize",
    "sz": "roomsize",
    "roomsize": "roomsize",
    "dry": "dry",
    "delay": "delay",
    "delaytime": "delaytime",
    "delayfeedback": "delayfeedback",
    "delayfb": "delayfeedback",
    "lock": "lock",
    "octave": "octave",
    "velocity": "velocity",
    "midichan": "midichan",
    "ccn": "ccn",
    "ccv": "ccv",
    "progNum": "progNum",
    "midinote": "midinote",
    "freq": "freq",
    "nudge": "nudge",
    "channel": "channel",
    "detune": "detune",
    "voice": "voice",
    "attack": "attack",
    "release": "release",
    "hold": "hold",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_KEYS))
def test_control_builders_write_superdirt_keys(name: str) -> None:
    key = EXPECTED_KEYS[name]
    as_method = getattr(kr.s("bd"), name)("3")
    want = {"s": "bd"} if key == "s" else {"s": "bd", key: 3.0}
    if key == "s":
        want = {"s": 3.0}
    assert [e.value for e in as_method.query(0, 1)] == [want]
    if name not in ("s", "n"):
        top = getattr(kr, name)("1 2")
        assert [e.value for e in top.query(0, 1)] == [{key: 1.0}, {key: 2.0}]


def test_seed_names_keep_their_meaning() -> None:
    assert [e.value for e in kr.note("A2").query(0, 1)] == [{"note": 45.0}]
    assert [e.value for e in kr.note_strudel("a2").query(0, 1)] == [{"note": "a2"}]
    assert kr.gain == kr.session.gain
    assert [e.value for e in kr.gain_strudel("0.5").query(0, 1)] == [{"gain": 0.5}]
    swung = kr.mini("a*8").swing_strudel(4)
    assert repr(swung.query(0, 1)) == repr(kr.mini("a*8").swing_by(Fraction(1, 3), 4).query(0, 1))
    assert [e.value for e in kr.sequence("a", "b").query(0, 1)] == ["a", "b"]


def test_s_splits_name_and_index() -> None:
    values = [e.value for e in kr.s("bd:3 sd:1:0.5").query(0, 1)]
    assert values == [{"s": "bd", "n": 3.0}, {"s": "sd", "n": 1.0, "gain": 0.5}]


# --- Strudel's top-level forms -------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "method"),
    [
        (lambda: kr.slow(2, "a b"), lambda: kr.mini("a b").slow(2)),
        (lambda: kr.rev("a b c"), lambda: kr.mini("a b c").rev()),
        (lambda: kr.fast(2, kr.s("a")), lambda: kr.s("a").fast(2)),
        (
            lambda: kr.chunk(4, lambda p: p.add(1), "0 1 2 3"),
            lambda: kr.mini("0 1 2 3").chunk(4, lambda p: p.add(1)),
        ),
        (lambda: kr.jux(kr.rev, kr.s("a b")), lambda: kr.s("a b").jux(kr.rev)),
        (lambda: kr.linger(0.25, "0 1 2 3"), lambda: kr.mini("0 1 2 3").linger(0.25)),
        (lambda: kr.ply(2, "a b"), lambda: kr.mini("a b").ply(2)),
    ],
)
def test_top_level_forms_equal_methods(function: Any, method: Any) -> None:
    assert repr(function().query(0, 4)) == repr(method().query(0, 4))


def test_top_level_needs_a_pattern() -> None:
    with pytest.raises(TypeError, match="last argument"):
        kr.rev()


# --- laws, from Python ---------------------------------------------------------------------

STEPS = st.lists(
    st.sampled_from(["a", "b", "~", "c*2", "<a b>", "[a, b]", "0 .. 2", "a?"]),
    min_size=1,
    max_size=5,
)


def onsets(p: Pattern) -> list[tuple[Any, Any]]:
    return [(e.whole, repr(e.value)) for e in p.query(0, 4) if e.has_onset]


@settings(max_examples=60, deadline=None)
@given(STEPS, st.integers(1, 5))
def test_fast_chunk_with_identity_and_ply_linger_one(steps: list[str], n: int) -> None:
    p = kr.mini(" ".join(steps))
    assert onsets(p.fast_chunk(n, lambda x: x)) == onsets(p)
    assert onsets(p.ply(1)) == onsets(p)
    assert onsets(p.linger(1)) == onsets(p)


@settings(max_examples=60, deadline=None)
@given(STEPS)
def test_jux_identity_doubles_events_with_pans_0_and_1(steps: list[str]) -> None:
    p = kr.s(" ".join(steps))
    juxed = [e for e in p.jux(lambda x: x).query(0, 2) if e.has_onset]
    base = [e for e in p.query(0, 2) if e.has_onset]
    assert len(juxed) == 2 * len(base)
    assert sorted(e.value["pan"] for e in juxed) == [0.0] * len(base) + [1.0] * len(base)


def test_star_import_keeps_python_builtins() -> None:
    ns: dict[str, Any] = {}
    exec("from kr import *", ns)  # noqa: S102 - what a user's script does
    assert "range" not in ns and "iter" not in ns and "slice" not in ns
    assert ns["pan"] is kr.pan
    assert repr(kr.range(1, 3, kr.saw()).segment(2).query(0, 1)) == repr(
        kr.saw().range(1, 3).segment(2).query(0, 1)
    )
