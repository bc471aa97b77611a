"""The `kr` command: an interactive Python with `kr` and `krs`, a status line, krd (and JACK)
started when missing, and tab completion of node names and controls."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port
from test_api_restore import LEVEL, leave_session
from test_spine import acid_bass

import kr
from kr.client import Client
from kr.complete import Completer

SCRIPT = """\
def tone():
    return krs.sine_osc(krs.control("freq", 440.0, 20.0, 2000.0)) * 0.2

t = kr.node("repl/tone", tone, gain=0.5)
t["freq"] = 330
print("FREQ", kr["repl/tone/freq"])
print("EXPORTED", "def tone():" in open(kr.export(EXPORT_PATH)).read())
kr.remove("repl/tone")
"""


def run_repl(args: list[str], stdin: str, env: dict[str, str] | None = None) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "kr.repl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def test_repl_runs_code_with_kr_and_krs_and_prints_a_status_line(
    kr_clean: None, tmp_path: Path
) -> None:
    out = run_repl(
        ["--port", str(kr.session.port)],
        SCRIPT.replace("EXPORT_PATH", repr(str(tmp_path / "x.py"))),
    )
    first = out.splitlines()[0]
    assert first.startswith(f"kr: krd 127.0.0.1:{kr.session.port} · 48000 Hz"), first
    assert "BPM" in first and "load" in first
    assert "· connected, its session as it is: 0 nodes, 0 patterns ·" in first
    assert "FREQ 330.0" in out
    assert "EXPORTED True" in out  # functions typed at the prompt export as Python
    assert kr.nodes() == []


def test_repl_starts_jack_and_krd_when_none_runs(jack_server: str) -> None:
    port = free_port()
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"kr-none-{port}", JACK_NO_START_SERVER="1")
    out = run_repl(["--port", str(port)], "print('OK', kr.status()['ok'])\n", env)
    assert "no JACK server is running: started a private dummy JACK server" in out
    assert f"started krd on port {port}" in out
    assert "OK True" in out
    assert Client(port=port).status(0.5) is None, "krd outlived the REPL that started it"


def without_kr_restore(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KR_RESTORE"}
    return dict(env, **more)


def test_repl_first_line_says_it_restored_or_started_fresh(jack_server: str) -> None:
    """A krd the REPL starts is fresh unless `--restore` or KR_RESTORE=1 asks for the saved
    session; the first line says which, the next what to do about it."""
    port = free_port()
    leave_session(port=port)  # krd's default state file for that port now holds 2 nodes
    show = "print('NODES', kr.nodes(), kr.session.origin)\n"
    for args, env in (
        (["--restore"], without_kr_restore()),
        ([], without_kr_restore(KR_RESTORE="1")),
    ):
        lines = run_repl(["--port", str(port), *args], show, env).splitlines()
        assert lines[0].startswith(f"kr: krd 127.0.0.1:{port} · 48000 Hz"), lines[0]
        want = f"· started krd on port {port}, restored the saved session: 2 nodes, 1 pattern ·"
        assert want in lines[0], lines[0]
        assert "97 BPM" in lines[0]
        assert lines[1].startswith("kr: kr.clear() empties the session"), lines[1]
        assert "NODES ['old/fx', 'old/src'] restored" in lines[2]
    lines = run_repl(["--port", str(port)], show, without_kr_restore()).splitlines()
    assert f"· started krd on port {port}, fresh: 0 nodes, 0 patterns ·" in lines[0], lines[0]
    assert "<file>.previous" in lines[1] and "`kr --restore` (or KR_RESTORE=1)" in lines[1]
    assert "NODES [] fresh" in lines[2]
    assert Client(port=port).status(0.5) is None, "krd outlived the REPL that started it"


def test_repl_first_line_says_it_connected_to_a_running_krd(kr_clean: None) -> None:
    """A krd that answers is used as it is, even with `--restore`."""
    kr.node("running", LEVEL)
    kr.play("running/level", "0.1 0.2")
    show = "print('NODES', kr.nodes(), kr.session.origin)\n"
    env = without_kr_restore()
    lines = run_repl(["--port", str(kr.session.port), "--restore"], show, env).splitlines()
    assert "· connected, its session as it is: 1 node, 1 pattern ·" in lines[0], lines[0]
    assert lines[1].startswith("kr: kr.clear() empties the session"), lines[1]
    assert "NODES ['running'] connected" in lines[2]
    assert kr.nodes() == ["running"]


def test_completion_of_node_names_and_controls(kr_clean: None) -> None:
    bass = kr.node("bass", acid_bass)
    kr.node("drums/kick", acid_bass)
    ns = {"kr": kr, "bass": bass}
    c = Completer(ns, lambda: "")
    assert c.matches("", 'kr["') == sorted(
        ["bass", "drums/kick"]
        + [f"{n}/{x}" for n in ("bass", "drums/kick") for x in ("cutoff", "freq", "gain", "gate")]
    )
    # readline's word stops at '/', so only the tail after it is replaced.
    assert c.matches("ki", 'kr["drums/ki') == [
        "kick",
        "kick/cutoff",
        "kick/freq",
        "kick/gain",
        "kick/gate",
    ]
    assert c.matches("cu", "bass['cu") == ["cutoff"]
    assert c.matches("g", 'bass["g') == ["gate", "gain"]
    assert "kr.node(" in c.matches("kr.no", "kr.no")


def test_tab_completes_in_a_terminal(kr_clean: None) -> None:
    kr.node("drums/kick", acid_bass)
    master, slave = os.openpty()
    env = dict(os.environ, TERM="xterm", HOME=os.environ.get("HOME", "/tmp"))
    proc = subprocess.Popen(
        # The standard console's readline completion (IPython's: test_api_repl_ipython.py).
        [sys.executable, "-m", "kr.repl", "--plain", "--port", str(kr.session.port)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)

    def read_until(needle: str, timeout: float = 30) -> str:
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
        assert ">>> " in read_until(">>> ")
        os.write(master, b'x = kr["drums/ki\t')
        # Several keys start with "drums/ki": the common part is completed (readline rings).
        assert "ck" in read_until("ck", 10)
        os.write(master, b'/cu\t"]\nprint("VALUE", x)\n')
        assert "VALUE 800.0" in read_until("VALUE 800.0", 10)
        os.write(master, b"exit()\n")
        proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
