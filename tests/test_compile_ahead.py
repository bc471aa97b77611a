"""Compiling ahead of need: `/kr/compile` fills krd's compile cache without making a node, and a
`@kr.dsp` defined while connected is compiled at once in the background, so its first node takes
the cache. Against a real krd and the real libfaust; what came from where is read from the
`compiles` counters of `/kr/status`."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from audio import rms
from oscclient import Tcp, bundle, message, wait_until
from record import Recorder

import kr
from kr import krs


@pytest.fixture
def tcp(kr_clean: None) -> Iterator[Tcp]:
    c = Tcp(int(os.environ["KR_PORT"]))
    yield c
    c.close()


def new_tone() -> str:
    """A tone program krd has not seen in this run (its frequency is new)."""
    freq = 200 + random.random() * 100
    return (
        'import("stdfaust.lib"); gain = hslider("level", 0.2, 0, 1, 0.01); '
        f"process = os.osc({freq:.6f}) * gain;"
    )


def session() -> dict[str, Any]:
    """The session as krd dumps it, without its clock (which moves on by itself)."""
    return {k: v for k, v in kr.dump().items() if k != "clock"}


def counts() -> dict[str, int]:
    compiles: dict[str, int] = kr.status()["compiles"]
    return compiles


def counted(**expected: int) -> dict[str, int]:
    """The counters once no compile is pending (earlier tests' definitions compile in the
    background) and they show `expected` (krd posts the status it answers with every few ms),
    else what they show then."""
    expected["pending"] = 0
    wait_until(lambda: all(counts()[k] == v for k, v in expected.items()), 30)
    return counts()


def test_a_compile_makes_no_node_and_the_next_node_of_that_source_is_not_compiled_again(
    tcp: Tcp,
) -> None:
    source = new_tone()
    before = counted()
    reply, args = tcp.ask("/kr/compile", ("h", 7), "tone", source)
    assert reply == "/kr/done", args
    assert args[:2] == ["/kr/compile", 7]
    assert args[2] == "'tone' compiled (0 in, 1 out, 1 controls)"
    assert kr.nodes() == [], "a compile makes no node"
    after = counted(compiled=before["compiled"] + 1)
    assert after["compiled"] == before["compiled"] + 1, (before, after)

    reply, args = tcp.ask("/kr/compile", "again", source)
    assert reply == "/kr/done" and args[2] == "'again' loaded already (0 in, 1 out, 1 controls)"

    reply, args = tcp.ask("/kr/node/new", "tone", source)
    assert reply == "/kr/done" and "created" in args[2], args
    now = counted(memory=after["memory"] + 2)
    assert now["compiled"] == after["compiled"], "the node's program was compiled again"
    assert now["memory"] == after["memory"] + 2, (after, now)
    rec = Recorder([f"{kr.dump()['client']}:tone/out_1"], 0.5, name="kr-test-compile-ahead")
    rec.start()
    rec.wait(10)
    assert rms(rec.data[0, : rec.pos]) > 0.05, "the node made from the compiled program is silent"


def test_a_faust_error_is_answered_with_the_compilers_message_and_changes_nothing(
    tcp: Tcp,
) -> None:
    kr.node("keep", new_tone())
    before_state = session()
    before = counted()
    reply, args = tcp.ask("/kr/compile", ("h", 9), "broken", "process = nope;")
    assert reply == "/kr/fail" and args[:2] == ["/kr/compile", 9], args
    assert "FAUST error in 'broken'" in args[2] and "undefined symbol : nope" in args[2], args
    assert counted(failed=before["failed"] + 1)["failed"] == before["failed"] + 1
    assert session() == before_state

    reply, args = tcp.ask("/kr/compile", "file", "faust:no/such/program")
    assert reply == "/kr/fail" and "faust:no/such/program" in args[2], args
    assert session() == before_state


def test_a_compile_in_a_bundle_is_refused_and_nothing_of_the_bundle_is_applied(tcp: Tcp) -> None:
    kr.node("keep", new_tone())
    before_state = session()
    tcp.send(
        bundle(
            [
                message("/kr/set", ("h", 1), "keep/level", 0.7),
                message("/kr/compile", ("h", 2), "x", new_tone()),
            ]
        )
    )
    replies = [tcp.recv(30) for _ in range(2)]
    by_id = {args[1]: (reply, args[2]) for reply, args in replies}
    assert by_id[1][0] == "/kr/fail" and by_id[2][0] == "/kr/fail", replies
    assert "cannot be part of a bundle" in by_id[2][1], replies
    assert session() == before_state


def defined_counts_after(define: Any) -> tuple[dict[str, int], dict[str, int], kr.Dsp]:
    """The counters before and once a definition's background compile is counted."""
    before = counted()
    d = define()
    return before, counted(compiled=before["compiled"] + 1), d


