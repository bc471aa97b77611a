"""Hostile input against a real krd ("Unbreakable on stage"): slow compiles, a TCP client that
never reads, the `osc:` caps, idle connections, ancient time tags, NaN-producing DSP, garbage and
floods. Whatever is thrown at it, krd stays up, `/kr/status` answers within half a second
(measured throughout), the healthy node keeps sounding (recorded from JACK), and the client that
misbehaved gets a message naming the cause or the setting.

Each engine here is a krd of its own, started with a config written for the case (JSON is YAML)."""

from __future__ import annotations

import json
import random
import re
import select
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pytest
from audio import fundamental, rms
from conftest import ROOT, free_port
from oscclient import Tcp, Udp, bundle, message
from record import Recorder

from kr import engine

# The documented requirement of the issue: the liveness probe answers within this, always.
PROBE_LIMIT_S = 0.5

TONE = 'import("stdfaust.lib"); process = os.osc(440) * 0.2;'
BEAT = (
    'import("stdfaust.lib"); freq = hslider("freq", 220, 20, 2000, 0.01); '
    'gate = button("gate"); process = os.osc(freq) * en.ar(0.002, 0.2, gate) * 0.3;'
)
LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'
NAN_SQRT = 'x = hslider("x", 1, -1, 1, 0.01); process = sqrt(x) * 0.1;'
NAN_LOG = 'import("stdfaust.lib"); process = no.noise : -(2) : log;'
FEEDBACK = 'g = hslider("g", 0.5, 0, 2, 0.01); process = _ : + ~ *(g);'

# Every probe's latency, by case, for the summary printed at the end (pytest -s shows it).
LATENCIES: dict[str, list[float]] = {}


def slow_source(n: int) -> str:
    """FAUST that takes a while to compile (n=300: about 1.3 s here, n=1000: over 20 s); the
    unique comment keeps the compile cache from answering."""
    oscillators = f"par(i, {n}, os.osc(100 + i)) :> _"
    return f'// {uuid.uuid4()}\nimport("stdfaust.lib"); process = {oscillators};'


def osc_settings() -> set[str]:
    """The keys of `osc:` in configs/krd.yaml: the settings a message may name."""
    keys, inside = set(), False
    for line in (ROOT / "configs" / "krd.yaml").read_text().splitlines():
        if re.match(r"^\S", line):
            inside = line.startswith("osc:")
        elif inside and (m := re.match(r"^  (\w+):", line)):
            keys.add(f"osc.{m.group(1)}")
    return keys


def assert_names_setting(text: str, setting: str) -> None:
    """The message names `setting`, spelled as in krd.yaml, so the user can find what to raise."""
    assert setting in osc_settings(), f"{setting} is not a key of configs/krd.yaml"
    named = re.findall(r"\b(osc\.\w+)", text)
    assert named == [setting], f"{text!r} should name the setting {setting} (it names {named})"


# --- engines ----------------------------------------------------------------------------------


class Krd:
    """A krd of its own: its config and compile cache in `folder`."""

    def __init__(
        self,
        jack_server: str,
        folder: Path,
        tag: str,
        config: dict[str, Any],
        state: Path | None = None,
    ) -> None:
        self.tag = tag
        self.folder = folder
        config = dict(config)
        config.setdefault("jack", {"client_name": f"krd-hostile-{tag}", "autoconnect": False})
        config["compiler"] = {"cache_dir": str(self.folder / "cache"), **config.get("compiler", {})}
        path = self.folder / "krd.yaml"
        path.write_text(json.dumps(config))
        self.port = free_port()
        args = ["--config", str(path)]
        args += ["--state", str(state)] if state else ["--no-state"]
        self.proc = engine.start_krd(self.port, jack_server, args)
        deadline = time.monotonic() + 30
        while not self._answers():
            assert self.proc.alive(), f"krd ({tag}) exited:\n{self.proc.log_tail()}"
            assert time.monotonic() < deadline, f"krd ({tag}) does not answer"
        self.udp = Udp(self.port)
        # Its JACK client name (JACK picks another when the name is taken).
        reply = self.ask("/kr/dump")
        self.client = str(json.loads(reply[1][3])["client"])

    def _answers(self) -> bool:
        u = Udp(self.port)
        try:
            u.send(message("/kr/status").build().dgram)
            u.recv(0.2)
            return True
        except (TimeoutError, ConnectionRefusedError):
            time.sleep(0.05)
            return False
        finally:
            u.close()

    def ask(self, address: str, *args: Any, timeout: float = 30.0) -> tuple[str, list[Any]]:
        self.udp.drain()
        return self.udp.ask(address, *args, timeout=timeout)

    def ok(self, address: str, *args: Any, timeout: float = 30.0) -> list[Any]:
        """Ask and require `/kr/done`; its arguments."""
        reply = self.ask(address, *args, timeout=timeout)
        assert reply[0] == "/kr/done", f"{address} {args}: {reply}"
        return reply[1]

    def nodes(self) -> list[str]:
        return [str(n) for n in self.ok("/kr/nodes")[3:]]

    def status(self) -> dict[str, Any]:
        reply = self.ask("/kr/status")
        assert reply[0] == "/kr/status.reply", reply
        return dict(json.loads(reply[1][0]))

    def port_name(self, node: str, n: int = 1) -> str:
        return f"{self.client}:{node}/out_{n}"

    def stop(self) -> None:
        """Stop it; it must still have been running, and must exit cleanly."""
        assert self.proc.alive(), f"krd ({self.tag}) died:\n{self.proc.log_tail()}"
        self.udp.close()
        self.proc.stop()
        code = self.proc.proc.returncode
        assert code == 0, f"krd ({self.tag}) exited with {code}:\n{self.proc.log_tail()}"


