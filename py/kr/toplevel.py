"""Strudel's top-level function forms: ``kr.slow(2, pat)``, ``kr.rev(pat)``,
``kr.chunk(4, f, pat)`` are ``pat.slow(2)``, ``pat.rev()``, ``pat.chunk(4, f)`` (the pattern is
the last argument; a string is mini-notation), plus Strudel's constructors
(``sequence``, ``polymeter``, ``choose_cycles``/``randcat``, ``wchoose_cycles``/``wrandcat``,
``perlin``, ``squeeze``, ``chord``).

Names the seed API already uses keep their seed meaning, and Strudel's gets ``_strudel``:

- ``kr.note("A2")`` is the seed's note (``{"note": 45}``); Strudel's ``note`` (the raw ``note``
  control) is ``kr.note_strudel("a2")``.
- ``kr.seq("A2", "D3")`` is the seed's sequence of notes; Strudel's ``seq`` is
  ``kr.sequence(...)`` (also ``kr.seq_strudel``).
- ``pat.swing(amount, grid)`` is the seed's swing; Strudel's ``swing(n)`` is
  ``pat.swing_strudel(n)`` (``swing_by(1/3, n)``).
- ``kr.gain`` is the session's gain; the ``gain`` control is ``kr.gain_strudel(...)`` (the method
  ``pat.gain(...)`` is the control).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from . import library
from ._kr import Pattern

Arg = Pattern | int | float | Fraction | str | bool | None | dict[str, Any] | list[Any]

METHOD_NAMES = (
    "fast",
    "slow",
    "early",
    "late",
    "rev",
    "ply",
    "segment",
    "iter",
    "iter_back",
    "palindrome",
    "repeat_cycles",
    "compress",
    "zoom",
    "inside",
    "outside",
    "every",
    "first_of",
    "last_of",
    "off",
    "swing_by",
    "euclid",
    "euclid_rot",
    "degrade_by",
    "degrade",
    "undegrade_by",
    "sometimes_by",
    "sometimes",
    "seed",
    "add",
    "sub",
    "mul",
    "div",
    "range",
    *(name for name in library.METHODS if name not in ("squeeze", "set")),
)
"""Methods that also exist as Strudel-style functions taking the pattern last."""


def _as_pattern(x: Arg) -> Pattern:
    if isinstance(x, Pattern):
        return x
    if isinstance(x, str):
        return Pattern.mini(x)
    return Pattern.seq([x])


def function_form(name: str) -> Callable[..., Pattern]:
    """``name(*args, pat)`` as ``pat.name(*args)``."""

    def call(*args: Any) -> Pattern:
        if not args:
            raise TypeError(f"{name}() needs the pattern as its last argument")
        return getattr(_as_pattern(args[-1]), name)(*args[:-1])  # type: ignore[no-any-return]

    call.__name__ = name
    call.__doc__ = f"Strudel's top-level ``{name}(..., pat)``: ``pat.{name}(...)``."
    return call


FUNCTIONS: dict[str, Callable[..., Pattern]] = {name: function_form(name) for name in METHOD_NAMES}
"""The top-level forms, by name."""


def sequence(*xs: Arg) -> Pattern:
    """All in one cycle (Strudel ``sequence``/``seq``/``fastcat``)."""
    return Pattern.seq(list(xs))


def polymeter(*pats: Arg) -> Pattern:
    """Layers aligned by step: each pattern's steps are spread so they all fit the least
    common multiple of the step counts (strings count their top-level steps, lists their
    items): ``polymeter("a b c", "d e")``."""
    pairs: list[Arg] = []
    for p in pats:
        if isinstance(p, str):
            steps = step_count(p)
            pairs += [steps, Pattern.mini(p)]
        elif isinstance(p, list | tuple):
            pairs += [len(p), Pattern.seq(list(p))]
        elif isinstance(p, Pattern):
            pairs += [_steps_of_pattern(p), p]
        else:
            raise TypeError(
                "polymeter takes mini-notation, lists or sequences (their steps are counted)"
            )
    return Pattern.lib("polymeter", pairs)


def _steps_of_pattern(p: Pattern) -> int:
    try:
        node = json.loads(p.to_ir())["p"]
    except ValueError:
        node = {}
    if node.get("op") == "mini":
        return step_count(node["src"])
    if node.get("op") == "seq":
        return len(node["pats"])
    raise TypeError(f"polymeter cannot count the steps of {p!r}: give mini-notation or a list")


def step_count(src: str) -> int:
    """The number of top-level steps of a mini-notation sequence (``"a b@2"`` has 3)."""
    from ._kr import mini_steps

    n = mini_steps(src)
    if n != int(n):
        raise ValueError(f"{src!r} has a fractional number of steps ({n})")
    return int(n)


def choose_cycles(*xs: Arg) -> Pattern:
    """One of the patterns each cycle, at random (Strudel ``chooseCycles``/``randcat``)."""
    return Pattern.lib("pick", [_rand_index(len(xs)), *xs]) if xs else Pattern.silence()


def _rand_index(n: int) -> Pattern:
    # Strudel's chooseInWith(rand.segment(1), xs): index floor(rand * n) at each cycle start.
    return Pattern.irand(n).segment(1)


def wchoose_cycles(*pairs: Sequence[Any]) -> Pattern:
    """One of the patterns each cycle, chosen with the given weights:
    ``wchoose_cycles(["bd", 3], ["sd", 1])``."""
    flat: list[Arg] = []
    for p in pairs:
        if len(p) != 2:
            raise ValueError(f"wchoose_cycles takes (pattern, weight) pairs, got {p!r}")
        flat += [p[0], p[1]]
    return Pattern.lib("wchoose_cycles", flat)


def perlin() -> Pattern:
    """Smooth random noise from 0 to 1 (Strudel ``perlin``)."""
    return Pattern.lib("perlin", [])


def squeeze(pat: Arg, xs: Sequence[Arg]) -> Pattern:
    """Strudel's top-level ``squeeze(pat, xs)``: each value of ``pat`` picks ``xs[i]`` (wrapping),
    squeezed into the event."""
    return Pattern.lib("squeeze", [pat, *xs])


def chord(symbols: Arg) -> Pattern:
    """Chord symbols (``"<C Am F G>"``) as the ``chord`` control, for ``voicing``/``root_notes``.
    Raises ``ValueError`` for a symbol the voicing dictionary does not know."""
    from ._kr import check_chords

    if isinstance(symbols, str):
        check_chords(symbols)
    return Pattern.control_of("chord", symbols)


def swing_strudel(self: Pattern, n: Arg) -> Pattern:
    """Strudel's ``swing(n)``: ``swing_by(1/3, n)``."""
    return self.swing_by(Fraction(1, 3), n)


def note_strudel(values: Arg) -> Pattern:
    """Strudel's ``note``: the ``note`` control with the values as written (names stay names)."""
    return Pattern.control_of("note", values)


setattr(Pattern, "swing_strudel", swing_strudel)  # noqa: B010 - attaching a method

CONSTRUCTORS: dict[str, Callable[..., Pattern]] = {
    "sequence": sequence,
    "seq_strudel": sequence,
    "polymeter": polymeter,
    "choose_cycles": choose_cycles,
    "randcat": choose_cycles,
    "wchoose_cycles": wchoose_cycles,
    "wrandcat": wchoose_cycles,
    "perlin": perlin,
    "squeeze": squeeze,
    "chord": chord,
    "note_strudel": note_strudel,
}
"""Strudel's constructors, by name."""
