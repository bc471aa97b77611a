"""Control builders: every SuperDirt/Strudel control parameter as a pattern method
(``kr.s("bd").speed(2).room(0.3)``) and a top-level function (``kr.speed("1 2")``). They build
ordinary control maps under the key SuperDirt expects, aliases resolved as Strudel resolves
them (``lpf`` is ``cutoff``, ``size`` is ``roomsize``, ``delayfb`` is ``delayfeedback``).

Seed names keep their seed meaning: ``kr.gain`` is the session's gain (use
``kr.gain_strudel("0.5 1")`` or ``pat.gain(...)`` for the control), and ``legato`` is kr's
``legato`` control (Strudel makes it an alias of ``clip``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ._kr import Pattern

Arg = Pattern | int | float | Fraction | str | bool | None | dict[str, Any] | list[Any]
ControlFn = Callable[[Arg], Pattern]

CONTROLS: dict[str, tuple[str, ...]] = {
    # key SuperDirt reads: aliases (Strudel's)
    "s": ("sound",),
    "n": (),
    "note": (),
    "speed": (),
    "begin": (),
    "end": (),
    "loop": (),
    "accelerate": (),
    "unit": (),
    "cut": (),
    "orbit": (),
    "pan": (),
    "gain": (),
    "postgain": (),
    "amp": (),
    "overgain": (),
    "legato": (),
    "clip": (),
    "sustain": ("sus",),
    "shape": (),
    "crush": (),
    "coarse": (),
    "cutoff": ("ctf", "lpf", "lp"),
    "resonance": ("lpq",),
    "hcutoff": ("hpf", "hp"),
    "hresonance": ("hpq",),
    "bandf": ("bpf", "bp"),
    "bandq": ("bpq",),
    "vowel": (),
    "room": (),
    "roomsize": ("size", "sz", "rsize"),
    "dry": (),
    "delay": (),
    "delaytime": ("delayt", "dt"),
    "delayfeedback": ("delayfb", "dfb"),
    "lock": (),
    "octave": (),
    "velocity": (),
    "midichan": (),
    "ccn": (),
    "ccv": (),
    "progNum": (),
    "midinote": (),
    "freq": (),
    "nudge": (),
    "channel": (),
    "detune": ("det",),
    "voice": (),
    "attack": ("att",),
    "decay": ("dec",),
    "release": ("rel",),
    "hold": (),
    "squiz": (),
    "distort": ("dist",),
    "bank": (),
    "chord": (),
}
"""Each control's key and its aliases."""

KEY_OF: dict[str, str] = {
    name: key for key, aliases in CONTROLS.items() for name in (key, *aliases)
}
"""The key every control name (or alias) writes."""

SEED_NAMES = frozenset({"gain", "note"})
"""Control names whose top-level function means something else in kr (the session's gain, the
seed's note): Strudel's meaning is ``<name>_strudel``."""


def control_fn(name: str) -> ControlFn:
    """The top-level builder of control ``name``: values become ``{key: value}``."""
    key = KEY_OF[name]

    def build(values: Arg) -> Pattern:
        return Pattern.control_of(key, values)

    build.__name__ = name
    build.__doc__ = f"The ``{key}`` control: each value ``v`` becomes ``{{'{key}': v}}``."
    return build


def _control_method(name: str) -> Callable[[Pattern, Arg], Pattern]:
    key = KEY_OF[name]

    def method(self: Pattern, value: Arg) -> Pattern:
        return self.control(key, value)

    method.__name__ = name
    method.__doc__ = f"Set the ``{key}`` control (structure from this pattern)."
    return method


TOP_LEVEL: dict[str, ControlFn] = {
    (f"{name}_strudel" if name in SEED_NAMES else name): control_fn(name)
    for name in KEY_OF
    if name not in ("s", "n")
}
"""Top-level control builders by name (``s`` and ``n`` are the patterns module's own)."""

for _name in KEY_OF:
    if not hasattr(Pattern, _name):
        setattr(Pattern, _name, _control_method(_name))
