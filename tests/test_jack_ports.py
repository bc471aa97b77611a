"""Every node is visible in the JACK patchbay, and external clients can feed and tap it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import jack
import numpy as np
import pytest
from conftest import free_port
from oscclient import Tcp, wait_until
from record import Recorder

import kr
from kr import engine, krs


def halve(inp: krs.Signal) -> krs.Signal:
    return inp * 0.5


def tone() -> krs.Signal:
    return krs.sine_osc(440.0) * 0.1


def test_jack_lsp_shows_every_nodes_ports(kr_clean: None) -> None:
    kr.node("tone", tone)
    kr.node("fx/halve", halve)
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout.split()
    client = kr.dump()["client"]
    for port in ["master/out_1", "master/out_2", "tone/out_1", "fx/halve/in_1", "fx/halve/out_1"]:
        assert f"{client}:{port}" in listed
    kr.remove("tone")
    time.sleep(0.2)
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout.split()
    assert f"{client}:tone/out_1" not in listed, "a removed node's ports go away"


def test_an_external_client_feeds_an_effects_input(kr_clean: None) -> None:
    kr.node("halve", halve)
    feeder = jack.Client("kr-test-feeder", no_start_server=True)
    out = feeder.outports.register("out")

    @feeder.set_process_callback
    def _process(frames: int) -> None:
        out.get_array()[:] = 0.25

    feeder.activate()
    try:
        feeder.connect(out, f"{kr.dump()['client']}:halve/in_1")
        rec = Recorder(["krd:halve/out_1"], 0.5, name="kr-test-tap")
        rec.start()
        rec.wait(5)
    finally:
        feeder.deactivate()
        feeder.close()
    tail = rec.data[0, rec.pos // 2 : rec.pos]
    assert np.allclose(tail, 0.125, atol=1e-6), f"expected 0.25 × 0.5, got {tail[:4]}"


PROBE = (
    'freq = hslider("freq", 0, 0, 20000, 0.001); gate = hslider("gate", 0, 0, 1, 1); '
    "process = freq * gate * 0.001;"
)


def test_onsets_land_on_their_exact_jack_frame(kr_clean: None) -> None:
    from fractions import Fraction

    kr.tempo = 137
    kr.node("probe", PROBE)
    rec = Recorder([f"{kr.dump()['client']}:probe/out_1"], 3.0, name="kr-test-exact")
    rec.start()
    kr.play("probe", kr.mini("a2 [d3 e3] <a3 c4> ~"))
    c = kr.dump()["clock"]
    rec.wait(10)
    assert rec.first_frame is not None
    x = rec.data[0, : rec.pos]
    origin, cps, rate = c["origin_frame"], c["cps"], c["sample_rate"]
    oc = Fraction(*c["origin_cycle"])

    def frame(cycle: Fraction) -> int:
        return round(origin + float(cycle - oc) / cps * rate) - rec.first_frame

    onsets = [i for i in range(1, len(x)) if x[i] != 0 and x[i - 1] == 0]
    first = int(np.ceil(float(oc) + (rec.first_frame + 0.2 * rate - origin) / rate * cps))
    steps = [Fraction(0), Fraction(1, 4), Fraction(3, 8), Fraction(1, 2)]
    expected = [frame(first + s) for s in steps] + [frame(first + 1 + s) for s in steps]
    expected = [f for f in expected if f < len(x)]
    assert len(expected) >= 4
    assert [f for f in onsets if expected[0] <= f <= expected[-1]] == expected, "0 frames of error"
    assert abs(x[expected[0]] - 0.110) < 1e-6, "A2 = 110 Hz"


def test_a_port_jack_refuses_is_reported_and_its_node_plays_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A JACK server with room for few ports: the nodes made after it is full get none.
    name = f"kr-test-ports-{os.getpid()}"
    jackd = engine.Process(
        ["jackd", "-n", name, "-p", "16", "-d", "dummy", "-r", "48000", "-p", "256"],
        tmp_path / "jackd.log",
    )
    try:
        assert wait_until(lambda: engine.jack_running(name), 10), jackd.log_tail()
        monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
        s = kr.Session(port=free_port(), krd_args=["--no-state", "--dirt-port", "0"])
        try:
            s.status()
            client = s.dump()["client"]
            rec = Recorder([f"{client}:master/out_1"], 1.0, name="kr-test-full")
            events = Tcp(s.port)
            events.ask("/kr/notify/subscribe", 60.0)
            for i in range(12):
                s.node(f"n{i}", f"process = {0.01 * (i + 1):.2f};")
            assert s.nodes() == sorted(f"n{i}" for i in range(12))
            listed = subprocess.run(
                ["jack_lsp", "-s", name], capture_output=True, text=True, check=True
            ).stdout.split()
            registered = [i for i in range(12) if f"{client}:n{i}/out_1" in listed]
            assert (
                registered and registered == list(range(len(registered))) and len(registered) < 12
            ), listed
            errors = []
            while len(errors) < 12 - len(registered):
                address, args = events.recv(10)
                if address == "/kr/notify/error":
                    errors.append(args[0])
            missing = len(registered)
            assert f"cannot register JACK port n{missing}/out_1" in errors[0], errors
            assert "plays on without that port" in errors[0], errors
            rec.start()
            rec.wait(10)
            # Every node, those without ports too, reaches master: 0.01 + 0.02 + ... + 0.12,
            # mono centre-panned (1/sqrt 2), times the master gain.
            heard = rec.data[0, rec.pos // 2 : rec.pos]
            expected = 0.78 * s.get("master") / np.sqrt(2)
            assert np.allclose(heard, expected, atol=1e-3), (heard[:4], expected)
            events.close()
            rec.client.close()
        finally:
            s.close()
    finally:
        jackd.stop()
