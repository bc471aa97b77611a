"""A JACK MIDI peer for the tests: a client of its own that records what reaches its input, with
the JACK frame of each message, and sends messages from its output at frames it reports."""

from __future__ import annotations

import threading
import time

import jack


class MidiPeer:
    """Records `(frame, bytes)` from `in`; sends queued messages from `out` at a chosen offset of
    the next cycle, noting the frame each one left at."""

    _made = 0

    def __init__(self, name: str) -> None:
        # A name of its own each time: krd's patchbay remakes the connections its ports had, so
        # a peer named as an earlier one would find that one's connections (and a feedback loop
        # between krd and the peer would put one of them a period late).
        MidiPeer._made += 1
        self.client = jack.Client(f"{name}-{MidiPeer._made}", no_start_server=True)
        self.rate = self.client.samplerate
        self.inport = self.client.midi_inports.register("in")
        self.outport = self.client.midi_outports.register("out")
        self.received: list[tuple[int, bytes]] = []
        self._lock = threading.Lock()
        self._queue: list[tuple[int, bytes, threading.Event, list[int]]] = []
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        for offset, data in self.inport.incoming_midi_events():
            self.received.append((start + offset, bytes(data)))
        self.outport.clear_buffer()
        with self._lock:
            queue, self._queue = self._queue, []
        for offset, data, sent, frame in sorted(queue, key=lambda q: q[0]):
            at = min(offset, frames - 1)
            self.outport.write_midi_event(at, data)
            frame.append(start + at)
            sent.set()

    def send(self, data: bytes, offset: int = 0) -> int:
        """Send `data` at `offset` of the next cycle; returns the JACK frame it left at."""
        sent, frame = threading.Event(), []
        with self._lock:
            self._queue.append((offset, data, sent, frame))
        assert sent.wait(5), "the peer's process callback did not run"
        return frame[0]

    def listen_to(self, port: str) -> None:
        self.client.connect(port, self.inport)

    def feed(self, port: str) -> None:
        self.client.connect(self.outport, port)
        # JACK settles the processing order (peer before krd) a few cycles after a connection.
        time.sleep(0.2)

    def messages(self, first_byte: int | None = None) -> list[tuple[int, bytes]]:
        got = list(self.received)
        return [m for m in got if first_byte is None or m[1][0] == first_byte]

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
