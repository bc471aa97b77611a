"""krd as SuperDirt: `/dirt/play` from any OSC sender (here python-osc, as Strudel and Tidal send
it), sample banks made by the test, onsets measured on a JACK recording of the orbit's port."""

from __future__ import annotations

import os
import socket
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio import fundamental, partial_centre, rms
from conftest import free_port
from oscclient import bundle, message, parse, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from record import Recorder  # noqa: E402

import kr  # noqa: E402

RATE = 48000
PROBE = (
    'import("stdfaust.lib"); freq = hslider("freq", 0, 0, 20000, 0.001); '
    'gate = hslider("gate", 0, 0, 1, 1); cutoff = hslider("cutoff", 0, 0, 20000, 1); '
    "process = freq * gate * 0.001 + cutoff * gate * 0.000001;"
)


def write_wav(path: Path, x: np.ndarray, rate: int = RATE) -> None:
    """16-bit PCM WAV; `x` is (frames,) or (frames, channels) in -1..1."""
    x = x.reshape(len(x), -1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    click = np.zeros(2400)
    click[0] = 1.0
    (root / "click").mkdir()
    write_wav(root / "click" / "a.wav", click)
    # Three files whose names sort as SuperDirt sorts them (by bytes: upper case first).
    (root / "steps").mkdir()
    for name, level in [("b.wav", 0.5), ("A.wav", 0.25), ("c.wav", 0.75)]:
        write_wav(root / "steps" / name, np.full(4800, level))
    (root / "steps" / "notes.txt").write_text("not audio: it does not shift n")
    (root / "ramp").mkdir()
    write_wav(root / "ramp" / "r.wav", np.linspace(0, 0.9, RATE // 10))
    # 441 Hz recorded at 44.1 kHz must still be 441 Hz at 48 kHz.
    (root / "tone").mkdir()
    t = np.arange(44100) / 44100
    write_wav(root / "tone" / "t.wav", 0.5 * np.sin(2 * np.pi * 441 * t), rate=44100)
    (root / "stereo").mkdir()
    write_wav(
        root / "stereo" / "s.wav", np.stack([np.full(4800, 0.5), np.full(4800, -0.25)], axis=1)
    )
    (root / "broken").mkdir()
    (root / "broken" / "x.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (root / "textonly").mkdir()
    (root / "textonly" / "readme.wav.txt").write_text("no audio here")
    return root


@pytest.fixture(scope="module")
def dirt(banks: Path, jack_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    engine = Dirt.start(banks, tmp_path_factory.mktemp("cfg"))
    yield engine
    engine.close()


class Dirt:
    """A krd session and the port its SuperDirt endpoint listens on."""

    def __init__(self, session: Any, port: int) -> None:
        self.session, self.dirt_port = session, port

    @staticmethod
    def start(samples: Path, folder: Path) -> Dirt:
        """A krd of its own (no state), its banks in `samples`, its SuperDirt on a free port;
        its configuration is written in `folder`."""
        cfg = folder / "krd.yaml"
        cfg.write_text(f"dirt:\n  sample_paths: [{samples}]\n")
        args = ["--no-state", "--config", str(cfg), "--dirt-port", str(free_port())]
        s = kr.Session(port=free_port(), krd_args=args)
        return Dirt(s, int(s.status()["dirt"]["listening"].rsplit(":", 1)[1]))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def dirt_socket(s: Any) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.connect(("127.0.0.1", s.dirt_port))
    return sock


def play(when: float | None = None, **params: Any) -> bytes:
    """A `/dirt/play` bundle as Tidal sends it: sorted keys, floats, `orbit` and `cut` ints."""
    args: list[Any] = []
    for k in sorted(params):
        v = params[k]
        args += [
            k,
            ("i", v)
            if k in ("orbit", "cut")
            else (("f", float(v)) if not isinstance(v, str) else v),
        ]
    return bundle([message("/dirt/play", *args)], when)


def wait_status(s: Any, pred: Any, timeout: float = 5.0) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def check() -> bool:
        nonlocal last
        last = s.status()["dirt"]
        return bool(pred(last))

    assert wait_until(check, timeout), last
    return last


def record_after(
    s: Any, ports: list[str], seconds: float, send: Any, name: str
) -> tuple[np.ndarray, Recorder]:
    rec = Recorder(ports, seconds, name=name)
    rec.start()
    time.sleep(0.1)
    send()
    rec.wait(seconds + 5)
    return rec.data[:, : rec.pos], rec


def warm_orbit(s: Any, sock: socket.socket, sound: str = "click", orbit: int = 0) -> None:
    """Make orbit N (and load `sound`) before a recorder connects to its port."""
    before = s.status()["dirt"]["counters"]["played"]
    sock.send(play(s=sound, orbit=orbit, gain=0.0))
    wait_status(s, lambda d: d["counters"]["played"] > before, 10)
    assert f"orbit{orbit}" in s.nodes()


def test_handshake_and_hello_are_answered_to_the_sender(dirt: Any) -> None:
    sock = dirt_socket(dirt)
    sock.settimeout(5)
    sock.send(message("/dirt/handshake").build().dgram)
    address, args = parse(sock.recv(65536))[0]
    assert address == "/dirt/handshake/reply"
    i = args.index("&controlBusIndices")
    buses = [a for a in args[i + 1 :] if isinstance(a, int)]
    assert len(buses) >= 1, "Tidal keeps handshaking without a non-empty bus list"
    sock.send(message("/dirt/hello").build().dgram)
    assert parse(sock.recv(65536))[0] == ("/dirt/hello/reply", [])
    # /dirt/play gets no reply, as in SuperDirt.
    sock.send(play(s="click", gain=0.0))
    sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        sock.recv(65536)


def test_time_tags_are_the_frames_samples_are_heard_at(dirt: Any) -> None:
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock)
    client = dirt.dump()["client"]
    rec = Recorder([f"{client}:orbit0/out_1"], 3.0, name="kr-test-dirt-onsets")
    rec.start()
    time.sleep(0.2)
    # Wall clock ↔ JACK frames, as the recorder's client sees them.
    t0, f0 = time.time(), rec.client.frame_time
    tags = [t0 + 0.4 + 0.1234 * k for k in range(6)]
    for t in tags:
        sock.send(play(when=t, s="click"))
    rec.wait(8)
    assert rec.first_frame is not None
    x = rec.data[0, : rec.pos]
    onsets = [i for i in range(1, len(x)) if abs(x[i]) > 0.05 and abs(x[i - 1]) < 0.05]
    expected = [round(f0 + (t - t0) * rec.rate) - rec.first_frame for t in tags]
    assert len(onsets) == len(tags), (onsets, expected)
    errors = [o - e for o, e in zip(onsets, expected, strict=True)]
    print(f"onset errors (frames): {errors}")
    assert max(abs(e) for e in errors) <= rec.rate // 1000, f"onset errors (frames): {errors}"
    # The spacing between onsets is exact (the clock mapping cancels out).
    spacing = np.diff(onsets)
    assert all(abs(d - round(0.1234 * rec.rate)) <= 1 for d in spacing), spacing
    # Level: amp 0.4 at gain 1, centre pan (equal power) on the left channel.
    assert abs(x[onsets[0]] - 0.4 * np.sqrt(0.5)) < 0.01


def level_of(engine: Any, sock: socket.socket, port: str, name: str, **params: Any) -> np.ndarray:
    data, _ = record_after(engine, [port], 1.2, lambda: sock.send(play(**params)), name)
    return data[0]


def test_n_picks_files_sorted_by_bytes_and_wraps(dirt: Any) -> None:
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "steps")
    port = f"{dirt.dump()['client']}:orbit0/out_1"
    levels = []
    for n in [0, 1, 2, 3, -1, 4.9]:
        x = level_of(dirt, sock, port, f"kr-test-n{len(levels)}", s="steps", n=n, pan=0.0)
        held = x[np.abs(x) > 0.01]
        levels.append(round(float(np.median(held)) / 0.4, 2) if len(held) else 0.0)
    # A.wav (0.25), b.wav (0.5), c.wav (0.75); n wraps, truncates, negatives wrap too.
    assert levels == [0.25, 0.5, 0.75, 0.25, 0.75, 0.5], levels


def test_speed_begin_end_and_pitch(dirt: Any) -> None:
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "ramp")
    warm_orbit(dirt, sock, "tone")
    port = f"{dirt.dump()['client']}:orbit0/out_1"
    fwd = level_of(dirt, sock, port, "kr-test-fwd", s="ramp", pan=0.0)
    rev = level_of(dirt, sock, port, "kr-test-rev", s="ramp", pan=0.0, speed=-1)
    f, r = fwd[np.abs(fwd) > 1e-4], rev[np.abs(rev) > 1e-4]
    assert abs(len(f) - len(r)) <= 100 and abs(len(f) - RATE // 10) <= 100
    assert np.all(np.diff(f[100:-100]) > 0) and np.all(np.diff(r[100:-100]) < 0), (
        "negative speed plays it backwards"
    )
    # begin/end cut the portion: 0.5..0.75 of a 0.1 s ramp is 25 ms, starting at 0.45·0.4.
    part = level_of(dirt, sock, port, "kr-test-part", s="ramp", pan=0.0, begin=0.5, end=0.75)
    p = part[np.abs(part) > 1e-4]
    assert abs(len(p) - RATE // 40) <= 60, len(p)
    assert abs(p[len(p) // 2] / 0.4 - 0.9 * 0.625) < 0.02
    # A 44.1 kHz file keeps its pitch at 48 kHz; speed 2 doubles it; note 12 does too.
    for params, hz in [({}, 441.0), ({"speed": 2}, 882.0), ({"note": 12}, 882.0)]:
        x = level_of(dirt, sock, port, f"kr-test-tone{hz}", s="tone", **params)
        sounding = np.flatnonzero(np.abs(x) > 1e-3)
        held = x[sounding[0] + 1000 : sounding[-1] - 1000]
        assert len(held) > RATE // 4
        assert abs(fundamental(held, RATE, 100, 2000) - hz) < 1, params


def test_cut_groups_and_pan_laws(dirt: Any) -> None:
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "steps")
    warm_orbit(dirt, sock, "stereo")
    client = dirt.dump()["client"]
    ports = [f"{client}:orbit0/out_1", f"{client}:orbit0/out_2"]

    def two(**params: Any) -> np.ndarray:
        def send() -> None:
            now = time.time()
            sock.send(play(when=now + 0.2, s="steps", n=0, pan=0.0, **params))
            sock.send(play(when=now + 0.25, s="steps", n=1, pan=0.0, **params))

        data, _ = record_after(dirt, ports, 0.8, send, "kr-test-cut")
        assert dirt.status()["dirt"]["counters"]["late"] == late_before, "sent in time"
        return data[0]

    late_before = dirt.status()["dirt"]["counters"]["late"]

    plain, cut = two(), two(cut=1)
    # Without a cut group the two overlap (0.25 + 0.5) for 50 ms; with one, the second stops the
    # first within its 1 ms fade.
    overlap = 0.4 * 0.625
    assert np.count_nonzero(plain > overlap) > 0.045 * RATE
    assert 0 < np.count_nonzero(cut > overlap) <= 0.0011 * RATE
    assert abs(np.median(cut[cut > 0.01]) / 0.4 - 0.5) < 0.01
    # Mono: equal-power pan. Stereo: balance (each side keeps its own channel).
    for pan, (l_want, r_want) in [
        (0.5, (np.sqrt(0.5), np.sqrt(0.5))),
        (0.0, (1.0, 0.0)),
        (1.0, (0.0, 1.0)),
    ]:
        data, _ = record_after(
            dirt, ports, 0.5, lambda p=pan: sock.send(play(s="steps", n=0, pan=p)), "kr-t-pan"
        )
        left, right = (float(np.abs(c).max()) / (0.4 * 0.25) for c in data)
        assert abs(left - l_want) < 0.02 and abs(right - r_want) < 0.02, (pan, left, right)
    data, _ = record_after(dirt, ports, 0.5, lambda: sock.send(play(s="stereo")), "kr-t-st")
    left, right = (float(c[np.argmax(np.abs(c))]) / 0.4 for c in data)
    assert abs(left - 0.5) < 0.02 and abs(right + 0.25) < 0.02, (left, right)


def test_s_naming_a_node_plays_notes_with_superdirts_pitch_and_controls(dirt: Any) -> None:
    dirt.node("probe", PROBE)
    sock = dirt_socket(dirt)
    port = f"{dirt.dump()['client']}:probe/out_1"
    values = []
    for note in [0, 4, 7]:
        data, _ = record_after(
            dirt,
            [port],
            0.5,
            lambda n=note: sock.send(play(s="probe", note=n, delta=0.2)),
            f"kr-t-note{note}",
        )
        held = data[0][data[0] > 0]
        values.append(round(float(np.median(held)) * 1000, 1))
    assert values == [261.6, 329.6, 392.0], values
    data, _ = record_after(
        dirt,
        [port],
        0.5,
        lambda: sock.send(play(s="probe", n=0, cutoff=1200, delta=0.2)),
        "kr-t-cutoff",
    )
    held = data[0][data[0] > 0]
    assert abs(float(np.median(held)) - (0.2616 + 0.0012)) < 2e-4, (
        "cutoff reached the node's control"
    )
    dirt.remove("probe")


def test_bad_input_is_counted_reported_and_changes_nothing(dirt: Any, banks: Path) -> None:
    sock = dirt_socket(dirt)
    dirt.node("hum", 'import("stdfaust.lib"); process = os.osc(220) * 0.1;')
    before = dirt.status()["dirt"]["counters"]
    rng = np.random.default_rng(7)
    bad: list[bytes] = []
    for i in range(3000):
        kind = i % 6
        if kind == 0:
            bad.append(rng.bytes(int(rng.integers(1, 200))))
        elif kind == 1:
            bad.append(message("/dirt/play", "s").build().dgram)
        elif kind == 2:
            bad.append(message("/dirt/play", 3, "bd").build().dgram)
        elif kind == 3:
            bad.append(message("/dirt/play", "n", 1.0).build().dgram)
        elif kind == 4:
            bad.append(play(s="nosuchbank"))
        else:
            bad.append(play(s="broken"))
    for i, b in enumerate(bad):
        sock.send(b)
        if i % 50 == 49:
            time.sleep(0.003)  # paced, so the kernel's socket buffer drops none
    status = wait_status(
        dirt,
        lambda d: (
            d["counters"]["failed"] - before["failed"] + d["dropped"] >= 2500
            and d["counters"]["unknown"] - before["unknown"] >= 500
        ),
        timeout=20,
    )
    # 2500 events, plus the broken file's own report when its load failed.
    assert status["counters"]["failed"] - before["failed"] + status["dropped"] == 2501, status
    assert status["counters"]["played"] == before["played"]
    assert "hum" in dirt.nodes() and dirt.status()["ok"]
    data, _ = record_after(
        dirt, [f"{dirt.dump()['client']}:hum/out_1"], 0.5, lambda: None, "kr-t-hum"
    )
    assert rms(data[0]) > 0.05, "the sound goes on"
    dirt.remove("hum")


def test_a_file_too_large_is_refused_without_reading_it(dirt: Any, banks: Path) -> None:
    big = banks / "huge"
    big.mkdir(exist_ok=True)
    with open(big / "h.wav", "wb") as f:
        f.truncate(2 << 30)  # 2 GB of nothing (sparse)
    sock = dirt_socket(dirt)
    before = dirt.status()["dirt"]["counters"]["failed"]
    t = time.monotonic()
    sock.send(play(s="huge"))
    wait_status(dirt, lambda d: d["counters"]["failed"] > before, 10)
    assert time.monotonic() - t < 5
    assert dirt.status()["dirt"]["samples_mb"] < 100
    os.remove(big / "h.wav")


def test_kr_patterns_with_s_play_samples_on_an_orbit(dirt: Any) -> None:
    banks = {b["name"]: b for b in dirt.samples()}
    assert banks["steps"]["files"] == 3 and "textonly" not in banks
    dirt.load_samples("ramp")
    assert wait_until(lambda: {b["name"]: b for b in dirt.samples()}["ramp"]["loaded"] == 1)
    with pytest.raises(kr.RequestError, match="no sample bank named 'nope'"):
        dirt.load_samples("nope")
    dirt.tempo = 120  # 0.5 cycles per second: a cycle is 2 s
    client = dirt.dump()["client"]
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "click", orbit=2)
    rec = Recorder([f"{client}:orbit2/out_1"], 2.5, name="kr-test-orbit-pattern")
    rec.start()
    dirt.play("orbit2", kr.s("click*4").pan(0.0) if hasattr(kr.Pattern, "pan") else kr.s("click*4"))
    rec.wait(8)
    dirt.hush("orbit2")
    x = rec.data[0, : rec.pos]
    onsets = [i for i in range(1, len(x)) if abs(x[i]) > 0.05 and abs(x[i - 1]) < 0.05]
    assert len(onsets) >= 3, onsets
    # Four clicks a cycle: 0.5 s apart, to the frame.
    assert all(d == RATE // 2 for d in np.diff(onsets)), np.diff(onsets)


def test_the_bundled_banks_load_and_sound(jack_server: str, tmp_path: Path) -> None:
    """`make samples` builds banks from Debian's sonic-pi-samples and hydrogen-data: every file
    decodes (FLAC, 16 and 24 bit, mono and stereo) and `s "bd sn hh cp"` is heard."""
    import subprocess

    root = tmp_path / "bundled"
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_samples.sh"
    subprocess.run([str(script), str(root)], check=True, capture_output=True)
    assert (root / "LICENSES").read_text().count("CC0") > 50
    engine = Dirt.start(root, tmp_path)
    try:
        banks = {b["name"]: b for b in engine.samples()}
        for name in [
            "bd",
            "sn",
            "sd",
            "hh",
            "oh",
            "cp",
            "cb",
            "lt",
            "mt",
            "ht",
            "rim",
            "perc",
            "bass",
            "arpy",
        ]:
            assert name in banks, name
        for name in banks:
            engine.load_samples(name)

        def all_loaded() -> bool:
            return all(b["loaded"] == b["files"] for b in engine.samples())

        assert wait_until(all_loaded, 60), [
            b for b in engine.samples() if b["loaded"] != b["files"]
        ]
        assert engine.status()["dirt"]["counters"]["failed"] == 0
        sock = dirt_socket(engine)
        warm_orbit(engine, sock, "bd")
        port = f"{engine.dump()['client']}:orbit0/out_1"
        for name in ["bd", "sn", "hh", "cp"]:
            data, _ = record_after(
                engine, [port], 0.6, lambda n=name: sock.send(play(s=n)), f"kr-t-{name}"
            )
            assert rms(data[0]) > 1e-3, f"{name} is silent"
    finally:
        engine.close()


SYNTHS = [
    "superpiano",
    "supersaw",
    "supersquare",
    "superpwm",
    "superfm",
    "superhammond",
    "supergong",
    "supermandolin",
]


def test_dirt_synths_play_when_s_names_one(dirt: Any) -> None:
    """SuperDirt's synth names, made as 8-voice nodes on first use: in tune and not silent."""
    sock = dirt_socket(dirt)
    client = dirt.dump()["client"]
    for name in SYNTHS:
        sock.send(play(s=name, note=0, delta=0.1, gain=0))
        assert wait_until(lambda n=name: n in dirt.nodes(), 10), name
        info = dirt.node_info(name)
        assert info["count"] == 8 and info["source"] == f"faust:dirt/{name}"
        data, _ = record_after(
            dirt,
            [f"{client}:{name}/out_1"],
            1.0,
            lambda n=name: sock.send(play(s=n, note=0, delta=0.6)),
            f"kr-t-{name}",
        )
        x = data[0]
        assert rms(x) > 1e-3, f"{name} is silent"
        sounding = x[np.flatnonzero(np.abs(x) > 1e-4)[0] :][: RATE // 2]
        peak = fundamental(sounding, RATE, 200, 320)
        assert abs(partial_centre(sounding, RATE, peak - 15, peak + 15) - 261.63) < 2, name
    for name in SYNTHS:
        dirt.remove(name)


def test_strudels_osc_output_works_the_same(dirt: Any) -> None:
    """Strudel sends every number as float32, note names as `midinote` (the name itself as
    `note`), no `orbit`, no `_id_`, no handshake, and keys in its own order."""
    dirt.node("probe", PROBE)
    sock = dirt_socket(dirt)
    port = f"{dirt.dump()['client']}:probe/out_1"

    def strudel(when: float, **params: Any) -> bytes:
        args: list[Any] = []
        for k, v in params.items():
            args += [k, v if isinstance(v, str) else ("f", float(v))]
        return bundle([message("/dirt/play", *args)], when)

    send = lambda: sock.send(  # noqa: E731
        strudel(
            time.time() + 0.1, cps=0.5, cycle=4.0, delta=0.5, s="probe", note="e4", midinote=64.0
        )
    )
    data, _ = record_after(dirt, [port], 1.0, send, "kr-t-strudel")
    held = data[0][data[0] > 0]
    assert abs(float(np.median(held)) * 1000 - 329.63) < 0.05
    dirt.remove("probe")
    warm_orbit(dirt, sock, "steps")
    out = f"{dirt.dump()['client']}:orbit0/out_1"
    data, _ = record_after(
        dirt,
        [out],
        0.6,
        lambda: sock.send(strudel(time.time() + 0.1, s="steps", n=1.0, cut=1.0, pan=0.0)),
        "kr-t-st2",
    )
    x = data[0]
    assert abs(float(np.median(x[x > 0.01])) / 0.4 - 0.5) < 0.01, (
        "n 1.0 (a float) picks b.wav on orbit 0"
    )


def test_an_exported_session_keeps_its_orbit_patterns(dirt: Any, tmp_path: Path) -> None:
    dirt.play("orbit3", kr.s("click*2 steps:1"))
    path = dirt.export(tmp_path / "set.py")
    text = path.read_text()
    assert "orbit3" in text and "faust:dirt/orbit" in text, text
    dirt.clear()
    assert "orbit3" not in dirt.nodes()
    dirt.load(path)
    assert "orbit3" in dirt.nodes()
    played = dirt.status()["dirt"]["counters"]["played"]
    assert wait_until(lambda: dirt.status()["dirt"]["counters"]["played"] >= played + 3, 10)
    dirt.hush()
    dirt.remove("orbit3")


def test_control_builders_reach_the_sample_player(dirt: Any) -> None:
    """`kr.s(...).n(...).pan(...).gain(...)`: Strudel's control builders write SuperDirt's keys,
    and the orbit plays them as `/dirt/play` would."""
    dirt.tempo = 120
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "steps", orbit=5)
    port = f"{dirt.dump()['client']}:orbit5/out_1"
    pat = kr.s("steps").n(2).pan(0).gain(1.2).legato(0.5)
    data, _ = record_after(dirt, [port], 2.5, lambda: dirt.play("orbit5", pat), "kr-t-builders")
    dirt.hush("orbit5")
    x = data[0]
    held = x[x > 0.01]
    assert len(held) > 0.05 * RATE
    # c.wav (0.75) at amp 0.4 × gain 1.2⁴, all on the left.
    assert abs(float(np.median(held)) - 0.75 * 0.4 * 1.2**4) < 0.01


def test_orbit_reverb_and_delay_follow_the_orbits_latest_event(dirt: Any) -> None:
    """`room` and `delay` are the orbit's, set by its latest event; an event without them
    turns them off again (SuperDirt's rule)."""
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "click", orbit=6)
    port = f"{dirt.dump()['client']}:orbit6/out_1"

    def after_click(**params: Any) -> np.ndarray:
        data, _ = record_after(
            dirt, [port], 1.0, lambda: sock.send(play(s="click", orbit=6, **params)), "kr-t-fx"
        )
        x = data[0]
        onset = int(np.flatnonzero(np.abs(x) > 0.05)[0])
        return x[onset:]

    dry = after_click()
    assert rms(dry[100:20000]) < 1e-6, "a click alone ends at once"
    echo = after_click(delay=0.5, delaytime=0.1, delayfeedback=0.0)
    assert abs(abs(echo[4800]) - 0.5 * abs(echo[0])) < 0.02, "one echo, 0.1 s later, at half level"
    assert rms(echo[100:4700]) < 1e-4
    wet = after_click(room=0.6, size=0.1)
    assert rms(wet[2000:20000]) > 1e-3, "the reverb's tail"
    time.sleep(1.5)  # that tail dies away
    # The next event has no room or delay: the orbit's effects go back to 0.
    again = after_click()
    assert rms(again[2000:20000]) < 1e-4 and abs(again[4800]) < 1e-3


def test_aiff_files_and_a_file_gone_missing(dirt: Any, banks: Path) -> None:
    import aifc  # noqa: PLC0415 - the standard library's AIFF writer (deprecated, still in 3.11)

    folder = banks / "aiff"
    folder.mkdir(exist_ok=True)
    with aifc.open(str(folder / "a.aiff"), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes((np.full(4800, 0.5) * 32767).astype(">i2").tobytes())
    (folder / "b.aiff").write_bytes((folder / "a.aiff").read_bytes())
    sock = dirt_socket(dirt)
    warm_orbit(dirt, sock, "aiff", orbit=7)
    port = f"{dirt.dump()['client']}:orbit7/out_1"
    data, _ = record_after(
        dirt, [port], 0.5, lambda: sock.send(play(s="aiff", orbit=7, pan=0.0)), "kr-t-aiff"
    )
    assert abs(float(np.median(data[0][data[0] > 0.01])) / 0.4 - 0.5) < 0.01
    # b.aiff is listed, then deleted before it is first played: reported, nothing else changes.
    os.remove(folder / "b.aiff")
    before = dirt.status()["dirt"]["counters"]["failed"]
    sock.send(play(s="aiff", n=1, orbit=7))
    wait_status(dirt, lambda d: d["counters"]["failed"] > before)
    data, _ = record_after(
        dirt, [port], 0.5, lambda: sock.send(play(s="aiff", orbit=7)), "kr-t-aiff2"
    )
    assert rms(data[0]) > 0.01, "the bank's other file still plays"