def test_a_dsp_defined_while_connected_is_compiled_before_its_first_node(
    kr_clean: None,
) -> None:
    freq = 300 + random.random() * 100

    def define() -> kr.Dsp:
        @kr.dsp
        def pluck() -> krs.Signal:
            return krs.sine_osc(krs.control("freq", freq, 20, 2000)) * 0.2

        return pluck

    before, after, pluck = defined_counts_after(define)
    assert after["compiled"] == before["compiled"] + 1, "the definition was not compiled"
    assert kr.nodes() == [], "a definition makes no node"
    node = kr.node("pluck", pluck)
    now = counted(memory=after["memory"] + 1)
    assert now["compiled"] == after["compiled"], "kr.node compiled the definition again"
    assert now["memory"] == after["memory"] + 1, (after, now)
    assert "freq" in node.controls()


def test_an_effect_defined_while_connected_is_compiled_too(kr_clean: None) -> None:
    amount = 0.1 + random.random() * 0.5

    def define() -> kr.Dsp:
        @kr.dsp
        def soften(x: krs.Signal) -> krs.Signal:
            return krs.lowpass(x, 800) * amount

        return soften

    before, after, soften = defined_counts_after(define)
    assert after["compiled"] == before["compiled"] + 1, "the definition was not compiled"
    kr.node("soften", soften)
    assert counted(memory=after["memory"] + 1)["compiled"] == after["compiled"]


def test_a_definition_that_cannot_be_traced_yet_is_not_an_error(kr_clean: None) -> None:
    before = counted()
    settings: dict[str, float] = {}

    @kr.dsp
    def later() -> krs.Signal:
        return krs.saw(settings["freq"]) * 0.1  # set below: tracing fails at definition

    # A request on the same connection is applied after anything the definition sent.
    assert kr.nodes() == []
    after = counted()
    assert (after["compiled"], after["failed"]) == (before["compiled"], before["failed"])
    settings["freq"] = 123.0 + random.random()
    kr.node("later", later)
    assert kr.nodes() == ["later"]


def test_defining_a_dsp_without_krd_is_silent_and_starts_nothing(jack_server: str) -> None:
    # A fresh interpreter whose kr session never connected: nothing is sent, nothing started.
    program = (
        "import kr\n"
        "from kr import krs\n"
        "@kr.dsp\n"
        "def tone() -> krs.Signal:\n"
        "    return krs.sine_osc(220) * 0.1\n"
        "assert kr.session.origin is None and not kr.session.started_engine\n"
        "print(tone.faust.count('process'))\n"
    )
    from conftest import free_port

    env = {**os.environ, "KR_PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr
    assert done.stderr == "", done.stderr

    # A session whose krd went away: defining is silent, and the session says so when used.
    s = kr.Session(port=free_port(), krd_args=["--no-state"])
    try:
        s.status()
        assert s.started_engine
        s._krd.stop()  # type: ignore[union-attr]

        @kr.dsp
        def orphan() -> krs.Signal:
            return krs.sine_osc(330) * 0.1

        assert orphan.inputs == 0
        with pytest.raises(kr.EngineUnavailable):
            s.nodes()
    finally:
        s.close()


def test_a_flood_of_compiles_is_refused_beyond_the_limit_and_krd_answers_on(tcp: Tcp) -> None:
    counted()  # nothing pending from earlier tests
    sent = 80
    for i in range(sent):
        tcp.send(message("/kr/compile", ("h", i), f"flood{i}", new_tone()).build().dgram)
    replies = {}
    while len(replies) < sent:
        reply, args = tcp.recv(120)
        if reply in ("/kr/done", "/kr/fail") and args[0] == "/kr/compile":
            replies[args[1]] = (reply, args[2])
    refused = [m for r, m in replies.values() if r == "/kr/fail"]
    done = sum(r == "/kr/done" for r, _ in replies.values())
    # The first 64 are taken; of the rest, those sent while 64 were pending are refused.
    assert done >= 64 and refused, (done, refused)
    assert all("the limit is 64" in m for m in refused), refused
    assert kr.nodes() == []