def probe(port: int, case: str, address: str = "/kr/status", timeout: float = 2.0) -> float:
    """Send one probe from a socket of its own; its answer's latency (timeout: inf)."""
    u = Udp(port)
    try:
        start = time.monotonic()
        u.send(message(address).build().dgram)
        try:
            reply = u.recv(timeout)
        except TimeoutError:
            latency = float("inf")
        else:
            latency = time.monotonic() - start
            expected = "/kr/status.reply" if address == "/kr/status" else "/kr/done"
            assert reply[0] == expected, reply
    finally:
        u.close()
    LATENCIES.setdefault(case, []).append(latency)
    return latency


class Prober:
    """Probes `/kr/status` and `/kr/ping` in turn, every `interval` s, on a thread, for as long
    as the `with` block lasts."""

    def __init__(self, port: int, case: str, interval: float = 0.05) -> None:
        self.port, self.case, self.interval = port, case, interval
        self.latencies: list[tuple[float, str, float]] = []  # (sent at, address, latency)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        addresses = ["/kr/status", "/kr/ping"]
        k = 0
        while not self._stop.is_set():
            address = addresses[k % 2]
            sent = time.monotonic()
            self.latencies.append((sent, address, probe(self.port, self.case, address)))
            k += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(10)

    def worst(self) -> float:
        return max(lat for _, _, lat in self.latencies)

    def between(self, start: float, end: float) -> list[float]:
        return [lat for sent, _, lat in self.latencies if start <= sent <= end]


def record(krd: Krd, ports: list[str], seconds: float, name: str) -> np.ndarray:
    """Record `ports` (node/out_N or master/out_N) of `krd` for `seconds`."""
    rec = Recorder([f"{krd.client}:{p}" for p in ports], seconds, name=name)
    rec.start()
    rec.wait(seconds + 10)
    data: np.ndarray = rec.data[:, : rec.pos]
    return data


def assert_healthy(krd: Krd, case: str) -> None:
    """krd answers its probes at once, and the healthy tone sounds at its pitch."""
    assert krd.proc.alive(), krd.proc.log_tail()
    for address in ("/kr/status", "/kr/ping"):
        latency = probe(krd.port, case, address)
        assert latency < PROBE_LIMIT_S, f"{address} answered after {latency:.3f} s"
    x = record(krd, ["tone/out_1"], 0.5, f"kr-hostile-{case}")[0]
    assert rms(x) > 0.1, f"the healthy tone is not heard (RMS {rms(x):.4f})"
    assert abs(fundamental(x, 48000) - 440) < 3


def onsets(x: np.ndarray, rate: int, threshold: float = 1e-3, silence_s: float = 0.1) -> list[int]:
    """Samples where sound starts after at least `silence_s` of silence."""
    loud = np.flatnonzero(np.abs(x) > threshold)
    if not len(loud):
        return []
    gaps = np.flatnonzero(np.diff(loud) > silence_s * rate)
    starts = [int(loud[0])] + [int(loud[g + 1]) for g in gaps]
    return starts if starts[0] > silence_s * rate else starts[1:]  # not one cut by the start


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bool, int]:
    """Read everything until the peer closes (EOF or reset): (closed, whole frames read)."""
    sock.settimeout(timeout)
    data = bytearray()
    closed = False
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                closed = True
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except TimeoutError:
        pass
    frames, pos = 0, 0
    while pos + 4 <= len(data):
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        if pos + 4 + size > len(data):
            break
        frames, pos = frames + 1, pos + 4 + size
    return closed, frames


def closed_within(sock: socket.socket, timeout: float) -> bool:
    """Whether the peer closes `sock` (which should get nothing else) within `timeout`."""
    ready, _, _ = select.select([sock], [], [], timeout)
    if not ready:
        return False
    try:
        return sock.recv(1 << 16) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


