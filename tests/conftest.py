"""End-to-end fixtures: a real dummy JACK server, a real krd, the real `kr` package.

`make test` runs under scripts/with-jack.sh, which starts a private JACK server and exports its
name; run alone, these fixtures start one of their own. krd is the debug build (its audio
callback runs under the allocation guard) unless KR_KRD says otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("KR_KRD", str(ROOT / "target" / "debug" / "krd"))
# Every krd of the test run keeps its session state and recordings in a folder of the run's own.
_RUN_DIR = tempfile.mkdtemp(prefix="kr-tests-")
os.environ["XDG_STATE_HOME"] = os.path.join(_RUN_DIR, "state")
os.environ["XDG_DATA_HOME"] = os.path.join(_RUN_DIR, "data")
# The bundled sample banks (`make samples`) in the run's own data folder, where krd looks first:
# `s "bd sn"` sounds in every test krd, as it does for a user after `make demo`.
subprocess.run(
    [str(ROOT / "scripts" / "make_samples.sh"), os.path.join(_RUN_DIR, "data", "kr", "samples")],
    check=True,
    capture_output=True,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "link_build: needs a krd built with Link (run by `make test-link` alone)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def jack_server() -> Iterator[str]:
    from kr import engine

    name = os.environ.get("KR_TEST_JACK")
    if name:
        yield name
        return
    proc, name = engine.start_dummy_jack()
    os.environ["JACK_DEFAULT_SERVER"] = name
    yield name
    proc.stop()


# The module-level `kr` session talks to this port; krd is started once for the whole run.
os.environ["KR_PORT"] = str(free_port())


@pytest.fixture(scope="session")
def krd(jack_server: str) -> Iterator[int]:
    from kr import engine

    port = int(os.environ["KR_PORT"])
    proc = engine.start_krd(port, jack_server)
    import kr

    for _ in range(200):
        if kr.session.client.status(0.1) is not None:
            break
        assert proc.alive(), proc.log_tail()
    yield port
    kr.session.close()
    proc.stop()
    assert proc.proc.returncode == 0, f"krd exited with {proc.proc.returncode}:\n{proc.log_tail()}"


@pytest.fixture
def kr_clean(krd: int) -> Iterator[None]:
    """A fresh session for each test: no patterns, no nodes, default transport."""
    import kr

    def reset() -> None:
        kr.hush()
        for name in kr.session.client.request("scene_list", {}):
            kr.session.client.request("scene_delete", {"name": name})
        kr.midi_follow(False)
        midi = kr.midi_maps()
        for path in {c["path"] for c in midi["controls"]} | {n["node"] for n in midi["notes"]}:
            kr.midi_unmap(path)
        for n in kr.dump()["nodes"] + midi["outs"]:
            kr.remove(n["name"])
        kr.tempo = 120
        kr.meter = 4
        kr.master = 0.8

    reset()
    yield
    reset()


@pytest.fixture
def fresh_session(jack_server: str) -> Iterator[object]:
    """A second, empty krd on its own port (no state file), with a `kr.Session` for it."""
    import kr

    s = kr.Session(port=free_port(), krd_args=["--no-state"])
    s.status()  # starts krd
    yield s
    s.close()
