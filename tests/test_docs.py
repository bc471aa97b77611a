"""Every code block of the guide (docs/*.md) runs, against a real krd on a private JACK server.

A page's blocks run in order, in one namespace, on a session emptied first (as a reader at a
fresh REPL). The line before a block may say how to test it:

    <!-- doc-test: sound -->             after the block, master must not be silent (recorded)
    <!-- doc-test: no-run (why) -->      not run (install steps, interactive commands, output)

Python blocks are exec'd with `import kr` bound to the test krd; shell blocks run with bash in
the repository, with 57140 (the default port) replaced by the test krd's port. Every other block
must say `no-run`: nothing is skipped silently. `test_no_run_blocks` lists the blocks that do
not run. (Files the guide shows, such as the systemd units, are not copies: a
`<!-- kr:include PATH LANG -->` line puts the file in when the guide is built.)

The generated reference (docs/hooks/generate.py) is checked too: every krs example compiles in
krd, every engine error message is explained, and `mkdocs build --strict` succeeds.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "hooks"))

import generate  # noqa: E402 - docs/hooks, put on the path above

DEFAULT_PORT = "57140"
SOUND_SECONDS = 1.5
SILENCE_RMS = 1e-4

_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
_DIRECTIVE = re.compile(r"<!-- doc-test: (sound|no-run)\s*(.*?)\s*-->\s*$")
RUNNABLE = ("python", "sh", "bash")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    code: str
    directive: str  # "", "sound", "no-run"
    argument: str

    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a page, each with the doc-test directive on the line before."""
    text = page.read_text()
    out = []
    for m in _FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        d = _DIRECTIVE.search(before)
        directive, argument = (d.group(1), d.group(2)) if d else ("", "")
        out.append(Block(page.name, line, m.group(1), m.group(2), directive, argument))
    return out


PAGES = sorted(DOCS.glob("*.md"))
ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


def test_every_block_runs_or_says_why_not() -> None:
    unmarked = [b.where() for b in ALL_BLOCKS if b.lang not in RUNNABLE and b.directive == ""]
    assert not unmarked, f"blocks that cannot run and say nothing: {unmarked}"
    unexplained = [b.where() for b in ALL_BLOCKS if b.directive == "no-run" and not b.argument]
    assert not unexplained, f"no-run blocks without a reason: {unexplained}"
    sound_elsewhere = [
        b.where() for b in ALL_BLOCKS if b.directive == "sound" and b.lang not in RUNNABLE
    ]
    assert not sound_elsewhere, f"`sound` on a block that does not run: {sound_elsewhere}"


def test_no_run_blocks() -> None:
    """Lists the blocks that do not run, with their reasons (`pytest -s` shows the list)."""
    skipped = [b for b in ALL_BLOCKS if b.directive == "no-run"]
    runs = [b for b in ALL_BLOCKS if b.directive != "no-run"]
    print(f"\n{len(runs)} blocks run or are checked, {len(skipped)} do not:")
    for b in skipped:
        print(f"  {b.where()} ({b.lang or 'no language'}): {b.argument}")
    assert runs, "the guide has no code block that runs"


def _reset() -> None:
    import kr

    kr.clear()
    for name in kr.scenes():
        kr.delete_scene(name)
    kr.tempo = 120
    kr.meter = 4
    kr.master = 0.8


def _audible(tmp: Path, name: str) -> float:
    """The RMS of what master plays over the next SOUND_SECONDS (recorded by krd)."""
    from audio import read_wav, rms

    import kr

    wav = tmp / f"{name}.wav"
    kr.record(str(wav))
    time.sleep(SOUND_SECONDS)
    kr.stop_record(str(wav))
    _, samples = read_wav(str(wav))
    return rms(samples)


def _run_shell(block: Block, port: int, cwd: Path) -> None:
    code = block.code.replace(DEFAULT_PORT, str(port))
    # `kr` and `krd` as a reader who followed Getting started has them on PATH.
    krd_dir = Path(os.environ["KR_KRD"]).parent
    path = f"{ROOT / '.venv' / 'bin'}:{krd_dir}:{os.environ['PATH']}"
    env = dict(os.environ, KR_PORT=str(port), PATH=path)
    r = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, f"{block.where()} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"


RUN_PAGES = [
    p.name for p in PAGES if any(b.lang in RUNNABLE and b.directive != "no-run" for b in blocks(p))
]


