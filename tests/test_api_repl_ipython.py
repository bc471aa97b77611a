"""Tab completion under IPython: node and control names after `kr["`, `kr["bass"]["`,
`kr.session["` and `node["`, through IPython's own completer (with the configuration the `kr`
REPL starts IPython with), and in the REPL itself run under IPython in a terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

import kr
from kr import krs
from kr.complete import ipython_config


def acid_bass() -> krs.Signal:
    freq = krs.control("freq", 55.0, 20.0, 800.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
    return krs.lowpass(krs.saw(freq), cutoff) * krs.adsr(0.005, 0.15, 0.3, 0.08, gate)


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    sh = InteractiveShell.instance(config=ipython_config())
    yield sh
    InteractiveShell.clear_instance()


def complete(sh: InteractiveShell, line: str) -> list[str]:
    _, matches = sh.complete("", line, len(line))
    return list(matches)


def test_ipython_completes_nodes_and_controls(kr_clean: None, shell: InteractiveShell) -> None:
    bass = kr.node("bass", acid_bass)
    kr.node("drums/kick", acid_bass)
    shell.user_ns.update({"kr": kr, "krs": krs, "b": bass})

    assert complete(shell, 'kr["dr') == [
        "drums/kick",
        "drums/kick/cutoff",
        "drums/kick/freq",
        "drums/kick/gain",
        "drums/kick/gate",
    ]
    assert complete(shell, 'kr["bass"]["cu') == ["cutoff"]
    assert complete(shell, "kr['drums/kick']['g") == ["gain", "gate"]
    assert complete(shell, 'b["fr') == ["freq"]
    assert "bass" in complete(shell, 'kr.session["ba')
    # A name that is no node completes to nothing, and asking changed nothing.
    assert complete(shell, 'kr["nobody"]["fr') == []
    assert kr.nodes() == ["bass", "drums/kick"]


def test_load_ext_in_any_ipython(kr_clean: None, shell: InteractiveShell) -> None:
    """`%load_ext kr.complete` gives a shell started without kr's configuration the same."""
    kr.node("bass", acid_bass)
    shell.user_ns.update({"kr": kr})
    saved = shell.Completer.policy_overrides
    try:
        shell.Completer.policy_overrides = {}
        assert complete(shell, 'kr["bass"]["cu') == []  # IPython alone will not evaluate kr[...]
        shell.run_line_magic("load_ext", "kr.complete")
        assert complete(shell, 'kr["bass"]["cu') == ["cutoff"]
    finally:
        shell.Completer.policy_overrides = saved


def test_the_repl_under_ipython_completes_controls(kr_clean: None) -> None:
    kr.node("drums/kick", acid_bass)
    master, slave = os.openpty()
    env = dict(os.environ, TERM="dumb", HOME=os.environ.get("HOME", "/tmp"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kr.repl", "--port", str(kr.session.port)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)

    def read_until(needle: str, timeout: float = 60) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while needle not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 4096).decode(errors="replace")
                except OSError:
                    break
        return seen

    try:
        assert "In [1]" in read_until("In [1]"), "the REPL did not start IPython"
        line = 'l = \'kr["drums/kick"]["cu\'; '
        ask = line + "print('M', get_ipython().complete('', l, len(l))[1])\n"
        os.write(master, ask.encode())
        assert "M ['cutoff']" in read_until("M ['cutoff']", 20)
        os.write(master, b"exit()\n")
        proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
