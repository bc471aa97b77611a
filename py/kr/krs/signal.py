"""The signal DAG: `Signal` nodes, arithmetic operators and coercion of numbers.

A `Signal` is an immutable node. Building an expression never emits code; `krs.emit` walks the
finished graph. Every node kind is its own small class so the emitter can dispatch on type.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "Const",
    "Control",
    "ControlSpec",
    "Expr",
    "Feedback",
    "Input",
    "Loop",
    "LoopVar",
    "Noise",
    "Proj",
    "Signal",
    "SignalLike",
    "as_number",
    "as_signal",
    "binary",
    "call",
    "eq",
    "fmt_number",
    "ne",
    "unary",
]


class Signal:
    """A node of a DSP expression graph (one audio-rate or control-rate signal).

    Signals combine with `+ - * / // % **`, unary `-`, `abs()` and the comparisons
    `< <= > >=` (which give 0/1 signals; use `krs.eq`/`krs.ne` for equality), with numbers on
    either side. A signal has no truth value while tracing: use `krs.select` instead of `if`.
    """

    __slots__ = ("args",)
    args: tuple[Signal, ...]

    def __init__(self, args: tuple[Signal, ...] = ()) -> None:
        self.args = args

    # arithmetic -------------------------------------------------------------------------
    def __add__(self, other: SignalLike) -> Signal:
        return binary("+", self, other)

    def __radd__(self, other: SignalLike) -> Signal:
        return binary("+", other, self)

    def __sub__(self, other: SignalLike) -> Signal:
        return binary("-", self, other)

    def __rsub__(self, other: SignalLike) -> Signal:
        return binary("-", other, self)

    def __mul__(self, other: SignalLike) -> Signal:
        return binary("*", self, other)

    def __rmul__(self, other: SignalLike) -> Signal:
        return binary("*", other, self)

    def __truediv__(self, other: SignalLike) -> Signal:
        return binary("/", self, other)

    def __rtruediv__(self, other: SignalLike) -> Signal:
        return binary("/", other, self)

    def __floordiv__(self, other: SignalLike) -> Signal:
        return unary("floor", binary("/", self, other))

    def __rfloordiv__(self, other: SignalLike) -> Signal:
        return unary("floor", binary("/", other, self))

    def __mod__(self, other: SignalLike) -> Signal:
        return binary("%", self, other)

    def __rmod__(self, other: SignalLike) -> Signal:
        return binary("%", other, self)

    def __pow__(self, other: SignalLike) -> Signal:
        return binary("**", self, other)

    def __rpow__(self, other: SignalLike) -> Signal:
        return binary("**", other, self)

    def __neg__(self) -> Signal:
        return unary("neg", self)

    def __pos__(self) -> Signal:
        return self

    def __abs__(self) -> Signal:
        return unary("abs", self)

    # comparisons (0/1 signals) ------------------------------------------------------------
    def __lt__(self, other: SignalLike) -> Signal:
        return binary("<", self, other)

    def __le__(self, other: SignalLike) -> Signal:
        return binary("<=", self, other)

    def __gt__(self, other: SignalLike) -> Signal:
        return binary(">", self, other)

    def __ge__(self, other: SignalLike) -> Signal:
        return binary(">=", self, other)

    def __bool__(self) -> bool:
        raise TypeError(
            "a krs.Signal has no truth value while tracing (it is a value per sample); "
            "use krs.select(cond, a, b) instead of if/and/or, and krs.eq/krs.ne for equality"
        )

    def __repr__(self) -> str:
        return f"<krs.Signal {type(self).__name__.lower()}>"


SignalLike: TypeAlias = Signal | float
"""A signal or a plain number (`int` and `float` are both accepted)."""


class Const(Signal):
    """A constant number."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value


class Input(Signal):
    """The n-th input of an effect."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


@dataclass(frozen=True)
class ControlSpec:
    """A control as the engine sees it: `hslider(name, init, lo, hi, step)`."""

    name: str
    init: float
    lo: float
    hi: float
    step: float
    smoothed: bool


class Control(Signal):
    """A named parameter (an `hslider`), smoothed over `smoothing` seconds (0 = raw)."""

    __slots__ = ("smoothing", "spec")

    def __init__(self, spec: ControlSpec, smoothing: float) -> None:
        super().__init__()
        self.spec = spec
        self.smoothing = smoothing


class Noise(Signal):
    """An independent white noise source in [-1, 1]. Two `Noise` nodes are never merged."""

    __slots__ = ()


class Expr(Signal):
    """A FAUST expression: `pieces` interleaves literal text (str) and argument indices (int).

    `call` marks library primitives: the emitter gives each its own definition line, for
    readability. `nout > 1` nodes are only reachable through `Proj`.
    """

    __slots__ = ("call", "label", "nout", "pieces")

    def __init__(
        self,
        label: str,
        pieces: tuple[str | int, ...],
        args: tuple[Signal, ...],
        *,
        call: bool,
        nout: int = 1,
    ) -> None:
        super().__init__(args)
        self.label = label
        self.pieces = pieces
        self.call = call
        self.nout = nout


class Proj(Signal):
    """Output `index` of a multi-output node (`args[0]`)."""

    __slots__ = ("index", "nout")

    def __init__(self, source: Signal, index: int, nout: int) -> None:
        super().__init__((source,))
        self.index = index
        self.nout = nout


class Loop:
    """The binder of one `krs.feedback` loop: its `nvars` loop variables."""

    __slots__ = ("nvars", "vars")

    def __init__(self, nvars: int) -> None:
        self.nvars = nvars
        self.vars = tuple(LoopVar(self, i) for i in range(nvars))


class LoopVar(Signal):
    """Loop variable `index` of `loop`: the loop's output, one sample earlier."""

    __slots__ = ("index", "loop")

    def __init__(self, loop: Loop, index: int) -> None:
        super().__init__()
        self.loop = loop
        self.index = index


