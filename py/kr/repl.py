"""The `kr` command: an interactive Python with `kr` and `krs` in scope.

It connects to krd at $KR_HOST:$KR_PORT (or --host/--port), starting krd when none answers, and
a private dummy JACK server first when no JACK server runs. A krd that answers is used with the
session it holds; one the REPL starts starts fresh (the session krd saved last is kept as
`<state file>.previous`) unless `kr --restore` or KR_RESTORE=1 asks it to restore that session.
Its first line says which happened, with the engine's status; it completes node names and
controls after `kr["` and `node["` (IPython when installed, else the standard console with
readline)."""

from __future__ import annotations

import argparse
import code
import linecache
import os
import sys
from typing import Any

import kr
from kr import engine, krs
from kr.complete import Completer
from kr.errors import KrError
from kr.session import Session


def status_line(session: Session) -> str:
    """The engine's status, and where its session came from (`session.origin`):

    `kr: krd 127.0.0.1:57140 · 48000 Hz/256 · connected, its session as it is: 2 nodes,
    1 pattern · 120 BPM · load 0.4% · xruns 0` (or `started krd on port 57140, fresh: ...`, or
    `started krd on port 57140, restored the saved session: ...`)."""
    s = session.status()
    state = session.dump()
    patterns = len(state["patterns"])
    return (
        f"kr: krd {session.host}:{session.port} · {s['sample_rate']:.0f} Hz/{s['block_size']}"
        f" · {_origin_words(session)}: {s['nodes']} node{'s' * (s['nodes'] != 1)},"
        f" {patterns} pattern{'s' * (patterns != 1)}"
        f" · {state['tempo']:g} BPM · load {100 * s['load_mean']:.1f}% · xruns {s['xruns']}"
    )


def _origin_words(session: Session) -> str:
    if session.origin == "fresh":
        return f"started krd on port {session.port}, fresh"
    if session.origin == "restored":
        return f"started krd on port {session.port}, restored the saved session"
    return "connected, its session as it is"


def origin_notes(session: Session) -> list[str]:
    """What to do about where the session came from: where the saved session went and how to
    start with it instead (a fresh krd), how to empty a session that is not empty, and what
    the engine's start could not restore."""
    notes: list[str] = []
    s = session.status()
    if session.origin == "fresh" and "--no-state" not in session.krd_args:
        notes.append(
            "kr: fresh: the session krd had saved, if any, is kept beside its state file as "
            "<file>.previous; `kr --restore` (or KR_RESTORE=1) starts krd with the session it "
            "saved last instead"
        )
    elif s["nodes"] or session.dump()["patterns"]:
        notes.append("kr: kr.clear() empties the session (stops every pattern, removes every node)")
    problems = s.get("restore_problems") or []
    if problems:
        notes.append(f"kr: the saved session was restored in part: {'; '.join(problems)}")
    return notes


def ensure_engine(session: Session, say: Any = print) -> engine.Process | None:
    """Make sure a krd answers for `session`: start one if none does (fresh unless
    `session.restore`), and a private dummy JACK server before it when no JACK server is
    running. Returns that JACK server, if started."""
    from kr.client import Client

    probe = Client(session.host, session.port)
    try:
        if probe.status(0.5) is not None:
            session.client  # noqa: B018 - connects (and notes that krd answered already)
            return None
    finally:
        probe.close()
    jack: engine.Process | None = None
    if not engine.jack_running(os.environ.get("JACK_DEFAULT_SERVER")):
        jack, name = engine.start_dummy_jack()
        os.environ["JACK_DEFAULT_SERVER"] = name
        say(f"kr: no JACK server is running: started a private dummy JACK server {name!r} (silent)")
    session.client  # noqa: B018 - connecting starts krd
    return jack


class Console(code.InteractiveConsole):
    """The standard console, with each input kept in linecache so that `inspect.getsource`
    (and so `kr.export`) finds functions defined at the prompt."""

    _count = 0

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        Console._count += 1
        filename = f"<kr-input-{Console._count}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        return super().runsource(source, filename, symbol)


def _readline(namespace: dict[str, Any]) -> None:
    try:
        import readline
    except ImportError:
        return
    completer = Completer(namespace, readline.get_line_buffer)
    readline.set_completer(completer.complete)
    readline.set_completer_delims(" \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?")
    readline.parse_and_bind("tab: complete")
    history = os.path.expanduser("~/.kr_history")
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    import atexit

    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: Any, path: str) -> None:
    try:
        readline.write_history_file(path)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="kr", description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--host", help="krd's host (default $KR_HOST or 127.0.0.1)")
    ap.add_argument("--port", type=int, help="krd's OSC port (default $KR_PORT or 57140)")
    ap.add_argument("--plain", action="store_true", help="the standard console even with IPython")
    ap.add_argument(
        "--restore",
        action="store_true",
        help="when kr starts krd, restore the session krd saved last (default $KR_RESTORE, else "
        "start fresh, keeping it as <state file>.previous); a krd that answers already is used "
        "as it is",
    )
    args = ap.parse_args(argv)
    session = kr.session
    if args.host:
        session.host = args.host
    if args.port:
        session.port = args.port
    if args.restore:
        session.restore = True
    try:
        ensure_engine(session)
        print(status_line(session), flush=True)
        for note in origin_notes(session):
            print(note, flush=True)
    except KrError as e:
        print(f"kr: {e}", file=sys.stderr)
        return 1
    namespace: dict[str, Any] = {"kr": kr, "krs": krs, "__name__": "__console__"}
    try:
        if not args.plain and sys.stdin.isatty():
            try:
                import IPython  # type: ignore[import-not-found, unused-ignore]
            except ImportError:
                pass
            else:
                from kr.complete import ipython_config

                config = ipython_config()
                IPython.start_ipython(argv=["--no-banner"], user_ns=namespace, config=config)
                return 0
        _readline(namespace)
        Console(namespace).interact(banner="", exitmsg="")
    finally:
        session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
