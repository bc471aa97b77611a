"""The Strudel pattern library in snake_case: ``chunk``, ``linger``, ``echo``/``stut``,
``superimpose``, ``often``/``rarely``, ``press``, ``jux``, ``chop``/``striate``/``slice``,
``pick``/``squeeze``/``inhabit``/``bite``, ``arp``, the ``add_squeeze``/``add_out``/``add_mix``
family, and tonal ``scale``/``transpose``/``voicing``. They are methods of :class:`Pattern`
(attached here) built in Rust by ``kr-pattern``'s ``library`` (one IR node each, so the engine
plays them).

Functions given to operators (``chunk(4, lambda p: p.add(7))``) are applied at once, to the
pattern Strudel applies them to, and the result is stored, as for ``every``.

Where Strudel and kr's seed API use one name for two things, the seed keeps the name and
Strudel's meaning gets ``_strudel`` (see :mod:`kr.toplevel`): ``swing(amount, grid)`` is the
seed's swing, ``swing_strudel(n)`` is Strudel's ``swing(n)`` (= ``swing_by(1/3, n)``);
``legato`` stays the ``legato`` control (Strudel makes it an alias of ``clip``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ._kr import Pattern

Arg = Pattern | int | float | Fraction | str | bool | None | dict[str, Any] | list[Any]
Fn = Callable[[Pattern], Pattern]

OPERATORS = ("add", "sub", "mul", "div", "set", "keep")
"""Operators that combine two patterns' values (Strudel's ``add``, ``set``, ...)."""
STRUCTURES = ("in", "out", "mix", "squeeze")
"""Where the structure of the combination comes from: ``in`` the left pattern (the default),
``out`` the right, ``mix`` both, ``squeeze`` a cycle of the right inside each left event."""


def _lib(name: str, *args: Arg) -> Pattern:
    return Pattern.lib(name, list(args))


def _int(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | float | Fraction) or int(x) != x:
        raise ValueError(f"{what} must be a whole number, got {x!r}")
    return int(x)


def _call(f: Fn, p: Pattern) -> Pattern:
    if not callable(f):
        raise TypeError(f"expected a function of a pattern, got {f!r}")
    r = f(p)
    if not isinstance(r, Pattern):
        raise TypeError(f"the function must return a Pattern, got {type(r).__name__}")
    return r


# --- structure and time --------------------------------------------------------------------


def chunk(self: Pattern, n: int, f: Fn) -> Pattern:
    """Cycle ``c`` applies ``f`` to the ``c mod n``-th of ``n`` parts of the cycle."""
    n = _int(n, "chunk count")
    return _lib("chunk", self, n, _call(f, self.repeat_cycles(n)))


def chunk_back(self: Pattern, n: int, f: Fn) -> Pattern:
    """``chunk``, moving through the parts backwards."""
    n = _int(n, "chunk count")
    return _lib("chunk_back", self, n, _call(f, self.repeat_cycles(n)))


def fast_chunk(self: Pattern, n: int, f: Fn) -> Pattern:
    """``chunk`` without repeating each cycle ``n`` times."""
    return _lib("fast_chunk", self, _int(n, "chunk count"), _call(f, self))


def linger(self: Pattern, t: Arg) -> Pattern:
    """Repeat the first ``t`` of each cycle (the last ``-t`` if negative) to fill it."""
    return _lib("linger", self, t)


def echo(self: Pattern, times: Arg, time: Arg, feedback: Arg) -> Pattern:
    """``times`` copies, each ``time`` later, ``gain`` multiplied by ``feedback`` each time."""
    return _lib("echo", self, times, time, feedback)


def stut(self: Pattern, times: Arg, feedback: Arg, time: Arg) -> Pattern:
    """``echo`` with the last two arguments swapped (Tidal's ``stut``)."""
    return _lib("echo", self, times, time, feedback)


def superimpose(self: Pattern, *fs: Fn) -> Pattern:
    """The pattern stacked with ``f(pattern)`` for each ``f``."""
    return _lib("superimpose", self, *(_call(f, self) for f in fs))


def layer(self: Pattern, *fs: Fn) -> Pattern:
    """``f(pattern)`` for each ``f``, stacked (without the original)."""
    return Pattern.stack([_call(f, self) for f in fs])


def brak(self: Pattern) -> Pattern:
    """Every other cycle squashed into half a cycle, a quarter cycle late (a breakbeat)."""
    return _lib("brak", self)


def press(self: Pattern) -> Pattern:
    """Each event starts halfway into its span (syncopation)."""
    return _lib("press", self)


def press_by(self: Pattern, r: Arg) -> Pattern:
    """Each event starts ``r`` of the way into its span."""
    return _lib("press_by", self, r)


def hurry(self: Pattern, r: Arg) -> Pattern:
    """``fast(r)`` and ``speed`` multiplied by ``r``."""
    return _lib("hurry", self, r)


def fast_gap(self: Pattern, factor: Arg) -> Pattern:
    """Play each cycle ``factor`` times faster, once, leaving a gap."""
    return _lib("fast_gap", self, factor)


def inv(self: Pattern) -> Pattern:
    """Swap true and false."""
    return _lib("inv", self)


def when(self: Pattern, on: Arg, f: Fn) -> Pattern:
    """``f(pattern)`` where ``on`` is true, the pattern elsewhere."""
    return _lib("when", self, on, _call(f, self))


def within(self: Pattern, begin: float, end: float, f: Fn) -> Pattern:
    """Apply ``f`` to the events starting between ``begin`` and ``end`` of each cycle."""
    inside = _lib("within_inside", self, begin, end)
    return _lib("within", self, begin, end, _call(f, inside))


def euclid_legato(self: Pattern, pulses: Arg, steps: Arg) -> Pattern:
    """A Euclidean rhythm where each pulse lasts until the next."""
    return _lib("euclid_legato", self, pulses, steps, 0)


def euclid_legato_rot(self: Pattern, pulses: Arg, steps: Arg, rotation: Arg) -> Pattern:
    """``euclid_legato`` rotated by ``rotation`` steps."""
    return _lib("euclid_legato", self, pulses, steps, rotation)


def ribbon(self: Pattern, offset: Arg, cycles: Arg) -> Pattern:
    """Loop ``cycles`` cycles of the pattern starting at cycle ``offset``."""
    return _lib("ribbon", self, offset, cycles)


def ply_with(self: Pattern, n: int, f: Fn) -> Pattern:
    """Repeat each event ``n`` times, applying ``f`` once more to each repeat."""
    layers = [self]
    for _ in range(1, _int(n, "ply count")):
        layers.append(_call(f, layers[-1]))
    return _lib("ply_with", *layers)


# --- randomness ----------------------------------------------------------------------------


def _constant(x: Arg) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float | Fraction):
        return None
    return float(x)


