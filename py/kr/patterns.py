"""Patterns: Strudel's (TidalCycles') pattern language, in snake_case, plus the seed API.

Everything here builds a :class:`Pattern` (implemented in Rust by ``kr-pattern``, shared with
the engine). Strings given as patterns are mini-notation: ``mini("a [b c]*2 <d e>")``.

Seed API::

    kr.hit() + kr.rest() + kr.hit() * 2      # a sequence: x . [x x]
    kr.seq("A2", "D3", None, "E2").over(2)    # notes (MIDI 45, 50, rest, 40) over two cycles
    kr.note("c e g")                          # a sequence of notes; note("c", "e", "g") a chord
    kr.p("x . x x")                           # x hits, ./~/- rests, note names

The Strudel library is here too, in snake_case (``kr.library``, ``kr.controls``,
``kr.toplevel``): ``kr.s("bd sd").jux(kr.rev).room(0.3)``, ``kr.n("0 2 4").scale("C:major")``,
``"0 2".add_squeeze("0 10")`` for Strudel's ``add.squeeze``, and Strudel's top-level forms
(``kr.slow(2, pat)``, ``kr.rev(pat)``, ``kr.sequence(...)``).

Seed names keep their seed meaning; Strudel's meaning is ``<name>_strudel``:

- ``kr.note("A2")`` is ``{"note": 45}``; Strudel's raw ``note`` control is ``kr.note_strudel``.
- ``kr.seq("A2", "D3")`` is a sequence of notes; Strudel's ``seq`` is ``kr.sequence``.
- ``pat.swing(amount, grid)`` is the seed's swing; Strudel's ``swing(n)`` is
  ``pat.swing_strudel(n)``.
- ``kr.gain`` is the session's gain; the ``gain`` control is ``kr.gain_strudel`` (and
  ``pat.gain(x)``).
- ``legato`` is kr's ``legato`` control (Strudel makes it an alias of ``clip``).

Where a note is required (``seq``, ``note``, ``p``, ``chord``) anything else raises
``ValueError`` naming the value and its position.
"""

from __future__ import annotations

import builtins as _builtins
import re
from fractions import Fraction
from typing import Any

from . import controls as _controls
from . import library as _library
from . import toplevel as _toplevel
from ._kr import Event, Pattern
from ._kr import check_notes as _check_notes
from ._kr import note_to_midi as _note_to_midi

__all__ = [
    "Event",
    "Pattern",
    "cat",
    "control",
    "cosine",
    "fastcat",
    "hit",
    "irand",
    "isaw",
    "mask",
    "mini",
    "n",
    "note",
    "note_to_midi",
    "p",
    "pure",
    "rand",
    "rest",
    "run",
    "s",
    "saw",
    "seq",
    "silence",
    "sine",
    "slowcat",
    "square",
    "stack",
    "struct",
    "timecat",
    "tri",
]

Arg = Pattern | int | float | Fraction | str | bool | None | dict[str, Any] | list[Any]

_DOT = re.compile(r"(?<![\w.])\.(?![\w.])")

silence: Pattern = Pattern.silence()
"""The empty pattern (a constant, as in Strudel)."""


def mini(src: str) -> Pattern:
    """Parse mini-notation. Raises ``ValueError`` with the column of a syntax error."""
    return Pattern.mini(src)


def pure(value: float | str | bool | dict[str, Any]) -> Pattern:
    """One event per cycle with ``value``."""
    return Pattern.pure(value)


def fastcat(*pats: Arg) -> Pattern:
    """All patterns in one cycle, each an equal share (strings are mini-notation)."""
    return Pattern.seq(list(pats))


def slowcat(*pats: Arg) -> Pattern:
    """One pattern per cycle, in turn."""
    return Pattern.cat(list(pats))


def cat(*pats: Arg) -> Pattern:
    """Same as :func:`slowcat`."""
    return Pattern.cat(list(pats))


def stack(*pats: Arg) -> Pattern:
    """All patterns at once."""
    return Pattern.stack(list(pats))


def timecat(*parts: tuple[float | Fraction | int, Arg]) -> Pattern:
    """A sequence where each pattern takes its weight's share: ``timecat((1, "a"), (2, "b c"))``."""
    return Pattern.timecat([(float(w), pat) for w, pat in parts])


def _note_step(x: Arg, where: str) -> Pattern:
    if isinstance(x, Pattern):
        return x
    if x is None:
        return silence
    if isinstance(x, list | tuple):
        return Pattern.seq([_note_step(y, f"{where}, item {i + 1}") for i, y in enumerate(x)])
    if isinstance(x, bool):
        return Pattern.pure(x)
    if isinstance(x, int | float | Fraction):
        return Pattern.notes(float(x))
    if isinstance(x, str):
        try:
            _check_notes(x)
        except ValueError as e:
            raise ValueError(f"{where}: {e} (in {x!r})") from None
        return Pattern.notes(x)
    raise TypeError(f"{where}: {x!r} is not a note (a note name, a MIDI number, None or a Pattern)")


def seq(*steps: Arg) -> Pattern:
    """A sequence of notes sharing a cycle equally: note names (``"A2"``), MIDI numbers
    (floats allowed), ``None`` for a rest, or patterns. Values are ``{"note": midi}``.
    A step that is not a note raises ``ValueError`` naming it and its position."""
    return Pattern.seq([_note_step(x, f"seq step {i + 1}") for i, x in enumerate(steps)])


