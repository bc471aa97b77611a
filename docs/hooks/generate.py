"""The generated parts of the guide: each function returns Markdown made from the code itself
(docstrings, the krs tracer, kr-osc's command table, the error texts in the sources, README's
measured tables), so the reference cannot drift from what kr does.

A page asks for one with a marker line, `<!-- kr:NAME -->`; `kr_docs.py` (the mkdocs hook)
replaces it. tests/test_docs.py imports this module too: it compiles every krs example in a real
krd and checks that every error message in the code is explained.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from errors_help import ERROR_HELP  # noqa: E402 - beside this file, on the path above

ROOT = Path(__file__).resolve().parents[2]


class DocsError(Exception):
    """Something the guide must say is missing (a primitive without an example, an error message
    without an explanation): the build fails, naming it."""


def first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line (the text `help()` starts with)."""
    if not doc:
        return ""
    text = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(line.strip() for line in text.splitlines())


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (Sphinx roles such as :func: dropped)."""
    text = re.sub(r":(?:func|meth|class|attr):", "", text)
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    """Inline code for a table cell, whatever backticks `text` holds."""
    text = cell(text)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


# ---- krs ------------------------------------------------------------------------------------

# One example per primitive, evaluated with `krs` and an input signal `x` (an effect's input) in
# scope. A primitive missing here fails the build: every primitive has an example.
KRS_EXAMPLES: dict[str, str] = {
    "sine_osc": "krs.sine_osc(440)",
    "saw": "krs.saw(110)",
    "square": "krs.square(110)",
    "triangle": "krs.triangle(220)",
    "pulse": "krs.pulse(110, 0.25)",
    "phasor": "krs.phasor(2)",
    "white_noise": "krs.white_noise() * 0.1",
    "pink_noise": "krs.pink_noise() * 0.2",
    "lowpass": "krs.lowpass(x, 800)",
    "highpass": "krs.highpass(x, 200)",
    "bandpass": "krs.bandpass(x, 1000, 4)",
    "resonant": "krs.resonant(x, 600, 5)",
    "onepole": "krs.onepole(x, 300)",
    "dcblock": "krs.dcblock(x)",
    "smooth": "krs.smooth(x, 0.05)",
    "adsr": "krs.saw(110) * krs.adsr(0.01, 0.1, 0.5, 0.2, krs.control('gate', 0, 0, 1))",
    "ar": "krs.sine_osc(60) * krs.ar(0.001, 0.3, krs.control('gate', 0, 0, 1))",
    "delay": "x + krs.delay(x, 0.25)",
    "echo": "krs.echo(x, 0.3, 0.4)",
    "reverb": "krs.reverb(x, 0.8)",
    "pan": "krs.pan(x, -0.5)",
    "feedback": "krs.feedback(lambda prev: x + 0.5 * krs.delay(prev, 0.2))",
    "control": "krs.saw(krs.control('freq', 220, 20, 2000))",
    "sin": "krs.sin(krs.phasor(110) * 6.283)",
    "cos": "krs.cos(krs.phasor(110) * 6.283)",
    "tan": "krs.tanh(krs.tan(x))",
    "exp": "krs.exp(-3 * krs.phasor(2)) * x",
    "log": "krs.log(1 + krs.phasor(1)) * x",
    "sqrt": "krs.sqrt(krs.phasor(1)) * x",
    "floor": "krs.floor(x * 8) / 8",
    "ceil": "krs.ceil(x * 8) / 8",
    "abs": "krs.abs(x)",
    "tanh": "krs.tanh(x * 4)",
    "pow": "krs.pow(krs.phasor(1), 2) * x",
    "min": "krs.min(x, 0.5)",
    "max": "krs.max(x, -0.5)",
    "clip": "krs.clip(x * 3, -0.8, 0.8)",
    "midi_to_freq": "krs.saw(krs.midi_to_freq(krs.control('note', 45, 0, 127)))",
    "select": "krs.select(krs.phasor(2) < 0.5, krs.saw(110), krs.square(110))",
    "eq": "krs.eq(krs.floor(krs.phasor(1) * 4), 0) * x",
    "ne": "krs.ne(krs.floor(krs.phasor(1) * 4), 0) * x",
    "faust": "krs.faust('fi.lowpass(3, 500)', x)",
}

# Names in krs.__all__ that are not signal primitives (types, tracing, settings).
KRS_NOT_PRIMITIVES = frozenset(
    {
        "ControlSpec",
        "DspDef",
        "DspError",
        "DspFunction",
        "Signal",
        "SignalLike",
        "faust_source",
        "trace",
        "input_count",
        "get_smoothing",
        "set_smoothing",
    }
)

KRS_GROUPS: dict[str, str] = {
    "oscillators": "Oscillators and noise",
    "filters": "Filters",
    "envelopes": "Envelopes",
    "effects": "Delays, reverb, panning, feedback",
    "controls": "Controls",
    "primitives": "Math, shaping, selection, raw FAUST",
    "signal": "Math, shaping, selection, raw FAUST",
}

# Operators on signals: what Python operators become (one example each).
KRS_OPERATORS: list[tuple[str, str]] = [
    ("a + b, a - b, a * b, a / b", "x * 0.5 + krs.saw(110) * 0.1"),
    ("a ** b", "krs.phasor(1) ** 2 * x"),
    ("a % b", "(krs.phasor(1) * 3) % 1 * x"),
    ("-a", "-x"),
    ("a < b, a <= b, a > b, a >= b (0 or 1)", "(x > 0) * 0.5"),
]


def krs_program(example: str) -> tuple[Callable[..., Any], str]:
    """The DSP function an example stands for (an effect when it uses `x`) and its FAUST."""
    from kr import krs

    namespace: dict[str, Any] = {"krs": krs}
    if re.search(r"\bx\b", example):
        exec(f"def example(x):\n    return {example}\n", namespace)
    else:
        exec(f"def example():\n    return {example}\n", namespace)
    fn = namespace["example"]
    return fn, krs.faust_source(fn)


def faust_body(source: str) -> str:
    """A FAUST program without its library import, on as few lines as it has definitions."""
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.startswith("import(")]
    return "\n".join(lines)


def krs_primitives() -> list[tuple[str, Callable[..., Any]]]:
    """Every signal primitive krs exports, in `krs.__all__` order."""
    from kr import krs

    return [(name, getattr(krs, name)) for name in krs.__all__ if name not in KRS_NOT_PRIMITIVES]


def krs_table() -> str:
    """Every krs primitive: what it does (its docstring), an example, the FAUST it becomes."""
    missing = [name for name, _ in krs_primitives() if name not in KRS_EXAMPLES]
    if missing:
        raise DocsError(f"krs primitives without an example in docs/hooks/generate.py: {missing}")
    groups: dict[str, list[str]] = {}
    for name, fn in krs_primitives():
        module = getattr(fn, "__module__", "") or ""
        group = KRS_GROUPS.get(module.rsplit(".", 1)[-1], "Other")
        example = KRS_EXAMPLES[name]
        _, source = krs_program(example)
        body = faust_body(source)
        sig = str(inspect.signature(fn)).replace("kr.krs.signal.", "")
        row = (
            f"| [`{name}`](reference.md#kr.krs.{name}) | {cell(first_paragraph(fn.__doc__))} "
            f"| {code(example)} | <code>{_html(body)}</code> |"
        )
        groups.setdefault(group, []).append(row)
        del sig
    out: list[str] = []
    for group in dict.fromkeys(KRS_GROUPS.values()) | dict.fromkeys(groups):
        rows = groups.get(group)
        if not rows:
            continue
        out += [f"### {group}", "", "| krs | what it does | example | FAUST it becomes |"]
        out += ["|---|---|---|---|", *rows, ""]
    return "\n".join(out)


def krs_operators() -> str:
    """The Python operators on signals, with the FAUST each example becomes."""
    out = ["| operator | example | FAUST it becomes |", "|---|---|---|"]
    for ops, example in KRS_OPERATORS:
        _, source = krs_program(example)
        out.append(f"| {code(ops)} | {code(example)} | <code>{_html(faust_body(source))}</code> |")
    return "\n".join(out) + "\n"


def _html(code: str) -> str:
    """FAUST code inside a table cell: escaped, its lines kept apart."""
    esc = code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "|\\*_`[]":  # nothing in the code may read as Markdown
        esc = esc.replace(char, f"&#{ord(char)};")
    return esc.replace("\n", "<br>")


# ---- patterns -------------------------------------------------------------------------------

# Grouped as Strudel's reference groups its functions. A function of `kr` (kr.patterns) or a
# method of `kr.Pattern` that is in no group lands in "More functions", so a new function shows
# up in the guide with its docstring as soon as it exists.
PATTERN_GROUPS: list[tuple[str, list[str]]] = [
    (
        "Creating patterns",
        [
            "mini",
            "pure",
            "silence",
            "seq",
            "fastcat",
            "cat",
            "slowcat",
            "stack",
            "timecat",
            "run",
            "hit",
            "rest",
            "p",
            "note_to_midi",
            "from_ir",
            "midi",
            "notes",
        ],
    ),  # fmt: skip
    (
        "Time modifiers",
        [
            "fast",
            "slow",
            "over",
            "early",
            "late",
            "rev",
            "reverse",
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
            "swing_by",
            "swing",
        ],
    ),  # fmt: skip
    (
        "Control parameters",
        ["control", "control_of", "note", "s", "n", "freq", "gain", "legato"],
    ),
    ("Signals", ["sine", "cosine", "saw", "isaw", "tri", "square", "rand", "irand", "signal"]),
    (
        "Random modifiers",
        ["degrade_by", "degrade", "undegrade_by", "thin", "sometimes_by", "sometimes", "seed"],
    ),
    (
        "Conditional modifiers",
        ["every", "first_of", "last_of", "struct", "mask", "euclid", "euclid_rot", "spread"],
    ),
    ("Accumulation", ["off", "superimpose", "layer", "echo", "stut", "jux", "chunk"]),
    ("Value modifiers", ["add", "sub", "mul", "div", "range", "fmap"]),
    ("Operators", ["__add__", "__or__", "__mul__"]),
    ("Looking at a pattern", ["query", "show", "to_ir", "Event"]),
]

# An example per pattern function, drawn by `show()` in the reference (two cycles where the
# function works across cycles). Evaluated with `kr` in scope each time the guide is built, so
# every example runs. A function without one is listed all the same.
PATTERN_EXAMPLES: dict[str, str] = {
    "mini": 'kr.mini("c [e g] <a b>")',
    "pure": 'kr.pure("c")',
    "seq": 'kr.seq("c", "e", None, "g")',
    "fastcat": 'kr.fastcat("c", "e g")',
    "cat": 'kr.cat("c e", "g")',
    "slowcat": 'kr.slowcat("c e", "g")',
    "stack": 'kr.stack("c e", "g")',
    "timecat": 'kr.timecat((1, "c"), (2, "e g"))',
    "run": "kr.run(4)",
    "hit": "kr.hit() * 4",
    "rest": "kr.hit() + kr.rest() + kr.hit() * 2",
    "p": 'kr.p("x . x [x x]")',
    "fast": 'kr.mini("c e").fast(2)',
    "slow": 'kr.mini("c e g a").slow(2)',
    "over": 'kr.mini("c e g a").over(2)',
    "early": 'kr.mini("c e g a").early(0.25)',
    "late": 'kr.mini("c e g a").late(0.25)',
    "rev": 'kr.mini("c e g").rev()',
    "reverse": 'kr.mini("c e g").reverse()',
    "ply": 'kr.mini("c e").ply(2)',
    "segment": "kr.saw(0, 3).segment(4)",
    "iter": 'kr.mini("c e g a").iter(4)',
    "iter_back": 'kr.mini("c e g a").iter_back(4)',
    "palindrome": 'kr.mini("c e g").palindrome()',
    "repeat_cycles": 'kr.mini("<c e>").repeat_cycles(2)',
    "compress": 'kr.mini("c e").compress(0.25, 0.75)',
    "zoom": 'kr.mini("c e g a").zoom(0, 0.5)',
    "inside": 'kr.mini("c e g a").inside(2, lambda p: p.rev())',
    "outside": 'kr.mini("<c e> g").outside(2, lambda p: p.rev())',
    "swing_by": 'kr.mini("c*8").swing_by(1 / 3, 4)',
    "swing": 'kr.mini("c*8").swing(2 / 3)',
    "note": 'kr.note("c e g")',
    "s": 'kr.s("bd ~ sd")',
    "n": 'kr.n("0 1 2")',
    "control": 'kr.control("cutoff", "200 800")',
    "sine": "kr.sine(0, 8).segment(4)",
    "cosine": "kr.cosine(0, 8).segment(4)",
    "saw": "kr.saw(0, 8).segment(4)",
    "isaw": "kr.isaw(0, 8).segment(4)",
    "tri": "kr.tri(0, 8).segment(4)",
    "square": "kr.square(0, 1).segment(4)",
    "rand": "kr.rand(0, 8).segment(4)",
    "irand": "kr.irand(8).segment(4)",
    "degrade_by": 'kr.mini("c*8").degrade_by(0.5)',
    "degrade": 'kr.mini("c*8").degrade()',
    "undegrade_by": 'kr.mini("c*8").undegrade_by(0.5)',
    "thin": 'kr.mini("c*8").thin(0.5)',
    "sometimes_by": 'kr.note("c*8").sometimes_by(0.5, lambda p: p.add(12))',
    "sometimes": 'kr.note("c*8").sometimes(lambda p: p.add(12))',
    "seed": 'kr.mini("c*8").degrade_by(0.5).seed(3)',
    "every": 'kr.mini("c e g").every(2, lambda p: p.fast(2))',
    "first_of": 'kr.mini("c e g").first_of(2, lambda p: p.rev())',
    "last_of": 'kr.mini("c e g").last_of(2, lambda p: p.rev())',
    "struct": 'kr.mini("c").struct("t ~ t t")',
    "mask": 'kr.mini("c*4").mask("1 0 1 1")',
    "euclid": 'kr.mini("c").euclid(3, 8)',
    "euclid_rot": 'kr.mini("c").euclid_rot(3, 8, 2)',
    "spread": "kr.hit().spread(3, 8)",
    "off": 'kr.note("c e").off(0.25, lambda p: p.add(12))',
    "add": 'kr.note("c e").add("<0 7>")',
    "sub": 'kr.mini("8 9").sub(1)',
    "mul": 'kr.mini("1 2").mul(3)',
    "div": 'kr.mini("8 4").div(2)',
    "range": "kr.sine().segment(4).range(200, 800)",
    "fmap": 'kr.mini("1 2").fmap(lambda v: v * 10)',
    "__add__": 'kr.note("c") + kr.note("e") * 2',
    "__or__": 'kr.note("c e") | kr.note("g")',
    "__mul__": 'kr.note("c e") * 2',
}
_TWO_CYCLES = {
    "mini", "cat", "slowcat", "slow", "over", "iter", "iter_back", "palindrome",
    "repeat_cycles", "outside", "every", "first_of", "last_of", "degrade_by", "degrade",
    "sometimes_by", "seed", "add",
}  # fmt: skip


def pattern_example(name: str) -> str:
    """The example of a pattern function and the grid `show()` draws for it, as table cells."""
    example = PATTERN_EXAMPLES.get(name)
    if example is None:
        return " | "
    import kr

    pattern = eval(example, {"kr": kr})  # the guide's own text, not input
    grid = _round_labels(pattern.show(2 if name in _TWO_CYCLES else 1))
    # One table row per function: the grid's lines are <br>s, its alignment kept by `pre`.
    return f'{code(example)} | <code style="white-space: pre">{_html(grid)}</code>'


def _round_labels(grid: str) -> str:
    """`show()`'s rows with float labels rounded (`4.000000000000001` reads as `4`), realigned."""
    rows = [line.split(" |", 1) for line in grid.splitlines()]
    labels = [
        re.sub(r"\d+\.\d{4,}", lambda m: f"{float(m.group()):.3g}", r[0].strip()) for r in rows
    ]
    width = max(map(len, labels), default=0)
    return "\n".join(f"{lab:>{width}} |{r[1]}" for lab, r in zip(labels, rows, strict=True))