_rust_sometimes_by = Pattern.sometimes_by


def sometimes_by(self: Pattern, prob: Arg, f: Fn) -> Pattern:
    """``f`` applied to each event with probability ``prob``. With a constant ``prob``, ``f`` is
    given the events it will keep, as Strudel does (this matters when ``f`` moves events in
    time); a patterned ``prob`` applies ``f`` to the whole pattern."""
    x = _constant(prob)
    if x is None:
        return _rust_sometimes_by(self, prob, f)
    return _lib("sometimes_applied", self, x, _call(f, self.undegrade_by(1 - x)))


def sometimes(self: Pattern, prob_or_f: Arg | Fn, f: Fn | None = None) -> Pattern:
    """``sometimes(f)`` (probability 0.5, Strudel) or ``sometimes(prob, f)`` (seed API)."""
    if f is None:
        if not callable(prob_or_f):
            raise TypeError("sometimes(f) needs a function of a pattern")
        return sometimes_by(self, 0.5, prob_or_f)
    if callable(prob_or_f):
        raise TypeError("sometimes(prob, f): the probability comes first")
    return sometimes_by(self, prob_or_f, f)


def some_cycles_by(self: Pattern, prob: Arg, f: Fn) -> Pattern:
    """``f`` applied to whole cycles chosen with probability ``prob`` (with a constant
    ``prob``, to the cycles it will keep, as Strudel does)."""
    x = _constant(prob)
    if x is None:
        return _lib("some_cycles_by", self, prob, _call(f, self))
    return _lib("some_cycles_applied", self, x, _call(f, _lib("some_cycles_base", self, x)))


def some_cycles(self: Pattern, f: Fn) -> Pattern:
    """``some_cycles_by(0.5, f)``."""
    return some_cycles_by(self, 0.5, f)


def _sometimes(prob: float, name: str) -> Callable[[Pattern, Fn], Pattern]:
    def method(self: Pattern, f: Fn) -> Pattern:
        return self.sometimes_by(prob, f)

    method.__name__ = name
    method.__doc__ = f"``sometimes_by({prob}, f)``."
    return method


often = _sometimes(0.75, "often")
rarely = _sometimes(0.25, "rarely")
almost_never = _sometimes(0.1, "almost_never")
almost_always = _sometimes(0.9, "almost_always")


