"""krd as a studio service: systemd readiness and watchdog (over a fake NOTIFY_SOCKET), a JACK
server that dies and comes back under a running krd, and the patchbay connections that come back
with it (also after kill -9 of krd)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port

import kr
import kr.client
from kr import engine

ROOT = Path(__file__).resolve().parent.parent
TONE = 'import("stdfaust.lib"); process = os.osc(330) * 0.2;'
LEVEL = 'level = hslider("level", 0, 0, 1, 0.0001); process = level;'


class NotifySocket:
    """A Unix datagram socket standing in for systemd's notify socket."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp()) / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def messages(self, seconds: float) -> list[str]:
        """Every line received within `seconds`."""
        lines: list[str] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            lines.extend(data.decode().splitlines())
        return lines

    def wait_for(self, line: str, seconds: float) -> list[str]:
        """Lines received until `line` (included); fails after `seconds`."""
        seen: list[str] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.messages(0.1)
            seen.extend(got)
            if line in got:
                return seen
        raise AssertionError(f"no {line!r} within {seconds} s; got {seen}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    s = NotifySocket()
    yield s
    s.close()


def jackd_env(jack: str) -> dict[str, str]:
    """The environment for a client of the jackd server `jack`: with jackd2's libjack even when
    the tests run under scripts/with-pipewire.sh (whose pw-jack puts PipeWire's first)."""
    env = dict(os.environ, JACK_DEFAULT_SERVER=jack)
    paths = env.pop("LD_LIBRARY_PATH", "").split(":")
    kept = [p for p in paths if p and "pipewire" not in p]
    if kept:
        env["LD_LIBRARY_PATH"] = ":".join(kept)
    return env


@pytest.fixture
def jackd_libjack(monkeypatch: pytest.MonkeyPatch) -> None:
    """jackd2's libjack for everything the test starts, jackd included (for the tests that start
    a jackd of their own, also when the suite runs under scripts/with-pipewire.sh)."""
    cleaned = jackd_env("").get("LD_LIBRARY_PATH")
    if cleaned is None:
        monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    else:
        monkeypatch.setenv("LD_LIBRARY_PATH", cleaned)


def start_krd(port: int, jack: str, extra: list[str], env: dict[str, str]) -> engine.Process:
    """krd on the JACK server `jack`, with the test run's libjack (jackd2's, or PipeWire's under
    scripts/with-pipewire.sh; a test that starts its own jackd asks for `jackd_libjack`)."""
    full = dict(os.environ, JACK_DEFAULT_SERVER=jack, **env)
    log = Path(tempfile.mkdtemp()) / "krd.log"
    return engine.Process([engine.find_krd(), "--port", str(port), *extra], log, full)


def test_ready_then_watchdog_pings_which_stop_while_the_audio_thread_is_stuck(
    jack_server: str, notify: NotifySocket
) -> None:
    stall = Path(tempfile.mkdtemp()) / "stall"
    env = {
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "400000",  # a ping every 200 ms
        "KR_TEST_STALL_AUDIO_FILE": str(stall),
    }
    proc = start_krd(free_port(), jack_server, ["--no-state", "--name", "krd-notify"], env)
    try:
        seen = notify.wait_for("READY=1", 30)
        status = [line for line in notify.messages(0.5) + seen if line.startswith("STATUS=")]
        assert status and "nodes=0" in status[0] and "jack=active" in status[0], status
        pings = notify.messages(2.0).count("WATCHDOG=1")
        assert pings >= 3, f"{pings} watchdog pings in 2 s"

        stall.touch()
        notify.messages(1.0)  # a ping judged before the stall may still arrive
        stuck = notify.messages(2.0)
        assert "WATCHDOG=1" not in stuck, stuck
        assert proc.alive(), "the stall is a test hook: krd itself runs on"

        stall.unlink()
        notify.wait_for("WATCHDOG=1", 10)
    finally:
        if stall.exists():
            stall.unlink()
        proc.stop()
    assert proc.proc.returncode == 0, proc.log_tail()


def test_while_waiting_for_a_jack_server_the_control_loop_feeds_the_watchdog(
    notify: NotifySocket, jackd_libjack: None
) -> None:
    jack, name = engine.start_dummy_jack(f"kr-wait-{os.getpid()}")
    env = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "400000"}
    proc = start_krd(free_port(), name, ["--no-state", "--name", "krd-wait"], env)
    try:
        notify.wait_for("READY=1", 30)
        jack.proc.kill()
        jack.proc.wait()
        notify.wait_for("STATUS=nodes=0 load=0% jack=waiting for a server", 10)
        assert notify.messages(2.0).count("WATCHDOG=1") >= 3, "fed while no server runs"
        assert proc.alive()
        jack, _ = engine.start_dummy_jack(name)
        seen = notify.wait_for("WATCHDOG=1", 10)
        seen += notify.messages(3.0)
        assert any(line.startswith("STATUS=") and "jack=active" in line for line in seen), seen
    finally:
        proc.stop()
        jack.stop()
    assert proc.proc.returncode == 0, proc.log_tail()