class Feedback(Signal):
    """A recursive loop (FAUST `~`): `args` are the body outputs, fed back to `loop.vars`."""

    __slots__ = ("loop",)

    def __init__(self, loop: Loop, body: tuple[Signal, ...]) -> None:
        super().__init__(body)
        self.loop = loop


# --- coercion ------------------------------------------------------------------------------


def as_signal(value: object, where: str) -> Signal:
    """`value` as a Signal; numbers become constants. `where` names the primitive and argument
    for the error message, e.g. ``"krs.lowpass(cutoff)"``."""
    if isinstance(value, Signal):
        return value
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        return Const(x)
    raise TypeError(
        f"{where}: expected a krs.Signal or a number, got {type(value).__name__} {value!r:.60}"
    )


def as_number(value: object, where: str) -> float:
    """`value` as a finite Python number (for arguments fixed when the DSP compiles)."""
    if isinstance(value, Signal):
        if isinstance(value, Const):
            return value.value
        raise TypeError(f"{where}: must be a plain number (fixed at compile time), not a Signal")
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        return x
    raise TypeError(f"{where}: expected a number, got {type(value).__name__} {value!r:.60}")


def fmt_number(x: float) -> str:
    """FAUST literal for `x`: always a float literal, negatives parenthesised."""
    text = repr(float(x))
    if "." not in text and "e" not in text:
        text += ".0"
    return f"({text})" if x < 0 or text.startswith("-") else text


# --- node builders -------------------------------------------------------------------------


def call(label: str, *pieces: str | Signal, nout: int = 1, inline: bool = False) -> Expr:
    """An Expr from literal text and Signals, e.g. ``call("saw", "os.sawtooth(", f, ")")``."""
    parts: list[str | int] = []
    args: list[Signal] = []
    for piece in pieces:
        if isinstance(piece, Signal):
            parts.append(len(args))
            args.append(piece)
        else:
            parts.append(piece)
    return Expr(label, tuple(parts), tuple(args), call=not inline, nout=nout)


_BINARY: dict[str, tuple[str, str, str, Callable[[float, float], float]]] = {
    # op: (label, prefix, infix, fold); the emitted text is prefix + a + infix + b + ")"
    "+": ("add", "(", " + ", lambda a, b: a + b),
    "-": ("sub", "(", " - ", lambda a, b: a - b),
    "*": ("mul", "(", " * ", lambda a, b: a * b),
    "/": ("div", "(", " / ", lambda a, b: a / b),
    "%": ("mod", "ma.modulo(", ", ", lambda a, b: a % b),
    "**": ("pow", "pow(", ", ", lambda a, b: float(a**b)),
    "<": ("lt", "(", " < ", lambda a, b: float(a < b)),
    "<=": ("le", "(", " <= ", lambda a, b: float(a <= b)),
    ">": ("gt", "(", " > ", lambda a, b: float(a > b)),
    ">=": ("ge", "(", " >= ", lambda a, b: float(a >= b)),
    "==": ("eq", "(", " == ", lambda a, b: float(a == b)),
    "!=": ("ne", "(", " != ", lambda a, b: float(a != b)),
    "min": ("min", "min(", ", ", min),
    "max": ("max", "max(", ", ", max),
}

_UNARY: dict[str, tuple[str, Callable[[float], float]]] = {
    # name: (FAUST function, fold)
    "neg": ("-", lambda a: -a),
    "abs": ("abs", abs),
    "sin": ("sin", math.sin),
    "cos": ("cos", math.cos),
    "tan": ("tan", math.tan),
    "exp": ("exp", math.exp),
    "log": ("log", math.log),
    "sqrt": ("sqrt", math.sqrt),
    "floor": ("floor", lambda a: float(math.floor(a))),
    "ceil": ("ceil", lambda a: float(math.ceil(a))),
    "tanh": ("ma.tanh", math.tanh),
}


def _fold(value: object) -> Signal | None:
    """A Const from a folded value, or None when folding failed (left to run time)."""
    if isinstance(value, float) and math.isfinite(value):
        return Const(value)
    return None


def binary(op: str, a: object, b: object) -> Signal:
    """`a op b` for the operators in `_BINARY` (numbers on either side)."""
    label, prefix, infix, fold = _BINARY[op]
    sa = as_signal(a, f"operator {op} (left operand)")
    sb = as_signal(b, f"operator {op} (right operand)")
    if isinstance(sa, Const) and isinstance(sb, Const):
        try:
            folded = _fold(fold(sa.value, sb.value))
        except (ArithmeticError, ValueError, TypeError):
            folded = None
        if folded is not None:
            return folded
    return Expr(label, (prefix, 0, infix, 1, ")"), (sa, sb), call=False)


def unary(name: str, a: object) -> Signal:
    """`name(a)` for the functions in `_UNARY`."""
    func, fold = _UNARY[name]
    sa = as_signal(a, f"krs.{name}" if name != "neg" else "unary -")
    if isinstance(sa, Const):
        try:
            folded = _fold(fold(sa.value))
        except (ArithmeticError, ValueError, TypeError):
            folded = None
        if folded is not None:
            return folded
    if name == "neg":
        return Expr("neg", ("(-", 0, ")"), (sa,), call=False)
    return Expr(name, (f"{func}(", 0, ")"), (sa,), call=False)


def eq(a: SignalLike, b: SignalLike) -> Signal:
    """1 where `a == b`, else 0 (Python's `==` on signals stays identity)."""
    return binary("==", a, b)


def ne(a: SignalLike, b: SignalLike) -> Signal:
    """1 where `a != b`, else 0."""
    return binary("!=", a, b)