_OPERATOR_NAMES = {"__add__": "a + b", "__or__": "a | b", "__mul__": "a * n"}
_OPERATOR_DOCS = {
    "__add__": "A sequence: each side an equal share of the cycle (seed API).",
    "__or__": "Both at once: a stack (seed API).",
    "__mul__": "`n` repetitions per cycle: `fast(n)` (seed API).",
}
_PATTERN_SKIP = {"Pattern", "__radd__", "__ror__", "__rmul__"}


def pattern_functions() -> dict[str, dict[str, str]]:
    """Every pattern function: name -> {"kr": doc of `kr.name`, "method": doc of
    `Pattern.name`} (whichever exist)."""
    from kr import patterns
    from kr._kr import Pattern

    out: dict[str, dict[str, str]] = {}
    for name in patterns.__all__:
        if name in _PATTERN_SKIP:
            continue
        obj = getattr(patterns, name)
        doc = obj.__doc__ if callable(obj) else _attribute_doc(patterns, name)
        out.setdefault(name, {})["kr"] = first_paragraph(doc)
    for name in vars(Pattern):
        if name in _PATTERN_SKIP or (name.startswith("_") and name not in _OPERATOR_NAMES):
            continue
        # Operators' docstrings are lost on the way through pyo3's number slots: say it here.
        doc = _OPERATOR_DOCS.get(name) or getattr(Pattern, name).__doc__
        out.setdefault(name, {})["method"] = first_paragraph(doc)
    return out