def always(self: Pattern, f: Fn) -> Pattern:
    """``f(pattern)``."""
    return _call(f, self)


def never(self: Pattern, f: Fn) -> Pattern:
    """The pattern unchanged (``f`` is not applied)."""
    return self


def shuffle(self: Pattern, n: Arg) -> Pattern:
    """The ``n`` parts of each cycle in a random order (each once)."""
    return _lib("shuffle", self, n)


def scramble(self: Pattern, n: Arg) -> Pattern:
    """``n`` parts of each cycle picked at random (with repeats)."""
    return _lib("scramble", self, n)


# --- choosing patterns by value ------------------------------------------------------------


def _lookup(name: str, self: Pattern, lookup: Sequence[Arg] | Mapping[str, Arg]) -> Pattern:
    if isinstance(lookup, Mapping):
        pairs: list[Arg] = []
        for k, v in lookup.items():
            pairs += [str(k), v]
        return _lib(f"{name}_named", self, *pairs)
    if isinstance(lookup, str):
        raise TypeError(f"{name} wants a list or a dict of patterns, not a string")
    return _lib(name, self, *lookup)


def pick(self: Pattern, lookup: Sequence[Arg] | Mapping[str, Arg]) -> Pattern:
    """Each value picks a pattern: by index from a list (clamped) or by name from a dict."""
    return _lookup("pick", self, lookup)


def pick_mod(self: Pattern, lookup: Sequence[Arg]) -> Pattern:
    """``pick`` with indices wrapping around."""
    return _lib("pick_mod", self, *lookup)


def inhabit(self: Pattern, lookup: Sequence[Arg] | Mapping[str, Arg]) -> Pattern:
    """``pick``, each chosen pattern's cycle squeezed into the event."""
    return _lookup("inhabit", self, lookup)


def inhabit_mod(self: Pattern, lookup: Sequence[Arg]) -> Pattern:
    """``inhabit`` with indices wrapping around."""
    return _lib("inhabit_mod", self, *lookup)


def squeeze(self: Pattern, *xs: Arg) -> Pattern:
    """Strudel's ``pat.squeeze(...)``: ``set_squeeze`` with the arguments as a sequence."""
    return _lib("op", self, "set", "squeeze", list(xs) if len(xs) != 1 else xs[0])


def bite(self: Pattern, n: Arg, indices: Arg) -> Pattern:
    """Cut each cycle into ``n`` slices, play them in the order of ``indices``."""
    return _lib("bite", self, n, indices)


def arp(self: Pattern, indices: Arg) -> Pattern:
    """Play the notes of each chord (events sounding together) by position."""
    return _lib("arp", self, indices)


def range2(self: Pattern, lo: Arg, hi: Arg) -> Pattern:
    """Scale values from -1..1 to ``lo``..``hi``."""
    return _lib("range2", self, lo, hi)


def rangex(self: Pattern, lo: Arg, hi: Arg) -> Pattern:
    """Scale values from 0..1 to ``lo``..``hi`` exponentially."""
    return _lib("rangex", self, lo, hi)


# --- samples and stereo --------------------------------------------------------------------


def chop(self: Pattern, n: Arg) -> Pattern:
    """Cut each event (and its sample) into ``n`` parts."""
    return _lib("chop", self, n)


def striate(self: Pattern, n: Arg) -> Pattern:
    """Play the pattern ``n`` times a cycle, each time the next part of every sample."""
    return _lib("striate", self, n)


def slice(self: Pattern, n: Arg, indices: Arg) -> Pattern:  # noqa: A001 - Strudel's name
    """Play slice ``i`` of ``n`` of the sample for each event of ``indices``."""
    return _lib("slice", self, n, indices)


def splice(self: Pattern, n: Arg, indices: Arg) -> Pattern:
    """``slice`` with ``speed`` set so each slice fills its event."""
    return _lib("splice", self, n, indices)


def loop_at(self: Pattern, factor: Arg) -> Pattern:
    """Slow by ``factor`` and set ``speed`` so a sample fills ``factor`` cycles."""
    return _lib("loop_at", self, factor)


def fit(self: Pattern) -> Pattern:
    """Set ``speed`` so each sample fills its event."""
    return _lib("fit", self)


def jux_by(self: Pattern, by: float, f: Fn) -> Pattern:
    """The pattern panned left by ``by/2`` stacked with ``f`` of it panned right by ``by/2``
    (``pan`` counts from 0.5 when unset)."""
    return _lib("jux_by", self, by, _call(f, _lib("pan_shift", self, by / 2)))