@pytest.mark.parametrize("page", RUN_PAGES)
def test_page_examples_run(page: str, krd: int, tmp_path: Path) -> None:
    """The page's blocks run in order, as a reader types them into a fresh session."""
    _reset()
    work = tmp_path / "work"
    work.mkdir()
    namespace: dict[str, Any] = {"__name__": f"docs_{page[:-3]}"}
    cwd = os.getcwd()
    os.chdir(work)  # files the examples write (exports, recordings) land here
    try:
        for i, block in enumerate(blocks(DOCS / page)):
            if block.directive == "no-run":
                continue
            if block.lang == "python":
                try:
                    exec(compile(block.code, block.where(), "exec"), namespace)
                except Exception as e:
                    raise AssertionError(f"{block.where()} raised {type(e).__name__}: {e}") from e
            else:
                _run_shell(block, krd, ROOT)
            if block.directive == "sound":
                level = _audible(tmp_path, f"{page[:-3]}-{i}")
                print("LEVEL", block.where(), level)
                assert level > SILENCE_RMS, f"{block.where()} should play, but master is silent"
    finally:
        os.chdir(cwd)
        _reset()


def test_krs_examples_compile(krd: int) -> None:
    """Every example of the Synths page's table is a program krd compiles and plays."""
    import kr

    _reset()
    examples = [*generate.KRS_EXAMPLES.values(), *(e for _, e in generate.KRS_OPERATORS)]
    with kr.batch():
        for i, example in enumerate(examples):
            fn, _ = generate.krs_program(example)
            kr.node(f"example/{i}", fn, gain=0.0)
    assert len(kr.nodes()) == len(examples)
    _reset()


def test_every_krs_primitive_has_an_example() -> None:
    names = [n for n, _ in generate.krs_primitives()]
    assert set(names) <= set(generate.KRS_EXAMPLES), set(names) - set(generate.KRS_EXAMPLES)
    assert set(generate.KRS_EXAMPLES) <= set(names), "examples of primitives krs no longer has"


def test_pattern_examples_name_existing_functions() -> None:
    """An example of a function kr no longer has would silently vanish from the guide."""
    functions = generate.pattern_functions()
    gone = set(generate.PATTERN_EXAMPLES) - set(functions)
    assert not gone, f"examples in docs/hooks/generate.py for functions kr does not have: {gone}"


def test_every_engine_error_message_is_explained() -> None:
    text = generate.error_messages()  # raises DocsError naming what is missing
    for message, _ in generate.rust_error_messages():
        assert generate.code(generate._template(message)) in text


def test_every_public_name_has_a_docstring() -> None:
    """`help()` of anything a user reaches shows text: the same text as the guide."""
    import kr
    from kr import krs

    missing = []
    for name in kr.__all__:
        obj = getattr(kr, name)
        if callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(f"kr.{name}")
    for name in krs.__all__:
        obj = getattr(krs, name)
        is_type_alias = not (inspect.isfunction(obj) or inspect.isclass(obj))
        if not is_type_alias and not (obj.__doc__ or "").strip():
            missing.append(f"krs.{name}")
    for cls in (kr.Pattern, kr.Node, kr.Session):
        for name, member in vars(cls).items():
            if name.startswith("_") or not callable(member) and not isinstance(member, property):
                continue
            if not (getattr(member, "__doc__", None) or "").strip():
                missing.append(f"kr.{cls.__name__}.{name}")
    functions = generate.pattern_functions()
    assert "every" in functions and "method" in functions["every"]
    assert not missing, f"no docstring, so help() and the guide say nothing: {missing}"


def test_the_site_builds_without_warnings() -> None:
    mkdocs = ROOT / ".venv" / "bin" / "mkdocs"
    assert mkdocs.exists(), "mkdocs is not installed in .venv: `make venv` installs it"
    with tempfile.TemporaryDirectory() as site:
        r = subprocess.run(
            [str(mkdocs), "build", "--strict", "--site-dir", site],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        for page in ("index", "synths", "patterns", "sessions", "tidal-strudel", "samples",
                     "midi-link", "service", "several-machines", "osc", "protocol",
                     "troubleshooting", "performance", "reference"):  # fmt: skip
            built = Path(site) / ("index.html" if page == "index" else f"{page}/index.html")
            assert built.is_file(), f"the site has no page {page}"