def _attribute_doc(module: Any, name: str) -> str:
    """The docstring written under a module-level constant (`silence`)."""
    source = inspect.getsource(module)
    m = re.search(rf"^{name}\b[^\n]*\n\"\"\"(.*?)\"\"\"", source, re.S | re.M)
    return m.group(1) if m else ""


def pattern_reference() -> str:
    """The pattern functions, in Strudel's groups: how to call each, and its docstring."""
    functions = pattern_functions()
    placed: set[str] = set()
    out: list[str] = []
    groups = [*PATTERN_GROUPS, ("More functions", sorted(functions))]
    for title, names in groups:
        rows = []
        for name in names:
            if name not in functions or (title == "More functions" and name in placed):
                continue
            placed.add(name)
            docs = functions[name]
            rows.append(
                f"| {_pattern_forms(name, docs)} | {cell(_pattern_doc(docs))} "
                f"| {pattern_example(name)} |"
            )
        if rows:
            out += [f"### {title}", ""]
            out += [
                "| call it as | what it does | example | gives |",
                "|---|---|---|---|",
                *rows,
                "",
            ]
    return "\n".join(out)


def _pattern_forms(name: str, docs: dict[str, str]) -> str:
    if name in _OPERATOR_NAMES:
        return f"`{_OPERATOR_NAMES[name]}`"
    forms = []
    if "kr" in docs:
        forms.append(f"`kr.{name}`")
    if "method" in docs:
        forms.append(f"`pat.{name}`")
    return ", ".join(forms)


