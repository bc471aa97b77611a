"""Library patterns reach a real krd: the engine accepts their IR (the generic `lib` node),
keeps it as sent, and refuses a library operator it does not know, naming it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

import kr
from kr import krs
from kr.errors import RequestError


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tone() -> krs.Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    return krs.sine_osc(krs.control("freq", 440.0, 20.0, 2000.0)) * gate * 0.2


@pytest.fixture(scope="module")
def session() -> Iterator[kr.Session]:
    s = kr.Session(port=_free_port(), krd_args=["--no-state"])
    yield s
    s.close()


PATTERNS = {
    "scale": lambda: kr.n("0 2 4 <6 7>").scale("C:major"),
    "voicing": lambda: kr.chord("<C Am F G>").voicing(),
    "jux_chop": lambda: kr.note("c3 e3").chop(2).jux(kr.rev),
    "arp_chunk": lambda: kr.note("[c3,e3,g3]").arp("0 1 2").chunk(4, lambda p: p.fast(2)),
    "squeeze": lambda: kr.note("c3 e3").add_squeeze("0 12"),
    "random": lambda: kr.note("c3*8").often(lambda p: p.add(12)).shuffle(4),
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_the_engine_plays_library_patterns_as_sent(session: kr.Session, name: str) -> None:
    pattern = PATTERNS[name]()
    session.node("t", tone)
    session.play("t", pattern)
    played = [p for p in session.dump()["patterns"] if p["target"] == "t"]
    assert len(played) == 1
    assert played[0]["pattern"] == json.loads(pattern.to_ir())


def test_the_engine_refuses_an_unknown_library_operator(session: kr.Session) -> None:
    session.node("t", tone)
    bad = {"op": "lib", "name": "chunkk", "args": [{"op": "mini", "src": "a"}]}
    with pytest.raises(RequestError, match="chunkk"):
        session.client.request("play", {"target": "t", "pattern": bad, "from_zero": False})