def test_stopping_is_announced(jack_server: str, notify: NotifySocket) -> None:
    proc = start_krd(free_port(), jack_server, ["--no-state"], {"NOTIFY_SOCKET": str(notify.path)})
    try:
        notify.wait_for("READY=1", 30)
        proc.proc.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", 15)
        assert proc.proc.wait(15) == 0
    finally:
        proc.stop()


# An external JACK client with one input, printing every 0.2 s the time (CLOCK_MONOTONIC, the
# same for every process) and the loudest sample it heard since the last line.
LISTENER = """
import sys, time, jack, numpy as np
c = jack.Client("kr-ext", no_start_server=True)
p = c.inports.register("in_1")
peak = [0.0]
@c.set_process_callback
def process(frames):
    peak[0] = max(peak[0], float(np.abs(p.get_array()).max()))
c.activate()
while True:
    time.sleep(0.2)
    print(f"{time.monotonic():.3f} {peak[0]:.4f}", flush=True)
    peak[0] = 0.0
"""


class Listener:
    def __init__(
        self, jack: str = "", env: dict[str, str] | None = None, wrapper: list[str] | None = None
    ) -> None:
        env = env or dict(os.environ, JACK_DEFAULT_SERVER=jack)
        self.proc = subprocess.Popen(
            [*(wrapper or []), sys.executable, "-c", LISTENER],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )

    def hears_sound(self, seconds: float) -> bool:
        """Whether sound arrives within `seconds` from now (what was heard before is ignored)."""
        start = time.monotonic()
        deadline = start + seconds
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                return False
            when, peak = map(float, line.split())
            if when > start + 0.2 and peak > 0.05:
                return True
        return False

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def connections(jack: str) -> dict[str, set[str]]:
    """`jack_lsp -c`: each port and the ports it is connected to."""
    out = subprocess.run(
        ["jack_lsp", "-c"],
        env=dict(os.environ, JACK_DEFAULT_SERVER=jack),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return parse_lsp(out)


def parse_lsp(out: str) -> dict[str, set[str]]:
    """Each port `jack_lsp -c` lists, with the ports it is connected to."""
    ports: dict[str, set[str]] = {}
    current = ""
    for line in out.splitlines():
        if line.startswith((" ", "\t")):
            ports[current].add(line.strip())
        else:
            current = line.strip()
            ports[current] = set()
    return ports


def wait_until(what: str, check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_a_buffer_size_change_at_run_time_is_followed(jackd_libjack: None) -> None:
    jack, name = engine.start_dummy_jack(f"kr-bufsize-{os.getpid()}", period=256)
    port = free_port()
    proc = start_krd(port, name, ["--no-state", "--name", "krd-bufsize"], {})
    listener = Listener(name)
    s = kr.Session(port=port)
    try:
        s.node("tone", TONE)
        env = dict(os.environ, JACK_DEFAULT_SERVER=name)
        wait_until("kr-ext:in_1 exists", lambda: "kr-ext:in_1" in connections(name), 15)
        subprocess.run(
            ["jack_connect", "krd-bufsize:tone/out_1", "kr-ext:in_1"], env=env, check=True
        )
        assert listener.hears_sound(10)
        assert s.status()["block_size"] == 256
        subprocess.run(["jack_bufsize", "512"], env=env, check=True, capture_output=True)
        wait_until("krd reports 512-frame blocks", lambda: s.status()["block_size"] == 512, 10)
        assert listener.hears_sound(10), "the tone plays on"
        assert proc.alive()
    finally:
        s.close()
        listener.stop()
        proc.stop()
        jack.stop()


# What a patchbay connects: krd's node to another client, and two of krd's ports together.
PATCHES = (
    ("krd-svc:tone/out_1", "kr-ext:in_1"),
    ("krd-svc:lvl/out_1", "krd-svc:fx/in_1"),
    # MIDI ports come back too (a MIDI out fed into krd's own MIDI input).
    ("krd-svc:synth/midi_out", "krd-svc:midi_in"),
)


def test_jack_restarts_and_krd_kill_9_keep_nodes_patterns_and_connections(
    jackd_libjack: None,
) -> None:
    jack, name = engine.start_dummy_jack(f"kr-restart-{os.getpid()}")
    state = Path(tempfile.mkdtemp()) / "session.json"
    port = free_port()
    args = ["--state", str(state), "--name", "krd-svc"]
    proc = start_krd(port, name, args, {})
    listener = Listener(name)
    s = kr.Session(port=port)
    try:
        s.node("tone", TONE)
        s.node("lvl", LEVEL)
        s.node("fx", "process = _ * 0.5;", count=1)
        s.play("lvl/level", kr.mini("0.1 0.2"))
        s.midi_out("synth", channel=4)
        s.midi_map(74, "fx/gain", 0, 2)
        env = dict(os.environ, JACK_DEFAULT_SERVER=name)
        for src, dst in PATCHES:
            wait_until(f"{dst} exists", lambda d=dst: d in connections(name), 15)
            subprocess.run(["jack_connect", src, dst], env=env, check=True)
        assert listener.hears_sound(10)
        before = s.dump()
        time.sleep(1.5)  # the patchbay is saved within a second or so

        def restored() -> bool:
            ports = connections(name)
            return all(dst in ports.get(src, set()) for src, dst in PATCHES)

        # The JACK server dies (every client with it) and comes back.
        jack.proc.kill()
        jack.proc.wait()
        listener.stop()
        time.sleep(1.0)
        assert proc.alive(), proc.log_tail()
        # The new server runs at another rate: krd follows it.
        jack, _ = engine.start_dummy_jack(name, rate=44100)
        listener = Listener(name)
        wait_until("the connections are made again", restored, 20)
        wait_until("krd runs at 44100 Hz", lambda: s.status()["sample_rate"] == 44100, 10)
        assert listener.hears_sound(10), "the tone plays again"
        after = s.dump()
        for key in ("nodes", "routes", "patterns", "tempo", "midi"):
            assert after[key] == before[key], key
        assert proc.alive(), "krd never exited"

        # kill -9 of krd: a new krd restores the session and the connections from the state.
        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait()
        s.close()
        gone = "krd-svc:tone/out_1"
        wait_until("krd's ports are gone", lambda: gone not in connections(name), 10)
        proc = start_krd(port, name, args, {})
        s = kr.Session(port=port)
        wait_until("the connections are back after kill -9", restored, 30)
        assert listener.hears_sound(10)
        after = s.dump()
        for key in ("nodes", "routes", "patterns", "tempo", "midi"):
            assert after[key] == before[key], key
    finally:
        s.close()
        listener.stop()
        proc.stop()
        jack.stop()


def unit_keys(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, by key."""
    keys: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: scripts/install-deps.sh installs it (package systemd)"
    runtime = tempfile.mkdtemp()  # --user needs a runtime directory, even offline
    return subprocess.run(
        [tool, "--user", "verify", *map(str, units)],
        env=dict(os.environ, XDG_RUNTIME_DIR=runtime),
        capture_output=True,
        text=True,
        check=False,
        cwd=units[0].parent,
    )


def test_the_units_verify_clean_and_name_each_other() -> None:
    folder = Path(tempfile.mkdtemp())
    krd_unit = (ROOT / "systemd" / "krd.service").read_text()
    keys = unit_keys(ROOT / "systemd" / "krd.service")
    assert keys["Type"] == ["notify"] and keys["WatchdogSec"], keys
    assert keys["ExecStart"] == ["/usr/bin/krd"], "where the krd package installs it"
    for unit in keys["After"][0].split():
        assert unit == "pipewire.service" or (ROOT / "systemd" / unit).exists(), unit
    # verify needs ExecStart to exist: the krd under test stands in for /usr/bin/krd.
    tested = krd_unit.replace("/usr/bin/krd", engine.find_krd())
    (folder / "krd.service").write_text(tested)
    shutil.copy(ROOT / "systemd" / "jack.service", folder / "jack.service")
    units = [folder / "krd.service", folder / "jack.service"]
    done = verify(units)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    # systemd-analyze only warns about a misspelt setting: the empty stderr is what catches it.
    (folder / "krd.service").write_text(tested.replace("Type=notify", "Type=notifyy"))
    assert "notifyy" in verify(units).stderr


def test_check_config_prints_the_configuration_in_effect_or_where_it_is_wrong() -> None:
    krd = engine.find_krd()
    shipped = ROOT / "configs" / "krd.yaml"
    done = subprocess.run(
        [krd, "--check-config", str(shipped), "--port", "5000"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"from {shipped}" in done.stdout
    assert "  port: 5000\n" in done.stdout, "the command line's settings count"
    assert "#   dsp_dir: " in done.stdout and "/kr/dsp" in done.stdout, done.stdout

    bad = Path(tempfile.mkdtemp()) / "krd.yaml"
    bad.write_text("osc:\n  port: 1\n  prot: 2\n")
    done = subprocess.run([krd, "--check-config", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{bad}:3:3: osc: unknown field `prot`" in done.stderr, done.stderr
    assert done.stdout == ""


def test_the_debian_package_holds_krd_its_unit_config_and_docs() -> None:
    ok = subprocess.run(["cargo", "deb", "--version"], capture_output=True, check=False)
    assert ok.returncode == 0, "cargo-deb is missing: scripts/install-deps.sh installs it"
    # The krd under test stands in for the release build `make deb` makes (the same assets and
    # metadata; only the binary's build differs).
    target = Path(tempfile.mkdtemp())
    (target / "release").mkdir()
    shutil.copy(engine.find_krd(), target / "release" / "krd")
    out = Path(tempfile.mkdtemp())
    done = subprocess.run(
        ["cargo", "deb", "-p", "kr-host", "--no-build", "--fast", "--strip", "-o", str(out)],
        cwd=ROOT,
        env=dict(os.environ, CARGO_TARGET_DIR=str(target)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [deb] = out.glob("krd_*.deb")

    def field(name: str) -> str:
        return subprocess.run(
            ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
        ).stdout.strip()

    assert field("Package") == "krd"
    assert field("Section") == "sound"
    depends = [d.strip() for d in field("Depends").split(",")]
    assert "jackd2 | pipewire-jack" in depends, depends
    assert any(d.startswith("libfaust2") for d in depends), depends
    assert "faust-common" in depends, depends

    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    files = {line.split()[-1] for line in listing.splitlines()}
    for path in (
        "./usr/bin/krd",
        "./usr/lib/systemd/user/krd.service",
        "./etc/kr/krd.yaml",
        "./usr/share/doc/krd/README.md",
        "./usr/share/doc/krd/copyright",
        "./usr/share/doc/krd/examples/jack.service",
    ):
        assert path in files, (path, sorted(files))
    conffiles = subprocess.run(
        ["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True, check=True
    ).stdout
    assert conffiles.split() == ["/etc/kr/krd.yaml"], "an edited config survives upgrades"
    # The packaged unit is the one verified above, starting the packaged krd.
    root = Path(tempfile.mkdtemp())
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    unit = root / "usr/lib/systemd/user/krd.service"
    assert unit.read_text() == (ROOT / "systemd" / "krd.service").read_text()
    assert "ExecStart=/usr/bin/krd" in unit.read_text()
    assert (root / "usr/bin/krd").stat().st_mode & 0o111
    lintian = shutil.which("lintian")
    assert lintian, "lintian is missing: scripts/install-deps.sh installs it"
    report = subprocess.run(
        [lintian, "--tag-display-limit", "0", str(deb)], capture_output=True, text=True, check=False
    )
    tags = [line for line in report.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert report.returncode == 0 and tags == [], report.stdout + report.stderr


def test_an_installed_krd_is_found_when_there_is_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = Path(tempfile.mkdtemp()) / "usr-bin-krd"
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    monkeypatch.delenv("KR_KRD", raising=False)
    monkeypatch.setenv("PATH", tempfile.mkdtemp())  # no krd on PATH
    monkeypatch.setattr(engine, "_REPO", Path(tempfile.mkdtemp()))  # no checkout build
    monkeypatch.setattr(engine, "_INSTALLED", installed)
    assert engine.find_krd() == str(installed)
    installed.unlink()
    with pytest.raises(kr.EngineUnavailable):
        engine.find_krd()


class PipeWire:
    """A headless PipeWire of the test's own (tests/pipewire.conf), and the environment for its
    JACK clients (run through pw-jack)."""

    def __init__(self) -> None:
        for tool in ("pipewire", "pw-jack"):
            assert shutil.which(tool), f"{tool} is missing: scripts/install-deps.sh installs it"
        base = Path(tempfile.mkdtemp())
        (base / "run").mkdir()
        conf = base / "conf"
        conf.mkdir()
        shutil.copy(ROOT / "tests" / "pipewire.conf", conf / "pipewire.conf")
        for name in ("client.conf", "jack.conf"):
            shutil.copy(Path("/usr/share/pipewire") / name, conf / name)
        self.env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
        self.env.update(
            XDG_RUNTIME_DIR=str(base / "run"),
            PIPEWIRE_RUNTIME_DIR=str(base / "run"),
            PIPEWIRE_CONFIG_DIR=str(conf),
        )
        self.log = base / "pipewire.log"
        self.start()

    def start(self) -> None:
        self.proc = engine.Process(["pipewire"], self.log, self.env)
        wait_until(
            "PipeWire answers JACK clients", lambda: self.jack(["jack_lsp"]).returncode == 0, 15
        )

    def jack(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run a JACK tool under pw-jack."""
        return subprocess.run(
            ["pw-jack", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def connections(self) -> dict[str, set[str]]:
        return parse_lsp(self.jack(["jack_lsp", "-c"]).stdout)

    def stop(self) -> None:
        self.proc.stop()


def test_under_pipewire_jack_krd_plays_and_keeps_its_connections(notify: NotifySocket) -> None:
    pw = PipeWire()
    state = Path(tempfile.mkdtemp()) / "session.json"
    port = free_port()
    env = dict(pw.env, NOTIFY_SOCKET=str(notify.path))
    args = [
        "pw-jack",
        engine.find_krd(),
        "--port",
        str(port),
        "--state",
        str(state),
        "--name",
        "krd-pw",
    ]
    log = Path(tempfile.mkdtemp()) / "krd.log"
    proc = engine.Process(args, log, env)
    listener = Listener(env=pw.env, wrapper=["pw-jack"])
    s = None
    try:
        notify.wait_for("READY=1", 30)
        s = kr.Session(port=port)
        s.node("tone", TONE)
        wait_until("kr-ext:in_1 exists", lambda: "kr-ext:in_1" in pw.connections(), 15)
        assert pw.jack(["jack_connect", "krd-pw:tone/out_1", "kr-ext:in_1"]).returncode == 0
        assert listener.hears_sound(10), "the tone reaches another client through PipeWire"
        time.sleep(1.5)  # the patchbay is saved

        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait()
        s.close()
        wait_until("krd's ports are gone", lambda: "krd-pw:tone/out_1" not in pw.connections(), 10)
        proc = engine.Process(args, log, env)
        s = kr.Session(port=port)
        wait_until(
            "the connection is back",
            lambda: "kr-ext:in_1" in pw.connections().get("krd-pw:tone/out_1", set()),
            30,
        )
        assert listener.hears_sound(10)

        # PipeWire itself dies and comes back: krd waits for it and remakes the connection.
        pw.proc.proc.kill()
        pw.proc.proc.wait()
        listener.stop()
        pw.start()
        listener = Listener(env=pw.env, wrapper=["pw-jack"])
        wait_until(
            "the connection is back after PipeWire's restart",
            lambda: "kr-ext:in_1" in pw.connections().get("krd-pw:tone/out_1", set()),
            30,
        )
        assert listener.hears_sound(10)
        assert proc.alive(), "krd never exited"
    finally:
        if s is not None:
            s.close()
        listener.stop()
        proc.stop()
        pw.stop()