def _pattern_doc(docs: dict[str, str]) -> str:
    kr_doc, method_doc = docs.get("kr", ""), docs.get("method", "")
    if kr_doc and method_doc and kr_doc != method_doc:
        return f"{kr_doc} (method: {method_doc})"
    return kr_doc or method_doc or "(no docstring yet)"


# ---- the OSC command table ------------------------------------------------------------------


def command_table() -> str:
    """Every OSC address from kr-osc's command table, with its signature, reply and doc."""
    from kr._kr import command_table as table

    out = ["| address | arguments | reply | what it does |", "|---|---|---|---|"]
    for c in table():
        anchor = c["address"].replace("/", "").lower()
        sig = c["signature"] or "(none)"
        out.append(
            f"| [`{c['address']}`](protocol.md#{anchor}) | {code(sig)} | "
            f"{cell(c['reply'])} | {cell(c['doc'])} |"
        )
    return "\n".join(out) + "\n"


# ---- error messages -------------------------------------------------------------------------

_RUST_ERROR = re.compile(r'#\[error\(\s*"((?:[^"\\]|\\.)*)"', re.S)
_PY_RAISE = re.compile(
    r"raise\s+(\w+)\(\s*(?:f?\"((?:[^\"\\]|\\.)*)\"|\(?\s*f?\"((?:[^\"\\]|\\.)*)\")", re.S
)
RUST_CRATES = ("host/src", "osc/src", "faust/src", "pattern/src")


