"""Finding, starting and stopping `krd` (and, when asked, a private dummy JACK server)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import EngineUnavailable

_REPO = Path(__file__).resolve().parent.parent.parent
# Where the krd Debian package (`make deb`) installs krd.
_INSTALLED = Path("/usr/bin/krd")


def find_krd() -> str:
    """The krd binary: $KR_KRD, else this checkout's newest build (target/release or
    target/debug, whichever was built last, so a stale build is never picked), else krd on PATH,
    else the installed /usr/bin/krd."""
    env = os.environ.get("KR_KRD")
    if env:
        return env
    builds = [_REPO / "target" / profile / "krd" for profile in ("release", "debug")]
    built = [b for b in builds if b.is_file()]
    if built:
        return str(max(built, key=lambda b: b.stat().st_mtime))
    found = shutil.which("krd")
    if found:
        return found
    if _INSTALLED.is_file():  # the krd package's, when /usr/bin is not on PATH (a service's)
        return str(_INSTALLED)
    raise EngineUnavailable(
        "cannot find the krd binary: build it (cargo build --release -p kr-host), "
        "put it on PATH, or set KR_KRD"
    )


def jack_running(server: str | None = None) -> bool:
    """Whether a JACK server answers (the default one, or `server`)."""
    env = dict(os.environ, JACK_NO_START_SERVER="1")
    if server:
        env["JACK_DEFAULT_SERVER"] = server
    lsp = shutil.which("jack_lsp")
    if lsp is None:
        return False
    try:
        r = subprocess.run([lsp], env=env, capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0


class Process:
    """A child process that is stopped when Python exits."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            args, stdout=self._log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        atexit.register(self.stop)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


def _log_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    d = Path(base) / "kr"
    d.mkdir(parents=True, exist_ok=True)
    return d


def start_dummy_jack(
    name: str | None = None, rate: int = 48000, period: int = 256
) -> tuple[Process, str]:
    """Start a private `jackd -d dummy` server; returns it and its server name."""
    jackd = shutil.which("jackd")
    if jackd is None:
        raise EngineUnavailable(
            "no JACK server is running and jackd is not installed (apt install jackd2)"
        )
    name = name or f"kr-{os.getpid()}"
    proc = Process(
        [jackd, "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
        _log_dir() / f"jackd-{name}.log",
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if jack_running(name):
            return proc, name
        if not proc.alive():
            break
        time.sleep(0.05)
    proc.stop()
    raise EngineUnavailable(f"the dummy JACK server '{name}' did not start:\n{proc.log_tail()}")


def start_krd(port: int, jack_server: str | None = None, extra: list[str] | None = None) -> Process:
    """Start krd listening on `port`; the caller waits for it to answer.

    Like a krd started by hand, it restores the session saved in its state file unless `extra`
    says otherwise (`--fresh`, `--no-state`): `kr.Session`, which starts krd when none answers,
    adds `--fresh` unless asked to restore."""
    env = dict(os.environ)
    if jack_server:
        env["JACK_DEFAULT_SERVER"] = jack_server
    args = [find_krd(), "--port", str(port), *(extra or [])]
    return Process(args, _log_dir() / f"krd-{port}-{os.getpid()}.log", env)
