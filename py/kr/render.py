"""Pattern IR back to Python source in kr's own syntax (`kr.seq("A2", "D3", None).over(2)`), for
`kr.export`. Every rendering is checked: it is evaluated and must build the very same IR, else
the faithful fallback `kr.Pattern.from_ir('<json>')` is written instead."""

from __future__ import annotations

import json
import re
from typing import Any

_NOTE = re.compile(r"^[A-Ga-g][#sb]?-?\d*$")
_SIGNALS = ("sine", "cosine", "saw", "isaw", "tri", "square", "rand")
# IR op -> method name, for ops of the form {"op", <arg fields...>, "pat"}.
_METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fast": ("fast", ("factor",)),
    "slow": ("over", ("factor",)),
    "early": ("early", ("by",)),
    "late": ("late", ("by",)),
    "rev": ("reverse", ()),
    "ply": ("ply", ("factor",)),
    "segment": ("segment", ("n",)),
    "iter": ("iter", ("n",)),
    "iter_back": ("iter_back", ("n",)),
    "palindrome": ("palindrome", ()),
    "degrade_by": ("degrade_by", ("amount",)),
    "undegrade_by": ("undegrade_by", ("amount",)),
    "seed": ("seed", ("seed",)),
    "range": ("range", ("lo", "hi")),
    "struct": ("struct", ("bools",)),
    "mask": ("mask", ("bools",)),
    "swing_by": ("swing_by", ("amount", "n")),
    "euclid": ("euclid_rot", ("pulses", "steps", "rotation")),
    "repeat_cycles": ("repeat_cycles", ("n",)),
}
_CHOICES = {
    "first_of": ("first_of", "n"),
    "last_of": ("last_of", "n"),
    "sometimes_by": ("sometimes_by", "prob"),
}
_ARITH = {"add": "add", "sub": "sub", "mul": "mul", "div": "div"}


class _Unrenderable(Exception):
    pass


def _num(x: float) -> str:
    if isinstance(x, bool):
        return repr(x)
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _value(v: Any) -> str:
    if isinstance(v, bool | str):
        return repr(v)
    if isinstance(v, int | float):
        return _num(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_value(x)}" for k, x in v.items()) + "}"
    raise _Unrenderable


def _arg(ir: dict[str, Any]) -> str:
    """A patterned argument: a plain number when it is one."""
    if (
        ir["op"] == "pure"
        and isinstance(ir["value"], int | float)
        and not isinstance(ir["value"], bool)
    ):
        return _num(ir["value"])
    return _expr(ir)


def _atom(ir: dict[str, Any]) -> str:
    """An expression safe to call a method on."""
    text = _expr(ir)
    return f"({text})" if text.startswith("-") else text


def _seq_step(ir: dict[str, Any]) -> str:
    if ir["op"] == "silence":
        return "None"
    if ir["op"] == "notes" and ir["pat"]["op"] == "mini" and _NOTE.match(ir["pat"]["src"]):
        return json.dumps(ir["pat"]["src"])
    return _expr(ir)


def _expr(ir: dict[str, Any]) -> str:
    op = ir["op"]
    if op == "silence":
        return "kr.silence"
    if op == "pure":
        return "kr.hit()" if ir["value"] is True else f"kr.pure({_value(ir['value'])})"
    if op == "mini":
        return f"kr.mini({json.dumps(ir['src'])})"
    if op == "notes":
        inner = ir["pat"]
        if inner["op"] == "mini":
            return f"kr.note({json.dumps(inner['src'])})"
        return f"kr.Pattern.notes({_expr(inner)})"
    if op == "seq":
        return f"kr.seq({', '.join(_seq_step(p) for p in ir['pats'])})"
    if op in ("cat", "stack"):
        return f"kr.{op}({', '.join(_expr(p) for p in ir['pats'])})"
    if op == "timecat":
        parts = ", ".join(f"({_num(p['w'])}, {_expr(p['p'])})" for p in ir["parts"])
        return f"kr.timecat({parts})"
    if op == "signal":
        return f"kr.{ir['kind']}()"
    if op in ("irand", "run"):
        return f"kr.{op}({_arg(ir['n'])})"
    if op == "control":
        return f"kr.control({json.dumps(ir['name'])}, {_expr(ir['pat'])})"
    if op == "range" and ir["pat"]["op"] == "signal" and ir["pat"]["kind"] in _SIGNALS:
        lo, hi = ir["lo"], ir["hi"]
        if lo["op"] == "pure" and hi["op"] == "pure":
            return f"kr.{ir['pat']['kind']}({_arg(lo)}, {_arg(hi)})"
    if op in _METHODS:
        name, fields = _METHODS[op]
        args = ", ".join(_arg(ir[f]) for f in fields)
        return f"{_atom(ir['pat'])}.{name}({args})"
    if op in _CHOICES:
        name, field = _CHOICES[op]
        return f"{_atom(ir['base'])}.{name}({_arg(ir[field])}, lambda _: {_expr(ir['then'])})"
    if op == "arith" and ir["arith"] in _ARITH:
        return f"{_atom(ir['pat'])}.{_ARITH[ir['arith']]}({_arg(ir['other'])})"
    if op in ("compress", "zoom"):
        return f"{_atom(ir['pat'])}.{op}({_num(ir['begin'])}, {_num(ir['end'])})"
    raise _Unrenderable(op)


def render(ir: dict[str, Any], namespace: dict[str, Any]) -> str:
    """Python source that builds the pattern whose IR node is `ir`, with `kr` from `namespace`.
    Checked by evaluation; falls back to `kr.Pattern.from_ir(...)`."""
    wrapped = {"v": 1, "p": ir}
    try:
        text = _expr(ir)
        built = eval(text, dict(namespace))  # noqa: S307 - our own rendering, checked below
        if json.loads(built.to_ir()) == wrapped:
            return text
    except Exception:  # noqa: BLE001 - any failure means: use the faithful fallback
        pass
    return f"kr.Pattern.from_ir({json.dumps(json.dumps(wrapped, separators=(',', ':')))})"