@pytest.fixture(scope="module", autouse=True)
def latency_summary() -> Iterator[None]:
    yield
    print("\n/kr/status and /kr/ping latencies (ms):")
    for case, lats in LATENCIES.items():
        finite = [x * 1000 for x in lats if x != float("inf")] or [float("nan")]
        lost = sum(1 for x in lats if x == float("inf"))
        print(
            f"  {case:<12} n={len(lats):4d}  median={np.median(finite):6.2f}  "
            f"p99={np.percentile(finite, 99):6.2f}  max={max(finite):6.2f}  unanswered={lost}"
        )


@pytest.fixture(scope="module")
def main(jack_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Krd]:
    """A krd with a 3 s compile timeout, playing a healthy 440 Hz tone."""
    krd = Krd(jack_server, tmp_path_factory.mktemp("main"), "main", {"compiler": {"timeout_s": 3}})
    krd.ok("/kr/node/new", "tone", TONE)
    yield krd
    krd.stop()


def free(krd: Krd, *names: str) -> None:
    for name in names:
        if name in krd.nodes():
            krd.ok("/kr/node/free", name)


# --- 1. probes while compiles are pending ------------------------------------------------------


def test_probes_are_answered_at_once_while_slow_compiles_are_pending(main: Krd) -> None:
    sizes = [300, 350, 1000]  # about 1.3 s, 1.8 s, and over the 3 s timeout
    names = [f"slow{i}" for i in range(len(sizes))]
    sender = Udp(main.port)
    rec = Recorder([main.port_name("tone")], 3.0, name="kr-hostile-compiles")
    try:
        with Prober(main.port, "compiles") as prober:
            time.sleep(0.2)
            start = time.monotonic()
            for i, (name, n) in enumerate(zip(names, sizes, strict=True)):
                sender.send(message("/kr/node/new", ("h", i), name, slow_source(n)).build().dgram)
            rec.start()
            replies = []
            for _ in sizes:
                reply = sender.recv(60)
                replies.append((time.monotonic() - start, reply))
            end = time.monotonic()
            time.sleep(0.2)
        rec.wait(10)
        for _, (address, args) in replies:
            assert args[0] == "/kr/node/new", args
            if address == "/kr/fail":
                assert "took longer than 3.0 s" in args[2] and "compiler.timeout_s" in args[2], args
            else:
                assert address == "/kr/done" and "created" in args[2], args
        assert [r[1][1][1] for r in replies] == [0, 1, 2], "answered in order"
        assert replies[-1][1][0] == "/kr/fail", "the 1000-oscillator program must time out"
        assert replies[-1][0] >= 3.0, f"the compiles were pending only {replies[-1][0]:.2f} s"
        during = prober.between(start, end)
        assert len(during) >= 20, f"only {len(during)} probes while compiling"
        assert max(during) < PROBE_LIMIT_S, f"a probe waited {max(during):.3f} s for compiles"
        assert prober.worst() < PROBE_LIMIT_S
        x = rec.data[0, : rec.pos]
        assert rms(x) > 0.1, "the tone stopped while compiling"
    finally:
        sender.close()
        free(main, *names)
    assert_healthy(main, "compiles")


# --- 2. a TCP client that never reads ----------------------------------------------------------


def test_a_tcp_client_that_never_reads_is_cut_off_while_the_music_plays_on(main: Krd) -> None:
    # A node with 200 KB of meta makes every /kr/dump reply about 200 KB (sent over TCP: too big
    # for a UDP datagram).
    helper = Tcp(main.port)
    reply = helper.ask("/kr/node/new", "big", LEVEL, 1, 1.0, "m" * 200_000)
    assert reply[0] == "/kr/done", reply
    helper.close()
    main.ok("/kr/node/new", "beat", BEAT)
    main.ok("/kr/play", "beat", "a4 e5")
    # The client: a small receive buffer, and it never reads.
    hostile = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hostile.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    hostile.connect(("127.0.0.1", main.port))
    requests = 150
    rec = Recorder([main.port_name("beat")], 5.0, name="kr-hostile-noread")
    try:
        rec.start()
        with Prober(main.port, "no-reader") as prober:
            dump = message("/kr/dump").build().dgram
            for _ in range(requests):
                hostile.sendall(struct.pack(">I", len(dump)) + dump)
            rec.wait(15)
        closed, frames = read_until_closed(hostile, 10)
        assert closed, "krd did not close the connection of a client that never reads"
        assert frames < requests, f"all {frames} replies were delivered: it was never cut off"
        assert prober.worst() < PROBE_LIMIT_S, f"a probe waited {prober.worst():.3f} s"
        assert len(prober.latencies) >= 40
        # The pattern sounded throughout: an onset every second (2 events per 2 s cycle), a4 and e5.
        x = rec.data[0, : rec.pos]
        starts = onsets(x, rec.rate)
        assert len(starts) >= 4, f"onsets at {starts}"
        spacing = np.diff(starts) / rec.rate
        assert np.all(np.abs(spacing - 1.0) < 0.003), f"onsets {spacing} s apart"
        pitches = sorted(round(fundamental(x[s : s + 4800], rec.rate, 200, 1000)) for s in starts)
        assert abs(pitches[0] - 440) < 5 and abs(pitches[-1] - 659) < 5, pitches
        # Another TCP client is served, the big reply included.
        good = Tcp(main.port)
        assert good.ask("/kr/ping")[0] == "/kr/done"
        reply = good.ask("/kr/dump")
        assert reply[0] == "/kr/done" and len(reply[1][3]) > 200_000
        good.close()
    finally:
        hostile.close()
        free(main, "beat", "big")
    assert_healthy(main, "no-reader")


