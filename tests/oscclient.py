"""An independent OSC client for the protocol tests (python-osc, not kr's own encoder)."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

Arg = tuple[str, Any]  # (OSC type tag, value)


def message(address: str, *args: Any) -> OscMessageBuilder:
    """Build a message; an arg is a value (type inferred) or a (tag, value) pair."""
    b = OscMessageBuilder(address)
    for a in args:
        if isinstance(a, tuple):
            b.add_arg(a[1], a[0])
        else:
            b.add_arg(a)
    return b


def bundle(messages: list[OscMessageBuilder], when: float | None = None) -> bytes:
    bb = OscBundleBuilder(IMMEDIATELY if when is None else when)
    for m in messages:
        bb.add_content(m.build())
    return bb.build().dgram


def parse(data: bytes) -> list[tuple[str, list[Any]]]:
    if OscBundle.dgram_is_bundle(data):
        return [(m.message.address, list(m.message.params)) for m in OscPacket(data).messages]
    m = OscMessage(data)
    return [(m.address, list(m.params))]


class Udp:
    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.connect(("127.0.0.1", port))

    def send(self, data: bytes) -> None:
        self.sock.send(data)

    def recv(self, timeout: float = 5.0) -> tuple[str, list[Any]]:
        self.sock.settimeout(timeout)
        return parse(self.sock.recv(1 << 20))[0]

    def drain(self) -> None:
        self.sock.settimeout(0.05)
        try:
            while True:
                self.sock.recv(1 << 20)
        except (TimeoutError, BlockingIOError):
            pass

    def ask(self, address: str, *args: Any, timeout: float = 30.0) -> tuple[str, list[Any]]:
        self.send(message(address, *args).build().dgram)
        return self.recv(timeout)

    def close(self) -> None:
        self.sock.close()


class Tcp:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))

    def send(self, data: bytes) -> None:
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def recv(self, timeout: float = 5.0) -> tuple[str, list[Any]]:
        self.sock.settimeout(timeout)
        head = self._exact(4)
        return parse(self._exact(struct.unpack(">I", head)[0]))[0]

    def _exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def ask(self, address: str, *args: Any, timeout: float = 30.0) -> tuple[str, list[Any]]:
        self.send(message(address, *args).build().dgram)
        return self.recv(timeout)

    def close(self) -> None:
        self.sock.close()


def wait_until(pred: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False