def rust_error_messages() -> list[tuple[str, str]]:
    """Every `#[error("...")]` text of the Rust crates, with the file it is in."""
    found: list[tuple[str, str]] = []
    for crate in RUST_CRATES:
        for path in sorted((ROOT / crate).rglob("*.rs")):
            for m in _RUST_ERROR.finditer(path.read_text()):
                text = m.group(1)
                if text.strip("{}0 ") == "":  # `{0}`: passes another error's text on
                    continue
                found.append((text, str(path.relative_to(ROOT))))
    return found


def python_error_messages() -> list[tuple[str, str, str]]:
    """Every error the Python package raises with a literal message: (exception, text, file)."""
    found: list[tuple[str, str, str]] = []
    for path in sorted((ROOT / "py" / "kr").rglob("*.py")):
        for m in _PY_RAISE.finditer(path.read_text()):
            text = m.group(2) or m.group(3) or ""
            if len(re.findall(r"[A-Za-z]{2,}", _template(text))) >= 2:
                found.append((m.group(1), text, str(path.relative_to(ROOT))))
    return found


# Where the engine builds an error: its error types' constructors, `/kr/fail` replies, `Err(...)`.
_ERROR_SITE = re.compile(
    r"\b(?:(?:SessionError|DecodeError|FaustError|RenderError|StateError|ConfigError|TcpError"
    r"|IrError)(?:::\w+)?\s*[({]|Reply::fail\(|ParseError::new\(|Err\()"
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def engine_details() -> list[tuple[str, str]]:
    """The texts the engine puts inside its messages (`recording: … is already being
    recorded`, `/kr/set: argument 3 'value': NaN is not a finite number`): every string literal
    with a space in it written where an error is built (up to the statement's end), outside
    test modules, with the file it is in. Each says what was wrong in its own words."""
    whole = {_template(text) for text, _ in rust_error_messages()}
    found: dict[str, str] = {}
    for crate in RUST_CRATES:
        for path in sorted((ROOT / crate).rglob("*.rs")):
            text = path.read_text().split("#[cfg(test)]")[0]
            for m in _ERROR_SITE.finditer(text):
                window = text[m.end() : m.end() + 400].split(";")[0]
                for literal in _STRING.findall(window):
                    detail = _template(literal)
                    words = re.findall(r"[A-Za-z]{2,}", detail)
                    if len(words) >= 2 and detail not in whole:
                        found.setdefault(detail, str(path.relative_to(ROOT)))
    return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))