def dump_requests(n: int) -> bytes:
    """`n` framed `/kr/dump` requests, as one burst of bytes."""
    dump = message("/kr/dump").build().dgram
    return (struct.pack(">I", len(dump)) + dump) * n


def settle(krd: Krd) -> None:
    """Wait (after a failed assertion) until krd answers promptly again, for the next tests."""
    deadline = time.monotonic() + 60
    while probe(krd.port, "settle", timeout=1) > 0.1 and time.monotonic() < deadline:
        pass


def test_a_burst_of_requests_from_a_client_that_never_reads_does_not_hold_up_status(
    main: Krd,
) -> None:
    """The same client as above, at scale: 20000 /kr/dump requests (320 KB) in one burst. Its
    replies cannot all be delivered (it is cut off), so they must not cost everyone else their
    answers: /kr/status keeps answering within half a second."""
    helper = Tcp(main.port)
    reply = helper.ask("/kr/node/new", "big", LEVEL, 1, 1.0, "m" * 200_000)
    assert reply[0] == "/kr/done", reply
    helper.close()
    hostile = socket.create_connection(("127.0.0.1", main.port))
    try:
        with Prober(main.port, "burst") as prober:
            time.sleep(0.2)
            hostile.sendall(dump_requests(20_000))
            time.sleep(6)
        late = [f"{lat:.3f} s" for _, _, lat in prober.latencies if lat >= PROBE_LIMIT_S]
        assert not late, (
            f"{len(late)} of {len(prober.latencies)} probes answered late: {late} "
            "(inf: not within 2 s)"
        )
        assert read_until_closed(hostile, 10)[0], "the client was not cut off"
    finally:
        hostile.close()
        settle(main)
        free(main, "big")
    assert_healthy(main, "burst")


def memory_peak_kib(krd: Krd) -> int:
    for line in Path(f"/proc/{krd.proc.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_clients_that_never_read_cannot_make_krd_hoard_memory(
    jack_server: str, tmp_path: Path
) -> None:
    """Two clients ask for 1100 dumps of about 1 MB each and never read: what krd holds for
    them must stay bounded (by bytes, not by a count of packets), or 64 such clients take the
    machine's memory."""
    krd = Krd(jack_server, tmp_path, "memory", {})
    try:
        helper = Tcp(krd.port)
        for i in range(4):
            reply = helper.ask("/kr/node/new", f"big{i}", LEVEL, 1, 1.0, "m" * 250_000)
            assert reply[0] == "/kr/done", reply
        assert len(helper.ask("/kr/dump")[1][3]) > 1_000_000
        helper.close()
        before = memory_peak_kib(krd)
        hostile = [socket.create_connection(("127.0.0.1", krd.port)) for _ in range(2)]
        for h in hostile:
            h.sendall(dump_requests(1100))
        time.sleep(4)
        grown_mib = (memory_peak_kib(krd) - before) / 1024
        for h in hostile:
            h.close()
        settle(krd)
        assert probe(krd.port, "memory") < PROBE_LIMIT_S
        assert grown_mib < 512, f"krd's memory grew by {grown_mib:.0f} MiB for two clients"
    finally:
        krd.stop()


# --- 3. caps -----------------------------------------------------------------------------------

CAPS = {"max_connections": 4, "max_subscribers": 3, "max_ahead_s": 5, "max_waiting_packets": 10}


@pytest.fixture(scope="module")
def caps(jack_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Krd]:
    krd = Krd(jack_server, tmp_path_factory.mktemp("caps"), "caps", {"osc": CAPS})
    krd.ok("/kr/node/new", "tone", TONE)
    yield krd
    krd.stop()


def test_the_fifth_tcp_connection_is_refused_naming_osc_max_connections(caps: Krd) -> None:
    first = [Tcp(caps.port) for _ in range(4)]
    try:
        for c in first:
            assert c.ask("/kr/ping")[0] == "/kr/done"
        fifth = Tcp(caps.port)
        reply = fifth.recv(5)
        assert reply[0] == "/kr/fail", reply
        assert "the limit is 4" in reply[1][2], reply
        assert_names_setting(reply[1][2], "osc.max_connections")
        assert closed_within(fifth.sock, 5), "the refused connection stays open"
        fifth.close()
        for c in first:
            assert c.ask("/kr/ping")[0] == "/kr/done", "an admitted connection stopped working"
        # A connection that ends frees its place.
        first.pop().close()
        time.sleep(0.5)
        again = Tcp(caps.port)
        assert again.ask("/kr/ping", timeout=5)[0] == "/kr/done"
        first.append(again)
    finally:
        for c in first:
            c.close()
    assert_healthy(caps, "caps")


