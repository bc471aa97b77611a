"""`kr.Client`'s transport against stand-in servers (no krd): TCP framing with replies of any size
and in any pieces, replies for other ids and notifications skipped, a reconnection when the
engine closed the connection, the UDP fallback when TCP is refused, and every failure a
`KrError` that says what happened (never a bare OSError)."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kr import _kr
from kr.client import MAX_PACKET, Client
from kr.errors import EngineTimeout, EngineUnavailable, KrError, RequestError

# ---- OSC, enough to answer as krd does --------------------------------------------------------


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (4 - len(b) % 4)


def osc(address: str, *args: str | int | float) -> bytes:
    """An OSC message: str is `s`, int is `h` (int64, as request ids are), float is `f`."""
    tags, data = ",", b""
    for a in args:
        if isinstance(a, str):
            tags, data = tags + "s", data + _pad(a.encode())
        elif isinstance(a, int):
            tags, data = tags + "h", data + struct.pack(">q", a)
        else:
            tags, data = tags + "f", data + struct.pack(">f", a)
    return _pad(address.encode()) + _pad(tags.encode()) + data


def framed(packet: bytes) -> bytes:
    return len(packet).to_bytes(4, "big") + packet


Answer = Callable[[str, int], list[bytes]]
"""What a stand-in engine sends for a request (its address and id): packets, unframed."""


def pong(address: str, rid: int) -> list[bytes]:
    return [osc("/kr/done", address, rid, "pong")]


def node_new(name: str, size: int) -> dict[str, Any]:
    """The fields of a `node_new` of about `size` bytes."""
    source = {"faust": "process = 0;" + " " * size}
    return {"name": name, "source": source, "count": 1, "gain": 1.0, "meta": ""}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def tcp_engine(
    answer: Answer, close_after: int | None = None, chunk: int | None = None
) -> Iterator[tuple[int, list[int]]]:
    """A TCP server on a free port answering each request with `answer`; with `close_after`,
    it closes each connection after that many requests (as a krd that stops does); with
    `chunk`, it writes in pieces of that many bytes. Yields the port and a list that counts
    the connections accepted."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[int] = []

    def serve(conn: socket.socket) -> None:
        buf, served = b"", 0
        conn.settimeout(0.1)
        with conn:
            while not stop.is_set():
                try:
                    data = conn.recv(1 << 16)
                except TimeoutError:
                    continue
                if not data:
                    return
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "big"):
                    size = int.from_bytes(buf[:4], "big")
                    packet, buf = buf[4 : 4 + size], buf[4 + size :]
                    out = b"".join(
                        framed(p)
                        for address, args in _kr.decode_packet(packet)
                        for p in answer(address, int(args[0]))
                    )
                    step = chunk or max(1, len(out))
                    for at in range(0, len(out), step):
                        conn.sendall(out[at : at + step])
                    served += 1
                    if close_after is not None and served >= close_after:
                        return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextmanager
