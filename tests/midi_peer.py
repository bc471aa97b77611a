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
        # MIDI clock sent from this frame on, a tick every `_tick` frames (None: no clock).
        self._clock: tuple[int, float] | None = None
        self._next_tick = 0
        # xruns JACK reported while this peer ran: a cycle the peer was late for carried none of
        # the messages it wrote then.
        self.xruns = 0
        self.client.set_xrun_callback(self._xrun)
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _xrun(self, delayed_usecs: float) -> None:
        self.xruns += 1

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        for offset, data in self.inport.incoming_midi_events():
            self.received.append((start + offset, bytes(data)))
        self.outport.clear_buffer()
        with self._lock:
            queue, self._queue = self._queue, []
        events = [(min(at, frames - 1), data, sent, frame) for at, data, sent, frame in queue]
        clock = self._clock
        if clock is not None:
            anchor, tick = clock
            while True:
                at = round(anchor + self._next_tick * tick) - start
                if at >= frames:
                    break
                if at >= 0:
                    events.append((at, b"\xf8", threading.Event(), []))
                self._next_tick += 1
        for at, data, sent, frame in sorted(events, key=lambda e: e[0]):
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

    def send_many(self, messages: list[bytes]) -> None:
        """Send `messages` in one cycle, spread over its frames (in order)."""
        sent = threading.Event()
        step = max(1, self.client.blocksize // max(1, len(messages)))
        with self._lock:
            for i, data in enumerate(messages):
                self._queue.append((min(i * step, self.client.blocksize - 1), data, sent, []))
        assert sent.wait(5), "the peer's process callback did not run"

    def send_clock(self, bpm: float | None) -> None:
        """Send MIDI clock at `bpm` (ticks at exact frames from the next cycle on), or stop."""
        self._next_tick = 0
        frame = self.client.frame_time + self.client.blocksize
        self._clock = None if bpm is None else (frame, self.rate * 60 / (24 * bpm))

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