def test_the_fourth_subscriber_is_refused_naming_osc_max_subscribers(caps: Krd) -> None:
    subs: list[Udp | Tcp] = [Udp(caps.port), Udp(caps.port), Tcp(caps.port)]
    extra = Udp(caps.port)
    try:
        for s in subs:
            assert s.ask("/kr/notify/subscribe", 30.0)[0] == "/kr/done"
        assert subs[0].ask("/kr/notify/subscribe", 30.0)[0] == "/kr/done", "renewing is fine"
        reply = extra.ask("/kr/notify/subscribe", 30.0)
        assert reply[0] == "/kr/fail", reply
        assert "the limit is 3" in reply[1][2], reply
        assert_names_setting(reply[1][2], "osc.max_subscribers")
        # The TCP subscriber goes away: its place is free.
        subs.pop().close()
        time.sleep(0.5)
        assert extra.ask("/kr/notify/subscribe", 30.0)[0] == "/kr/done"
        assert caps.status()["subscribers"] == 3
    finally:
        for s in [*subs, extra]:
            if isinstance(s, Udp):
                s.ask("/kr/notify/unsubscribe")
            s.close()
    assert caps.status()["subscribers"] == 0
    assert_healthy(caps, "caps")


def test_a_bundle_a_minute_ahead_is_refused_naming_osc_max_ahead_s(caps: Krd) -> None:
    caps.ok("/kr/node/new", "lvl", LEVEL)
    try:
        udp = Udp(caps.port)
        udp.send(bundle([message("/kr/set", ("h", 7), "lvl/level", 0.5)], when=time.time() + 60))
        reply = udp.recv(5)
        udp.close()
        assert reply[0] == "/kr/fail" and reply[1][:2] == ["/kr/set", 7], reply
        text = reply[1][2]
        assert re.search(r"\b60 s ahead\b", text) and "the limit is 5 s" in text, text
        assert caps.ok("/kr/get", "lvl/level")[3] == 0.0, "the refused bundle was applied"
        assert_names_setting(text, "osc.max_ahead_s")
    finally:
        free(caps, "lvl")


def test_the_eleventh_waiting_bundle_is_refused_and_the_first_ten_land_on_time(caps: Krd) -> None:
    caps.ok("/kr/node/new", "lvl", LEVEL)
    udp = Udp(caps.port)
    rec = Recorder([caps.port_name("lvl")], 4.5, name="kr-hostile-waiting")
    try:
        rec.start()
        # JACK frame ↔ wall clock, as the recorder sees it.
        pairs = []
        for _ in range(20):
            t0 = time.time()
            f = rec.client.frame_time
            t1 = time.time()
            pairs.append(f - (t0 + t1) / 2 * rec.rate)
            time.sleep(0.005)
        offset = float(np.median(pairs))
        start = time.time() + 3.0
        tags = [start + 0.05 * k for k in range(10)]
        for k, tag in enumerate(tags):
            udp.send(bundle([message("/kr/set", ("h", k), "lvl/level", 0.1 * (k + 1))], when=tag))
        udp.send(bundle([message("/kr/set", ("h", 10), "lvl/level", 0.55)], when=start + 0.5))
        reply = udp.recv(2)
        assert reply[0] == "/kr/fail" and reply[1][:2] == ["/kr/set", 10], reply
        assert "10 time-tagged packets are waiting already; the limit is 10" in reply[1][2]
        assert_names_setting(reply[1][2], "osc.max_waiting_packets")
        assert probe(caps.port, "caps") < PROBE_LIMIT_S
        done = [udp.recv(10) for _ in tags]
        assert [(r[0], r[1][1]) for r in done] == [("/kr/done", k) for k in range(10)], done
        assert time.time() >= start - 0.1, "applied before their time"
        rec.wait(10)
        assert rec.first_frame is not None
        x = rec.data[0, : rec.pos]
        errors_ms = []
        for k, tag in enumerate(tags):
            hits = np.flatnonzero(np.isclose(x, np.float32(0.1 * (k + 1)), atol=1e-6))
            assert len(hits), f"level {0.1 * (k + 1):.1f} never heard"
            expected = tag * rec.rate + offset - rec.first_frame
            errors_ms.append((hits[0] - expected) / rec.rate * 1e3)
        assert max(abs(e) for e in errors_ms) < 2.0, f"errors (ms): {errors_ms}"
        assert not np.any(np.isclose(x, 0.55, atol=1e-6)), "the refused bundle was applied"
        # Applied, they no longer count: another one waits and lands.
        udp.send(bundle([message("/kr/set", ("h", 11), "lvl/level", 0.0)], when=time.time() + 1))
        assert udp.recv(5)[0] == "/kr/done"
    finally:
        udp.close()
        free(caps, "lvl")


