"""The OSC protocol against a real krd, with an independent client (python-osc) and oscsend:
every command's replies over UDP and TCP, atomic and time-tagged bundles, garbage, and
notifications."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections.abc import Iterator

import numpy as np
import pytest
from audio import rms
from oscclient import Tcp, Udp, bundle, message, wait_until
from record import Recorder

import kr

LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'
TONE = (
    'import("stdfaust.lib"); freq = hslider("freq", 220, 20, 2000, 0.01); '
    'gate = button("gate"); process = os.osc(freq) * en.ar(0.002, 0.2, gate) * 0.3;'
)


@pytest.fixture
def port(kr_clean: None) -> int:
    return int(os.environ["KR_PORT"])


@pytest.fixture(params=["udp", "tcp"])
def client(request: pytest.FixtureRequest, port: int) -> Iterator[Udp | Tcp]:
    c = Udp(port) if request.param == "udp" else Tcp(port)
    yield c
    c.close()


def dump() -> dict:  # type: ignore[type-arg]
    return kr.dump()


def test_every_command_answers_done_or_fail_with_its_address_and_id(client: Udp | Tcp) -> None:
    cases: list[tuple[str, list, str, str]] = [  # type: ignore[type-arg]
        ("/kr/ping", [], "/kr/done", "pong"),
        ("/kr/node/new", ["lvl", LEVEL], "/kr/done", "created"),
        ("/kr/node/new", ["bad", "process = nope;"], "/kr/fail", "undefined symbol : nope"),
        ("/kr/node/new", ["fx", "process = _ * 0.5;"], "/kr/done", "created"),
        ("/kr/node/new", ["master", LEVEL], "/kr/fail", "reserved"),
        ("/kr/node/new", ["n" * 250, LEVEL], "/kr/fail", "too long for its ports"),
        ("/kr/set", ["lvl/level", 0.25], "/kr/done", "0.25"),
        ("/kr/set", ["lvl/nope", 0.25], "/kr/fail", "no control 'nope'"),
        ("/kr/get", ["lvl/level"], "/kr/done", "0.25"),
        ("/kr/get", ["ghost/level"], "/kr/fail", "no node named 'ghost'"),
        ("/kr/get", ["tempo"], "/kr/done", "tempo = 120"),
        ("/kr/nodes", [], "/kr/done", "2 nodes"),
        ("/kr/node/info", ["lvl"], "/kr/done", "lvl"),
        ("/kr/node/info", ["ghost"], "/kr/fail", "no node named 'ghost'"),
        ("/kr/fade", ["lvl/level", 0.5, 1.0], "/kr/done", "over 1"),
        ("/kr/route", ["lvl", "fx", 0.5], "/kr/done", "lvl → fx"),
        ("/kr/route", ["fx", "lvl", 0.5], "/kr/fail", "no audio inputs"),
        ("/kr/unroute", ["lvl", "fx"], "/kr/done", "removed"),
        ("/kr/unroute", ["lvl", "fx"], "/kr/fail", "no route"),
        ("/kr/play", ["lvl/level", "0 0.5"], "/kr/done", "playing"),
        ("/kr/play", ["lvl", "[a b"], "/kr/fail", "column"),
        ("/kr/hush", ["lvl/level"], "/kr/done", "stopped"),
        ("/kr/hush", ["lvl/level"], "/kr/fail", "nothing is playing"),
        ("/kr/mute", ["lvl"], "/kr/done", "muted"),
        ("/kr/unmute", ["lvl"], "/kr/done", "unmuted"),
        ("/kr/solo", ["lvl"], "/kr/done", "soloed"),
        ("/kr/unsolo", ["lvl"], "/kr/done", "unsoloed"),
        ("/kr/mute", ["ghost"], "/kr/fail", "no node named 'ghost'"),
        ("/kr/tempo", [133.0], "/kr/done", "133"),
        ("/kr/tempo", [-1.0], "/kr/fail", "bpm"),
        ("/kr/meter", [3.0], "/kr/done", "3"),
        ("/kr/master", [0.7], "/kr/done", "0.7"),
        ("/kr/master", [99.0], "/kr/fail", "gain"),
        ("/kr/scene/save", ["a"], "/kr/done", "saved"),
        ("/kr/scene/list", [], "/kr/done", "1 scene"),
        ("/kr/scene/recall", ["a"], "/kr/done", "node"),
        ("/kr/scene/recall", ["zzz"], "/kr/fail", "no scene named 'zzz'"),
        ("/kr/scene/delete", ["a"], "/kr/done", "deleted"),
        ("/kr/scene/delete", ["a"], "/kr/fail", "no scene"),
        ("/kr/record/start", ["kr-test-proto.wav"], "/kr/done", "recording master"),
        ("/kr/record/stop", [], "/kr/done", "recorded"),
        ("/kr/record/stop", [], "/kr/fail", "nothing is being recorded"),
        ("/kr/notify/subscribe", [5.0], "/kr/done", "subscribed"),
        ("/kr/notify/unsubscribe", [], "/kr/done", "unsubscribed"),
        ("/kr/dump", [], "/kr/done", "state"),
        ("/kr/node/free", ["fx"], "/kr/done", "freed"),
        ("/kr/node/free", ["fx"], "/kr/fail", "no node named 'fx'"),
        ("/kr/set", ["lvl/level"], "/kr/fail", "expected"),
        ("/kr/nonsense", [], "/kr/fail", "unknown address"),
    ]
    for i, (address, args, kind, text) in enumerate(cases):
        rid = 1000 + i
        reply, rargs = client.ask(address, ("h", rid), *args)
        assert reply == kind, f"{address} {args}: {reply} {rargs}"
        assert rargs[0] == address and rargs[1] == rid, f"{address}: {rargs}"
        assert text in rargs[2], f"{address} {args}: {rargs[2]!r} lacks {text!r}"
    reply, rargs = client.ask("/kr/status")
    assert reply == "/kr/status.reply" and json.loads(rargs[0])["ok"] is True


def test_targeted_reads_answer_one_node_or_one_value(client: Udp | Tcp) -> None:
    kr.node("lvl", LEVEL)
    kr.node("fx", "process = _ * 0.5;")
    kr.session.play("lvl/level", "0 0.5")
    reply, rargs = client.ask("/kr/nodes")
    assert reply == "/kr/done" and rargs[3:] == ["lvl", "fx"], rargs
    reply, rargs = client.ask("/kr/node/info", "lvl")
    info = json.loads(rargs[3])
    assert info["name"] == "lvl" and info["outputs"] == 1 and info["patterns"] == ["lvl/level"]
    assert [c["name"] for c in info["controls"]] == ["level"]
    assert info["ports"] == [f"{dump()['client']}:lvl/out_1"]
    reply, rargs = client.ask("/kr/get", "meter")
    assert reply == "/kr/done" and rargs[3] == 4.0, rargs


def test_a_node_made_with_oscsend_plays_a_mini_notation_pattern(port: int) -> None:
    def oscsend(*args: str) -> None:
        subprocess.run(["oscsend", "localhost", str(port), *args], check=True)

    oscsend("/kr/node/new", "ss", "tone", TONE)
    assert wait_until(lambda: any(n["name"] == "tone" for n in dump()["nodes"]), 30)
    oscsend("/kr/play", "ss", "tone", "a4 e5 a4 ~")
    rec = Recorder(["krd:tone/out_1"], 2.5, name="kr-test-oscsend")
    rec.start()
    rec.wait(10)
    x = rec.data[0, : rec.pos]
    assert rms(x) > 1e-3, "the pattern is not heard"
    spectrum = np.abs(np.fft.rfft(x))
    peak = np.fft.rfftfreq(len(x), 1 / rec.rate)[int(np.argmax(spectrum))]
    assert abs(peak - 440) < 10 or abs(peak - 659.3) < 10, peak


def test_a_bundle_with_one_bad_command_changes_nothing(client: Udp | Tcp) -> None:
    kr.node("a", LEVEL)
    kr.session.set("a/level", 0.1)
    before = dump()
    client.send(
        bundle(
            [
                message("/kr/set", ("h", 1), "a/level", 0.9),
                message("/kr/node/new", ("h", 2), "b", LEVEL),
                message("/kr/route", ("h", 3), "a", "b", 1.0),  # b has no inputs: refused
                message("/kr/tempo", ("h", 4), 150.0),
            ]
        )
    )
    replies = [client.recv(30) for _ in range(4)]
    assert all(r[0] == "/kr/fail" for r in replies), replies
    assert "nothing in the bundle was applied" in replies[2][1][2]
    after = dump()
    for key in ("nodes", "routes", "patterns", "tempo", "master"):
        assert after[key] == before[key], key


def test_a_valid_bundle_lands_on_one_frame(port: int) -> None:
    kr.node("a", LEVEL)
    kr.node("b", LEVEL)
    udp = Udp(port)
    rec = Recorder(["krd:a/out_1", "krd:b/out_1"], 1.0, name="kr-test-bundle")
    rec.start()
    time.sleep(0.3)
    udp.send(bundle([message("/kr/set", "a/level", 0.5), message("/kr/set", "b/level", 0.25)]))
    rec.wait(10)
    udp.close()
    a, b = rec.data[:, : rec.pos]
    step_a, step_b = int(np.argmax(a > 0)), int(np.argmax(b > 0))
    assert step_a > 0 and a[step_a] == pytest.approx(0.5) and b[step_b] == pytest.approx(0.25)
    assert step_a == step_b, f"a changed at {step_a}, b at {step_b}"


def test_time_tagged_bundles_land_within_a_millisecond_and_late_ones_are_reported(
    port: int,
) -> None:
    import jack

    kr.node("a", LEVEL)
    udp = Udp(port)
    rec = Recorder(["krd:a/out_1"], 4.0, name="kr-test-timetag")
    rec.start()
    # The recorder's clock: JACK frame ↔ wall time, sampled a few times for a robust offset.
    clock = rec.client
    pairs = []
    for _ in range(20):
        t0 = time.time()
        f = clock.frame_time
        t1 = time.time()
        pairs.append(f - (t0 + t1) / 2 * rec.rate)
        time.sleep(0.01)
    offset = float(np.median(pairs))
    start = time.time() + 0.5
    tags = [start + 0.25 * k for k in range(10)]
    for k, tag in enumerate(tags):
        udp.send(bundle([message("/kr/set", "a/level", 0.1 * (k + 1))], when=tag))
    replies = [udp.recv(10) for _ in tags]
    assert all(r[0] == "/kr/done" for r in replies), replies
    rec.wait(10)
    assert rec.first_frame is not None
    x = rec.data[0, : rec.pos]
    errors_ms = []
    for k, tag in enumerate(tags):
        expected = tag * rec.rate + offset - rec.first_frame
        level = np.float32(0.1 * (k + 1))
        hits = np.flatnonzero(np.isclose(x, level, atol=1e-6))
        assert len(hits), f"level {level} never heard"
        errors_ms.append((hits[0] - expected) / rec.rate * 1000)
    assert max(abs(e) for e in errors_ms) <= 1.0, f"errors (ms): {errors_ms}"
    # A bundle tagged in the past runs at once and its sender is told how late it was.
    udp.send(bundle([message("/kr/set", ("h", 9), "a/level", 0.0)], when=time.time() - 0.5))
    got = [udp.recv(5) for _ in range(2)]
    late = [r for r in got if r[0] == "/kr/late"]
    assert late and late[0][1][2] >= 0.4, got
    assert any(r[0] == "/kr/done" for r in got)
    del jack
    udp.close()


def test_garbage_leaves_krd_up_unchanged_and_playing(port: int) -> None:
    kr.node("tone", TONE)
    kr.play("tone", kr.mini("a4*4"))
    before = dump()
    rnd = random.Random(7)
    udp = Udp(port)
    addresses = [
        "/kr/set",
        "/kr/node/new",
        "/kr/play",
        "/kr/route",
        "/kr/node/free",
        "/kr/zzz",
        "#bundle",
        "/",
    ]
    for i in range(3000):
        kind = i % 4
        if kind == 0:
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 200)))
        elif kind == 1:
            m = message(
                rnd.choice(addresses),
                *[rnd.choice([1, 2.5, "x", b"\x00\x01", True]) for _ in range(rnd.randint(0, 4))],
            )
            data = m.build().dgram
            data = data[: rnd.randint(0, len(data))]
        elif kind == 2:
            data = b"#bundle\x00" + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 64)))
        else:
            data = message("/kr/set", "ghost/x", float("nan")).build().dgram
        udp.send(data)
    udp.drain()
    status = kr.status()
    assert status["ok"] is True
    after = dump()
    for key in ("nodes", "routes", "patterns", "tempo", "master"):
        assert after[key] == before[key], key
    rec = Recorder(["krd:tone/out_1"], 1.0, name="kr-test-garbage")
    rec.start()
    rec.wait(10)
    assert rms(rec.data[0, : rec.pos]) > 1e-3, "krd stopped playing"
    udp.close()


def test_an_oversized_tcp_frame_closes_only_that_connection(port: int) -> None:
    bad = Tcp(port)
    bad.sock.sendall((0x7FFFFFFF).to_bytes(4, "big"))
    reply = bad.recv(5)
    assert reply[0] == "/kr/fail" and "limit" in reply[1][2]
    with pytest.raises((ConnectionError, OSError)):
        bad.recv(2)
    good = Tcp(port)
    assert good.ask("/kr/ping")[0] == "/kr/done"
    good.close()


def test_subscribers_hear_of_other_clients_changes(port: int) -> None:
    watcher = Udp(port)
    assert watcher.ask("/kr/notify/subscribe", 30.0)[0] == "/kr/done"
    kr.node("n", LEVEL)
    kr.session.set("n/level", 0.5)
    seen = [watcher.recv(10) for _ in range(2)]
    assert [s[0] for s in seen] == ["/kr/notify/state"] * 2
    assert seen[0][1][1] == "/kr/node/new" and seen[1][1][1] == "/kr/set"
    assert seen[1][1][0] == seen[0][1][0] + 1, "sequence numbers count changes"
    assert watcher.ask("/kr/notify/unsubscribe")[0] == "/kr/done"
    kr.session.set("n/level", 0.25)
    watcher.drain()
    with pytest.raises(TimeoutError):
        watcher.recv(0.5)
    watcher.close()


def test_node_meta_is_kept_and_dumped(port: int) -> None:
    udp = Udp(port)
    reply = udp.ask("/kr/node/new", "m", LEVEL, 1, 1.0, "def m(): ...")
    assert reply[0] == "/kr/done", reply
    assert [n["meta"] for n in dump()["nodes"] if n["name"] == "m"] == ["def m(): ..."]
    assert udp.ask("/kr/node/new", "m", LEVEL)[0] == "/kr/done"
    assert [n["meta"] for n in dump()["nodes"] if n["name"] == "m"] == [""], (
        "a redefinition replaces it"
    )
    udp.close()


def test_a_failed_bundle_that_frees_a_node_brings_it_back_with_its_ports(client: Udp | Tcp) -> None:
    kr.node("a", LEVEL)
    kr.session.set("a/level", 0.3)
    kr.session.play("a/level", "0.1 0.2")
    port = f"{dump()['client']}:a/out_1"
    before = dump()
    client.send(
        bundle(
            [
                message("/kr/node/free", ("h", 1), "a"),
                message("/kr/route", ("h", 2), "a", "ghost", 1.0),  # fails: nothing is freed
            ]
        )
    )
    replies = [client.recv(30) for _ in range(2)]
    assert all(r[0] == "/kr/fail" for r in replies), replies
    after = dump()
    for key in ("nodes", "routes", "patterns"):
        assert after[key] == before[key], key
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout
    assert port in listed.splitlines(), f"{port} is not a JACK port any more"
    # Freeing a node and making it again in one bundle keeps its ports too.
    free = message("/kr/node/free", ("h", 3), "a")
    client.send(bundle([free, message("/kr/node/new", ("h", 4), "a", LEVEL)]))
    replies = [client.recv(30) for _ in range(2)]
    assert [r[0] for r in replies] == ["/kr/done", "/kr/done"], replies
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout
    assert port in listed.splitlines()