def _template(text: str) -> str:
    """A message as a reader meets it: `{name}` placeholders become `…`."""
    return re.sub(r"\{[^{}]*\}", "…", text.replace('\\"', '"'))


def error_messages() -> str:
    """Every error text of the engine (Rust) and the library (Python), with what to do: the
    engine's from ERROR_HELP (a message without an entry fails the build), the library's from
    their own words (each says what was wrong and what is allowed)."""
    rows = []
    missing = []
    for text, where in rust_error_messages():
        key = _template(text)
        help_text = ERROR_HELP.get(key)
        if help_text is None:
            missing.append(key)
            continue
        rows.append(f"| {code(key)} | {cell(help_text)} | `{where}` |")
    if missing:
        raise DocsError(
            "engine error messages without an explanation in docs/hooks/errors_help.py: "
            + "; ".join(missing)
        )
    out = ["### From the engine (`/kr/fail`, krd's log)", ""]
    out += ["| message | what it means, what to do | where |", "|---|---|---|", *rows, ""]
    out += ["### Details inside those messages", ""]
    out += [
        "What comes after the messages above, in the engine's words (`recording: … is already "
        "being recorded`, `/kr/set: argument 3 'value': NaN is not a finite number`). Each says "
        "what was wrong; change that and send again.",
        "",
        "| detail | where |",
        "|---|---|",
    ]
    out += [f"| {code(detail)} | `{where}` |" for detail, where in engine_details()]
    out += ["", "### From the Python library", ""]
    out += ["| exception | message | where |", "|---|---|---|"]
    for exc, text, where in python_error_messages():
        out.append(f"| `{exc}` | {code(_template(text))} | `{where}` |")
    return "\n".join(out) + "\n"


# ---- README's measured tables ----------------------------------------------------------------


def readme_section(heading_prefix: str) -> str:
    """A section of README.md (without its heading), as it is: one text for both."""
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"^## {re.escape(heading_prefix)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if m is None:
        raise DocsError(f"README.md has no section starting '## {heading_prefix}'")
    return m.group(1).strip() + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "krs-table": krs_table,
    "krs-operators": krs_operators,
    "pattern-reference": pattern_reference,
    "command-table": command_table,
    "error-messages": error_messages,
    "performance": lambda: readme_section("Performance"),
}


def include(path: str, lang: str) -> str:
    """A file of the repository as a code block (a unit, the configuration), as it is now."""
    file = ROOT / path
    if not file.is_file():
        raise DocsError(f"<!-- kr:include {path} --> names no file of the repository")
    return f"```{lang}\n{file.read_text()}```\n"


MARKER = re.compile(r"^<!-- kr:([\w-]+)(?: (\S+) (\w+))? -->$", re.M)


def expand(markdown: str) -> str:
    """A page with each `<!-- kr:NAME -->` line replaced by its generated Markdown, and each
    `<!-- kr:include PATH LANG -->` by that file."""

    def one(m: re.Match[str]) -> str:
        name, path, lang = m.groups()
        if name == "include" and path and lang:
            return include(path, lang)
        if name not in GENERATORS:
            raise DocsError(f"unknown generated section {m.group(0)}")
        return GENERATORS[name]()

    return MARKER.sub(one, markdown)