def note(*notes: Arg) -> Pattern:
    """Notes as ``{"note": midi}``: ``note("A2")``; ``note("c e g")`` is a sequence (mini-notation);
    several arguments are a chord: ``note("c4", "e4", "g4")``. Numbers are MIDI notes; use
    ``control("freq", ...)`` for Hz."""
    if len(notes) == 1:
        return _note_step(notes[0], "note")
    return Pattern.stack([_note_step(x, f"note {i + 1} of the chord") for i, x in enumerate(notes)])


def hit() -> Pattern:
    """A hit: one event per cycle with no pitch (it raises the gate)."""
    return Pattern.pure(True)


def rest() -> Pattern:
    """One step of silence (for ``+`` sequences)."""
    return silence


def p(src: str) -> Pattern:
    """A rhythm in text: ``x``/``X`` hits, ``.``/``~``/``-`` rests, note names for pitched hits,
    and any mini-notation grouping: ``p("x . x [x x]")``. Another word raises ``ValueError``
    naming it and its column."""
    text = _DOT.sub("~", src)
    _check_notes(text)
    return Pattern.notes(Pattern.mini(text))


def control(name: str, values: Arg) -> Pattern:
    """A control pattern: each value ``v`` becomes ``{name: v}``:
    ``control("cutoff", sine(200, 2000))``."""
    return Pattern.control_of(name, values)


def s(values: Arg) -> Pattern:
    """The ``s`` (sound) control: ``s("bd sd")``."""
    return Pattern.control_of("s", values)


def n(values: Arg) -> Pattern:
    """The ``n`` control: ``n("0 1 2")``."""
    return Pattern.control_of("n", values)


def struct(bools: Arg, pat: Arg = True) -> Pattern:
    """Hits (or ``pat``) on the truthy steps of ``bools``: ``struct("x ~ x x")``."""
    base = Pattern.pure(pat) if isinstance(pat, bool) else _as_pattern(pat)
    return base.struct(bools)


def mask(bools: Arg, pat: Arg) -> Pattern:
    """``pat`` only where ``bools`` is truthy."""
    return _as_pattern(pat).mask(bools)


def _as_pattern(x: Arg) -> Pattern:
    if isinstance(x, Pattern):
        return x
    return Pattern.seq([x])


def _ranged(sig: Pattern, lo: float | None, hi: float | None) -> Pattern:
    if lo is None and hi is None:
        return sig
    return sig.range(0.0 if lo is None else lo, 1.0 if hi is None else hi)


def sine(lo: float | None = None, hi: float | None = None) -> Pattern:
    """A sine from 0 to 1 per cycle (Strudel's ``sine``), or from ``lo`` to ``hi``."""
    return _ranged(Pattern.signal("sine"), lo, hi)


def cosine(lo: float | None = None, hi: float | None = None) -> Pattern:
    """``sine`` a quarter cycle earlier."""
    return _ranged(Pattern.signal("cosine"), lo, hi)


def saw(lo: float | None = None, hi: float | None = None) -> Pattern:
    """A ramp up each cycle (the pattern signal; the DSP saw is ``kr.krs``)."""
    return _ranged(Pattern.signal("saw"), lo, hi)


def isaw(lo: float | None = None, hi: float | None = None) -> Pattern:
    """A ramp down each cycle."""
    return _ranged(Pattern.signal("isaw"), lo, hi)


def tri(lo: float | None = None, hi: float | None = None) -> Pattern:
    """A triangle: up then down each cycle."""
    return _ranged(Pattern.signal("tri"), lo, hi)


def square(lo: float | None = None, hi: float | None = None) -> Pattern:
    """Low for the first half of each cycle, high for the second."""
    return _ranged(Pattern.signal("square"), lo, hi)


def rand(lo: float | None = None, hi: float | None = None) -> Pattern:
    """Random numbers (Strudel's, a pure function of time), 0..1 or ``lo``..``hi``."""
    return _ranged(Pattern.signal("rand"), lo, hi)


def irand(n: Arg) -> Pattern:
    """Random integers ``0 .. n-1``."""
    return Pattern.irand(n)


def run(n: Arg) -> Pattern:
    """``0 1 .. n-1`` in one cycle."""
    return Pattern.run(n)


def note_to_midi(name: str) -> float:
    """The MIDI number of a note name: ``"c4"`` = 60, ``"A2"`` = 45, octave 3 when none is given.
    Raises ``ValueError`` for anything else."""
    return _note_to_midi(name)


# --- the Strudel library: methods are attached to Pattern by kr.library and kr.controls ------

globals().update(_controls.TOP_LEVEL)
globals().update(_toplevel.FUNCTIONS)
globals().update(_toplevel.CONSTRUCTORS)
# Names that are also Python builtins (`range`, `iter`, `slice`) stay attributes (`kr.range`)
# but are left out of `__all__`, so `from kr import *` does not hide the builtins.
_EXTRA = sorted(
    name
    for name in {*_controls.TOP_LEVEL, *_toplevel.FUNCTIONS, *_toplevel.CONSTRUCTORS}
    if name not in __all__ and not hasattr(_builtins, name)
)
__all__ += _EXTRA
_ = _library  # imported for its effect: the library methods on Pattern

# Strudel's top-level forms that share a builtin's name, typed for `kr.range(...)` (kept out of
# `__all__`, see above).
iter = _toplevel.FUNCTIONS["iter"]  # noqa: A001
range = _toplevel.FUNCTIONS["range"]  # noqa: A001
slice = _toplevel.FUNCTIONS["slice"]  # noqa: A001