# --- 4. idle timeout ---------------------------------------------------------------------------


def test_a_silent_tcp_connection_is_closed_after_the_idle_timeout(
    jack_server: str, tmp_path: Path
) -> None:
    krd = Krd(jack_server, tmp_path, "idle", {"osc": {"idle_timeout_s": 1}})
    try:
        silent, busy = Tcp(krd.port), Tcp(krd.port)
        start = time.monotonic()
        closed_at = None
        while time.monotonic() - start < 5:
            assert busy.ask("/kr/ping", timeout=2)[0] == "/kr/done"
            if closed_within(silent.sock, 0.25):
                closed_at = time.monotonic() - start
                break
        assert closed_at is not None, "a silent connection was not closed within 5 s"
        assert closed_at >= 0.9, f"closed after {closed_at:.2f} s, before the idle timeout"
        for _ in range(8):  # 2 s more: the connection that keeps sending stays open
            assert busy.ask("/kr/ping", timeout=2)[0] == "/kr/done"
            time.sleep(0.25)
        assert probe(krd.port, "idle") < PROBE_LIMIT_S
        silent.close()
        busy.close()
    finally:
        krd.stop()


# --- 5. an ancient time tag --------------------------------------------------------------------


def test_a_bundle_an_hour_late_is_reported_late_and_applied(main: Krd) -> None:
    main.ok("/kr/node/new", "lvl", LEVEL)
    udp = Udp(main.port)
    try:
        udp.send(bundle([message("/kr/set", ("h", 55), "lvl/level", 0.3)], when=time.time() - 3600))
        got = dict(udp.recv(5) for _ in range(2))
        assert set(got) == {"/kr/late", "/kr/done"}, got
        assert got["/kr/late"][:2] == ["/kr/set", 55], got
        assert abs(got["/kr/late"][2] - 3600) < 5, got["/kr/late"]
        assert got["/kr/done"][:2] == ["/kr/set", 55], got
        assert main.ok("/kr/get", "lvl/level")[3] == pytest.approx(0.3)
    finally:
        udp.close()
        free(main, "lvl")
    assert_healthy(main, "late")


# --- 6. NaN and divergence ---------------------------------------------------------------------


def test_nan_nodes_are_silenced_and_reported_while_the_rest_plays(main: Krd) -> None:
    watcher = Udp(main.port)
    names = ["sqrtbad", "logbad", "fb"]
    try:
        assert watcher.ask("/kr/notify/subscribe", 60.0)[0] == "/kr/done"
        main.ok("/kr/node/new", "sqrtbad", NAN_SQRT)
        main.ok("/kr/node/new", "fb", FEEDBACK)
        main.ok("/kr/route", "tone", "fb", 1.0)
        faulted = main.status()["faulted_blocks"]
        main.ok("/kr/node/new", "logbad", NAN_LOG)
        main.ok("/kr/set", "sqrtbad/x", -1.0)
        main.ok("/kr/set", "fb/g", 2.0)
        reported: dict[str, str] = {}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(reported) < len(names):
            try:
                address, args = watcher.recv(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if address == "/kr/notify/error":
                for name in names:
                    if f"'{name}'" in args[0]:
                        reported[name] = args[0]
        assert set(reported) == set(names), f"reported: {reported}"
        for text in reported.values():
            assert "NaN or infinity" in text, text
        x = record(main, ["master/out_1", "tone/out_1", "fb/out_1"], 1.5, "kr-hostile-nan")
        assert np.all(np.isfinite(x))
        master = x[0]
        # The tone alone: 0.2 amplitude, centre-panned (-3 dB), master 0.8 → RMS 0.08.
        assert 0.06 < rms(master) < 0.1, f"master RMS {rms(master):.4f}"
        assert abs(fundamental(master, 48000) - 440) < 3
        assert rms(x[1]) > 0.1
        status = main.status()
        assert status["faulted_blocks"] > faulted, status
        assert probe(main.port, "nan") < PROBE_LIMIT_S
        # Back to sane values, the faulted nodes sound again (nothing was muted or removed).
        main.ok("/kr/set", "fb/g", 0.5)
        main.ok("/kr/set", "sqrtbad/x", 1.0)
        main.ok("/kr/node/free", "logbad")
        time.sleep(0.1)
        fb, sq = record(main, ["fb/out_1", "sqrtbad/out_1"], 1.0, "kr-hostile-nan2")
        assert np.all(np.isfinite(fb)) and rms(fb) > 0.1, f"fb RMS {rms(fb):.4f}"
        assert abs(fundamental(fb, 48000) - 440) < 3
        assert np.allclose(sq, 0.1, atol=1e-4), "sqrt(1) * 0.1 is 0.1"
        settled = main.status()["faulted_blocks"]
        time.sleep(0.5)
        assert main.status()["faulted_blocks"] == settled, "still faulting after recovery"
    finally:
        watcher.ask("/kr/notify/unsubscribe")
        watcher.close()
        free(main, *names)
    assert_healthy(main, "nan")


# --- 7. garbage and floods ---------------------------------------------------------------------


def garbage(rnd: random.Random) -> Iterator[bytes]:
    """1000 datagrams: random bytes, truncated messages, broken bundles, and crafted abuse (deep
    nesting, too many messages or arguments, huge strings and blobs, bad counts and numbers) —
    none of them a valid request that would change the session."""
    ping = message("/kr/ping").build().dgram
    crafted: list[bytes] = [
        b"",
        b"\x00" * 4,
        b"#bundle\x00",
        b"#bundle\x00" + b"\xff" * 8 + b"\x7f\xff\xff\xff",  # an element of 2 GiB
        b"/kr/set\x00,sf\x00",  # arguments missing
        b"/kr/set\x00,b\x00\x00\xff\xff\xff\xff",  # a blob of negative size
        message("/kr/set", "x" * 300 + "/level", 0.5).build().dgram,
        message("/kr/node/new", "n", "process = 0;", 1000).build().dgram,
        message("/kr/node/new", "n//x", "process = 0;").build().dgram,
        message("/kr/set", "ghost/x", float("nan")).build().dgram,
        message("/kr/tempo", float("inf")).build().dgram,
        message("/kr/play", "ghost", "[" * 5000).build().dgram,
        message("/kr/ping", *range(100)).build().dgram,
        bundle([message("/kr/ping")] * 1100),
        b"/kr/ping\x00\x00\x00\x00," + b"s" * 60000 + b"\x00",
    ]
    nested = ping
    for _ in range(20):
        nested = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">I", len(nested)) + nested
    crafted.append(nested)
    addresses = ["/kr/set", "/kr/node/new", "/kr/play", "/kr/route", "/kr/zzz", "#bundle", "/"]
    for i in range(1000):
        if i < len(crafted):
            yield crafted[i]
        elif i % 3 == 0:
            yield bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400)))
        elif i % 3 == 1:
            m = message(rnd.choice(addresses), *[rnd.choice([1, 2.5, "x"]) for _ in range(3)])
            data = m.build().dgram
            yield data[: rnd.randint(0, len(data) - 1)]
        else:
            body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 64)))
            yield b"#bundle\x00" + body


