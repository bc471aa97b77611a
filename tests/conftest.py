"""End-to-end fixtures: a real dummy JACK server, a real krd, the real `kr` package.

`make test` runs under scripts/with-jack.sh, which starts a private JACK server and exports its
name; run alone, these fixtures start one of their own. krd is the debug build (its audio
callback runs under the allocation guard) unless KR_KRD says otherwise."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("KR_KRD", str(ROOT / "target" / "debug" / "krd"))


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
        for n in kr.dump()["nodes"]:
            kr.remove(n["name"])
        kr.tempo = 120
        kr.master = 0.8

    reset()
    yield
    reset()