def udp_engine(port: int) -> Iterator[None]:
    """A UDP-only stand-in engine (krd with `osc.tcp` off): status and pings."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(1 << 16)
            except TimeoutError:
                continue
            for address, args in _kr.decode_packet(data):
                if address == "/kr/status":
                    sock.sendto(osc("/kr/status.reply", json.dumps({"ok": True})), peer)
                else:
                    sock.sendto(osc("/kr/done", address, int(args[0]), "pong"), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        sock.close()


# ---- the tests -------------------------------------------------------------------------------


def test_a_reply_of_any_size_in_any_pieces_among_other_messages() -> None:
    big = "x" * 3_000_000  # a dump of thousands of nodes

    def answer(address: str, rid: int) -> list[bytes]:
        return [
            osc("/kr/notify/state", 7, "/kr/set", "a/b = 1"),  # a notification
            osc("/kr/done", address, rid + 1000, "someone else's"),  # another id
            osc("/kr/late", address, rid, 0.5),
            b"not OSC at all",
            osc("/kr/done", address, rid, "state", big),
        ]

    with tcp_engine(answer, chunk=70_001) as (port, accepted):
        c = Client(port=port)
        try:
            for _ in range(2):
                reply = c.request_reply("dump", {}, timeout=10)
                assert reply.message == "state" and reply.extra == [big]
            assert c.transport == "tcp" and len(accepted) == 1, "one connection for all"
        finally:
            c.close()


def test_a_bundle_waits_for_every_reply() -> None:
    with tcp_engine(pong) as (port, _):
        c = Client(port=port)
        try:
            replies = c.bundle([("ping", {}), ("get", {"path": "tempo"}), ("ping", {})])
            assert [r.message for r in replies] == ["pong"] * 3
        finally:
            c.close()


def test_the_engines_refusal_is_a_request_error_with_its_reason() -> None:
    def refuse(address: str, rid: int) -> list[bytes]:
        return [osc("/kr/fail", address, rid, "no node named 'ghost'")]

    with tcp_engine(refuse) as (port, _):
        c = Client(port=port)
        try:
            with pytest.raises(RequestError, match="no node named 'ghost'"):
                c.request("get", {"path": "ghost/x"})
        finally:
            c.close()


def test_a_closed_connection_is_made_again_for_the_next_request() -> None:
    """krd restarted between two requests: the second goes on a new connection."""
    with tcp_engine(pong, close_after=1) as (port, accepted):
        c = Client(port=port)
        try:
            for _ in range(3):
                assert c.request_reply("ping", {}).message == "pong"
            assert len(accepted) == 3
        finally:
            c.close()


def test_a_connection_lost_under_a_request_says_so() -> None:
    with tcp_engine(lambda address, rid: [], close_after=1) as (port, _):
        c = Client(port=port)
        try:
            with pytest.raises(EngineUnavailable, match="closed the connection before") as e:
                c.request("ping", {}, timeout=5)
            assert not isinstance(e.value, OSError)
        finally:
            c.close()


def test_no_engine_at_all() -> None:
    port = free_port()
    c = Client(port=port)
    try:
        with pytest.raises(EngineUnavailable) as e:
            c.request("ping", {})
        assert f"127.0.0.1:{port}" in str(e.value) and "is it running" in str(e.value)
        assert c.status(0.2) is None
    finally:
        c.close()


def test_connected_but_no_answer_is_a_timeout_not_is_it_running() -> None:
    with tcp_engine(lambda address, rid: []) as (port, _):
        c = Client(port=port)
        try:
            with pytest.raises(EngineTimeout) as e:
                c.request("dump", {}, timeout=0.3)
            text = str(e.value)
            assert "is it running" not in text and "/kr/dump" in text and "0.3 s" in text
            assert isinstance(e.value, KrError) and not isinstance(e.value, OSError)
        finally:
            c.close()


def test_a_packet_over_the_limit_is_refused_before_sending() -> None:
    c = Client(port=9)  # nothing is sent
    requests: list[tuple[str, dict[str, Any]]] = [
        ("node_new", node_new(f"n{i}", 200_000)) for i in range(6)
    ]
    try:
        with pytest.raises(RequestError, match=f"exceeds the limit of {MAX_PACKET} .*in parts"):
            c.bundle(requests)
    finally:
        c.close()


def test_udp_when_tcp_is_refused_and_udp_answers() -> None:
    port = free_port()
    with udp_engine(port):
        c = Client(port=port)
        try:
            assert c.request_reply("ping", {}).message == "pong"
            assert c.transport == "udp"
            with pytest.raises(KrError, match="too large for a UDP datagram") as e:
                c.request("node_new", node_new("n", 70_000))
            assert not isinstance(e.value, OSError)
            assert c.request_reply("ping", {}).message == "pong"
        finally:
            c.close()


def test_an_unknown_host_is_engine_unavailable() -> None:
    with pytest.raises(EngineUnavailable, match="no-such-host.invalid"):
        Client("no-such-host.invalid", 57140)
