"""Every krs primitive and operator of py/tests/test_krs.py also compiles through krd's own
libfaust JIT (the compile worker), instantiates, and reports the traced channel counts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import kr
from kr import krs

_SPEC = importlib.util.spec_from_file_location(
    "krs_cases", Path(__file__).resolve().parent.parent / "py" / "tests" / "test_krs.py"
)
assert _SPEC is not None and _SPEC.loader is not None
_CASES = importlib.util.module_from_spec(_SPEC)
sys.modules["krs_cases"] = _CASES
_SPEC.loader.exec_module(_CASES)
PRIMITIVES = _CASES.PRIMITIVES


def test_every_primitive_compiles_in_the_engine(kr_clean: None) -> None:
    assert len(PRIMITIVES) > 50
    failures = []
    for name, fn in PRIMITIVES.items():
        dsp = krs.trace(fn)
        node = f"p/{name}"
        try:
            kr.node(node, dsp)
        except kr.KrError as e:
            failures.append(f"{name}: {e}")
            continue
        state = {n["name"]: n for n in kr.dump()["nodes"]}[node]
        assert (state["inputs"], state["outputs"]) == (dsp.inputs, dsp.outputs), name
        kr.remove(node)
    assert not failures, "\n".join(failures)