def jux(self: Pattern, f: Fn) -> Pattern:
    """``f`` applied to the right channel only (``jux_by(1, f)``)."""
    return jux_by(self, 1.0, f)


# --- tonal ---------------------------------------------------------------------------------


def scale(self: Pattern, name: Arg) -> Pattern:
    """Scale degrees (``n`` or bare numbers) to note names of ``name`` (``"C:major"``)."""
    return _lib("scale", self, name)


def transpose(self: Pattern, amount: Arg) -> Pattern:
    """Transpose notes by semitones or an interval (``"3M"``), keeping spelling."""
    return _lib("transpose", self, amount)


def scale_transpose(self: Pattern, offset: Arg, scale: Arg = None) -> Pattern:
    """Move note names ``offset`` steps along the scale: ``scale`` if given, else the one of
    the ``.scale(...)`` this pattern was made by (Strudel reads it from the events)."""
    if scale is None:
        scale = _scale_of(self)
    return _lib("scale_transpose", self, scale, offset)


def _scale_of(p: Pattern) -> Pattern:
    try:
        node = json.loads(p.to_ir())["p"]
    except ValueError:
        node = None
    if not (isinstance(node, dict) and node.get("op") == "lib" and node.get("name") == "scale"):
        raise ValueError(
            "scale_transpose needs a scale: use it right after .scale(...) or pass scale="
        )
    return Pattern.from_ir(json.dumps({"v": 1, "p": node["args"][1]}))


def voicing(self: Pattern) -> Pattern:
    """Chords (``chord("<C Am>")``) voiced from the iReal dictionary, top note below C5."""
    return _lib("voicing", self)


def root_notes(self: Pattern, octave: Arg) -> Pattern:
    """The root of each chord, in ``octave``."""
    return _lib("root_notes", self, octave)


# --- combining values with a structure -----------------------------------------------------


def _combinator(op: str, how: str) -> Callable[[Pattern, Arg], Pattern]:
    def method(self: Pattern, other: Arg) -> Pattern:
        return _lib("op", self, op, how, other)

    method.__name__ = f"{op}_{how}"
    method.__doc__ = f"Strudel's ``{op}.{how}``: {op} values, structure ``{how}``."
    return method


COMBINATORS: dict[str, Callable[[Pattern, Arg], Pattern]] = {
    f"{op}_{how}": _combinator(op, how) for op in OPERATORS for how in STRUCTURES
}


def set_values(self: Pattern, other: Arg) -> Pattern:
    """Strudel's ``set``: the other pattern's values (maps merged), structure from this one."""
    return _lib("op", self, "set", "in", other)


def keep(self: Pattern, other: Arg) -> Pattern:
    """Strudel's ``keep``: this pattern's values (taking only missing keys from the other)."""
    return _lib("op", self, "keep", "in", other)


METHODS: dict[str, Callable[..., Pattern]] = {
    "chunk": chunk,
    "chunk_back": chunk_back,
    "fast_chunk": fast_chunk,
    "linger": linger,
    "echo": echo,
    "stut": stut,
    "superimpose": superimpose,
    "layer": layer,
    "brak": brak,
    "press": press,
    "press_by": press_by,
    "hurry": hurry,
    "fast_gap": fast_gap,
    "inv": inv,
    "when": when,
    "within": within,
    "euclid_legato": euclid_legato,
    "euclid_legato_rot": euclid_legato_rot,
    "ribbon": ribbon,
    "ply_with": ply_with,
    "sometimes_by": sometimes_by,
    "sometimes": sometimes,
    "some_cycles_by": some_cycles_by,
    "some_cycles": some_cycles,
    "often": often,
    "rarely": rarely,
    "almost_never": almost_never,
    "almost_always": almost_always,
    "always": always,
    "never": never,
    "shuffle": shuffle,
    "scramble": scramble,
    "pick": pick,
    "pick_mod": pick_mod,
    "inhabit": inhabit,
    "inhabit_mod": inhabit_mod,
    "squeeze": squeeze,
    "bite": bite,
    "arp": arp,
    "range2": range2,
    "rangex": rangex,
    "chop": chop,
    "striate": striate,
    "slice": slice,
    "splice": splice,
    "loop_at": loop_at,
    "fit": fit,
    "jux": jux,
    "jux_by": jux_by,
    "scale": scale,
    "transpose": transpose,
    "scale_transpose": scale_transpose,
    "voicing": voicing,
    "root_notes": root_notes,
    "set_values": set_values,
    "set": set_values,
    "keep": keep,
    **COMBINATORS,
}
"""Every library method, by its Python name."""

for _name, _method in METHODS.items():
    setattr(Pattern, _name, _method)