def test_a_thousand_garbage_datagrams_leave_krd_up_and_playing(main: Krd) -> None:
    before = main.nodes()
    udp = Udp(main.port)
    try:
        with Prober(main.port, "garbage") as prober:
            for i, data in enumerate(garbage(random.Random(11))):
                udp.send(data)
                if i % 20 == 19:
                    time.sleep(0.01)  # a flood, not a test of the kernel's socket buffer
            time.sleep(0.3)
        udp.drain()
        assert prober.worst() < PROBE_LIMIT_S, f"a probe waited {prober.worst():.3f} s"
        assert udp.ask("/kr/ping")[0] == "/kr/done", "the sender itself is still answered"
    finally:
        udp.close()
    assert main.nodes() == before
    assert_healthy(main, "garbage")


def test_a_tcp_frame_announcing_a_gibibyte_closes_only_that_connection(main: Krd) -> None:
    other = Tcp(main.port)
    bad = Tcp(main.port)
    try:
        assert other.ask("/kr/ping")[0] == "/kr/done"
        bad.sock.sendall((1 << 30).to_bytes(4, "big") + b"\x00" * 1000)
        reply = bad.recv(5)
        assert reply[0] == "/kr/fail", reply
        text = reply[1][2]
        assert f"{1 << 30} bytes exceeds the limit of {1 << 20} bytes" in text, text
        assert closed_within(bad.sock, 5), "the connection stays open"
        assert other.ask("/kr/ping")[0] == "/kr/done", "another connection was hurt"
        fresh = Tcp(main.port)
        assert fresh.ask("/kr/ping")[0] == "/kr/done"
        fresh.close()
    finally:
        other.close()
        bad.close()
    assert_healthy(main, "gibibyte")


def test_a_udp_request_whose_reply_cannot_fit_a_datagram_is_still_answered(main: Krd) -> None:
    """Every request is answered (docs/protocol.md): a reply too big for UDP (a dump of a session
    with 70 KB of meta) becomes a /kr/fail saying so, not silence the client waits on forever."""
    helper = Tcp(main.port)
    reply = helper.ask("/kr/node/new", "big", LEVEL, 1, 1.0, "m" * 70_000)
    assert reply[0] == "/kr/done", reply
    helper.close()
    udp = Udp(main.port)
    try:
        for request in (["/kr/dump"], ["/kr/node/info", "big"]):
            try:
                reply = udp.ask(*request, timeout=3)
            except TimeoutError:
                pytest.fail(f"{request[0]} over UDP: no reply at all")
            assert reply[0] == "/kr/fail" and reply[1][0] == request[0], reply
            assert "UDP" in reply[1][2] or "TCP" in reply[1][2], reply
    finally:
        udp.close()
        free(main, "big")


