"""Sessions of any size: a 300-node session built from Python (batches of 100), read back,
exported and loaded into a fresh engine; reads that do not fetch the whole session (their cost
with 5 and with 500 nodes is printed: run with `-s` to see it; timings are never asserted).

These engines raise krd's node limit (256 by default) with a configuration file."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import free_port
from test_api_export import comparable

import kr
from kr.complete import paths

# One small program: every node shares one compiled factory.
TONE = 'process = hslider("freq", 220, 20, 2000, 0.01) * 0.000001;'


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("scale") / "krd.yaml"
    file.write_text("engine:\n  max_nodes: 1000\n")
    return file


def start(config: Path) -> kr.Session:
    """A session with a krd of its own: empty, no state file, up to 1000 nodes."""
    s = kr.Session(port=free_port(), krd_args=["--no-state", "--config", str(config)])
    s.status()  # starts krd
    return s


def clear(s: kr.Session) -> None:
    s.hush()
    names = s.nodes()
    for at in range(0, len(names), 500):
        with s.batch():
            for name in names[at : at + 500]:
                s.remove(name)
    s.tempo = 120
    s.meter = 4
    s.master = 0.8


@pytest.fixture(scope="module")
def big_engine(jack_server: str, config: Path) -> Iterator[kr.Session]:
    s = start(config)
    yield s
    s.close()


@pytest.fixture
def big(big_engine: kr.Session) -> Iterator[kr.Session]:
    """The big engine, emptied before and after the test."""
    clear(big_engine)
    yield big_engine
    clear(big_engine)


@pytest.fixture
def fresh_big(jack_server: str, config: Path) -> Iterator[kr.Session]:
    s = start(config)
    yield s
    s.close()


def add_nodes(s: kr.Session, first: int, count: int) -> None:
    """Nodes `n<first>`... in batches of 100 (one bundle each), `freq` set to 100 + index."""
    for at in range(first, first + count, 100):
        with s.batch():
            for i in range(at, min(at + 100, first + count)):
                s.node(f"n{i}", TONE, gain=0.5, freq=100 + i)


def test_a_300_node_session_is_built_read_exported_and_loaded(
    big: kr.Session, fresh_big: kr.Session, tmp_path: Path
) -> None:
    s = big
    s.tempo = 133.3  # read back through a 32-bit float: still 133.3
    s.meter = 3
    add_nodes(s, 0, 300)
    with s.batch():
        s.play("n7", "a2 e3")
        s.play("n8/freq", kr.sine(200, 800).over(2))
        s.mute("n9")
        s["n10/gain"] = 0.25

    names = sorted(f"n{i}" for i in range(300))
    assert s.nodes() == names
    node = s["n123"]
    assert isinstance(node, kr.Node) and node.name == "n123"
    assert node["freq"] == pytest.approx(223)
    assert s["n123/freq"] == pytest.approx(223)
    assert s["n10/gain"] == pytest.approx(0.25)
    assert sorted(node.controls()) == ["freq", "gain"]
    assert "n299" in s and "n300" not in s
    with pytest.raises(KeyError):
        s["n300"]
    assert (s.tempo, s.meter) == (133.3, 3)
    info = s["n8"].state()  # type: ignore[union-attr]
    assert info["patterns"] == ["n8/freq"] and info["gain"] == pytest.approx(0.5)
    assert {"n123", "n123/freq", "n123/gain"} <= set(paths(s, "n12"))

    state = s.dump()
    assert len(state["nodes"]) == 300
    file = s.export(tmp_path / "big.py")
    assert file.read_text().count("kr.node(") == 300
    fresh_big.load(file)
    assert comparable(fresh_big.dump()) == comparable(state)


def median_ms(read: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        read()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def test_reads_cost_the_same_with_5_or_500_nodes(big: kr.Session) -> None:
    s = big
    reads: dict[str, Callable[[], object]] = {
        "kr.tempo": lambda: s.tempo,
        'kr["n3"]': lambda: s["n3"],
        'kr["n3/freq"]': lambda: s["n3/freq"],
        "kr.nodes()": s.nodes,
        "kr.dump()": s.dump,
    }
    rows: dict[str, list[float]] = {name: [] for name in reads}
    for size in (5, 500):
        add_nodes(s, len(s.nodes()), size - len(s.nodes()))
        assert len(s.nodes()) == size and s.tempo == 120 and s["n3/freq"] == pytest.approx(103)
        for name, read in reads.items():
            rows[name].append(median_ms(read, 20 if name == "kr.dump()" else 200))
    print("\nread (median ms)       5 nodes   500 nodes")
    for name, (few, many) in rows.items():
        print(f"{name:<20} {few:9.3f} {many:11.3f}")