def test_two_hundred_rapid_node_creations_and_frees(main: Krd) -> None:
    before = main.nodes()
    names = [f"flood/n{i}" for i in range(200)]
    udp = Udp(main.port)
    try:
        with Prober(main.port, "flood") as prober:
            for i, name in enumerate(names):
                udp.send(message("/kr/node/new", ("h", i), name, LEVEL).build().dgram)
            replies = [udp.recv(30) for _ in names]
            assert [r[0] for r in replies] == ["/kr/done"] * 200, replies[:3]
            assert main.nodes() == before + names
            for i, name in enumerate(names):
                udp.send(message("/kr/node/free", ("h", i), name).build().dgram)
            replies = [udp.recv(30) for _ in names]
            assert [r[0] for r in replies] == ["/kr/done"] * 200, replies[:3]
        assert prober.worst() < PROBE_LIMIT_S, f"a probe waited {prober.worst():.3f} s"
    finally:
        udp.close()
    assert main.nodes() == before
    assert main.status()["nodes"] == len(before)
    assert_healthy(main, "flood")


# --- programs too large to run ------------------------------------------------------------------


def test_programs_too_large_are_refused_naming_the_program_and_the_size(main: Krd) -> None:
    # libfaust's instance size wraps at 4 GiB: initialising this one wrote past a small
    # allocation and killed krd (and, saved in the state file, every restart after it).
    wrap = 'process = @(hslider("d", 1, 1, 1073741823, 1));'
    table = "process = rwtable(1073741824, 0.0, 0, _, 0);"
    # 512 MiB per voice: four voices are more than a node may take (1 GiB by default).
    big = 'process = @(hslider("d", 1, 1, 67108864, 1));'
    with Prober(main.port, "memory") as prober:
        for name, src, count, expect in [
            ("wrap", wrap, 1, "crashed while compiling 'wrap'"),
            ("table", table, 1, "crashed while compiling 'table'"),
            ("big", big, 4, "'big' needs 2049 MiB (4 voice(s) of 513 MiB"),
        ]:
            reply = main.ask("/kr/node/new", name, src, ("i", count), timeout=60)
            assert reply[0] == "/kr/fail", reply
            assert expect in reply[1][2], reply[1][2]
    assert prober.worst() < PROBE_LIMIT_S, f"a probe waited {prober.worst():.3f} s"
    assert "big" not in main.nodes() and "wrap" not in main.nodes()
    assert_healthy(main, "memory")


# --- patterns too dense to play -------------------------------------------------------------------


def test_a_pattern_too_dense_to_play_is_refused_and_nothing_hangs(main: Krd) -> None:
    # A billion events a cycle: this spun the control thread (and every restart) for good.
    with Prober(main.port, "dense") as prober:
        for pattern in ("[[a*1000]*1000]*1000", "a*1000000"):
            reply = main.ask("/kr/play", "tone", pattern)
            assert reply[0] == "/kr/fail" and "too many events" in reply[1][2], reply
    assert prober.worst() < PROBE_LIMIT_S, f"a probe waited {prober.worst():.3f} s"
    assert_healthy(main, "dense")


# --- after all that, a restart ------------------------------------------------------------------


def test_after_abuse_a_restart_restores_a_working_session(jack_server: str, tmp_path: Path) -> None:
    """Nothing the attacks leave in the state file stops krd from coming back up and playing."""
    state = tmp_path / "session.json"
    config = {"compiler": {"timeout_s": 3}}
    krd = Krd(jack_server, tmp_path, "restart", config, state=state)
    try:
        krd.ok("/kr/node/new", "tone", TONE)
        krd.ok("/kr/node/new", "sqrtbad", NAN_SQRT)
        krd.ok("/kr/set", "sqrtbad/x", -1.0)  # a node producing NaN is saved as it is
        reply = krd.ask("/kr/node/new", "slow", slow_source(1000))
        assert reply[0] == "/kr/fail" and "compiler.timeout_s" in reply[1][2], reply
        for data in garbage(random.Random(3)):
            krd.udp.send(data)
        krd.udp.drain()
        for i in range(50):
            krd.ok("/kr/node/new", f"flood/n{i}", LEVEL)
        for i in range(50):
            krd.ok("/kr/node/free", f"flood/n{i}")
        assert krd.nodes() == ["tone", "sqrtbad"]
        time.sleep(1.5)  # saved within a second of a change
    finally:
        krd.stop()
    krd = Krd(jack_server, tmp_path, "restart", config, state=state)
    try:
        deadline = time.monotonic() + 30
        while krd.nodes() != ["tone", "sqrtbad"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert krd.nodes() == ["tone", "sqrtbad"]
        assert krd.ok("/kr/get", "sqrtbad/x")[3] == -1.0
        assert_healthy(krd, "restart")
    finally:
        krd.stop()
