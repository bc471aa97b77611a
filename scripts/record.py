"""Record JACK ports to a WAV file (float32), and report the JACK frame of the first sample.

Used by `make demo` and by the end-to-end tests (imported as a module there):

    python scripts/record.py --seconds 10 --out demo.wav krd:master/out_1 krd:master/out_2
"""

from __future__ import annotations

import argparse
import threading
import time
import wave

import jack
import numpy as np


class Recorder:
    """A JACK client that copies its inputs into a preallocated buffer."""

    def __init__(self, ports: list[str], seconds: float, name: str = "kr-rec") -> None:
        self.client = jack.Client(name, no_start_server=True)
        self.rate = self.client.samplerate
        self.data = np.zeros((len(ports), int(seconds * self.rate)), dtype=np.float32)
        self.pos = 0
        self.first_frame: int | None = None
        # Cycles whose JACK frame time did not follow the previous one (xruns); the frames in
        # between were processed by no client and stay silent in `data`.
        self.gaps = 0
        # (start, end) sample ranges of `data` that no cycle filled.
        self.holes: list[tuple[int, int]] = []
        self._next_frame: int | None = None
        # JACK settles the processing order a few cycles after a connection; until then this
        # client may run before its source and read a stale buffer, so those cycles are skipped.
        self._settle = -1
        self.done = threading.Event()
        self.sources = ports
        self.inports = [self.client.inports.register(f"in_{i + 1}") for i in range(len(ports))]
        self.client.set_process_callback(self._process)

    def _process(self, frames: int) -> None:
        if self._settle < 0:  # not connected yet
            return
        if self._settle > 0:
            self._settle -= 1
            return
        now = self.client.last_frame_time
        if self.first_frame is None:
            self.first_frame = now
        elif now != self._next_frame:
            self.gaps += 1
            if self._next_frame is not None:
                self.holes.append(
                    (
                        (self._next_frame - self.first_frame) & 0xFFFFFFFF,
                        (now - self.first_frame) & 0xFFFFFFFF,
                    )
                )
        self._next_frame = now + frames
        # Each block goes at its own frame: sample i of `data` is JACK frame first_frame + i even
        # when cycles were skipped (those frames stay silent, as they were for every client).
        offset = (now - self.first_frame) & 0xFFFFFFFF
        if offset >= self.data.shape[1]:
            self.done.set()
            return
        n = min(frames, self.data.shape[1] - offset)
        for i, p in enumerate(self.inports):
            self.data[i, offset : offset + n] = p.get_array()[:n]
        self.pos = offset + n

    def start(self) -> None:
        self.client.activate()
        for src, dst in zip(self.sources, self.inports, strict=True):
            self.client.connect(src, dst)
        self._settle = 4

    def wait(self, timeout: float) -> None:
        self.done.wait(timeout)
        self.client.deactivate()
        self.client.close()

    def write_wav(self, path: str) -> None:
        pcm = (np.clip(self.data[:, : self.pos], -1, 1) * 32767).astype("<i2")
        with wave.open(path, "wb") as w:
            w.setnchannels(self.data.shape[0])
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(pcm.T.tobytes())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("ports", nargs="+")
    a = ap.parse_args()
    deadline = time.monotonic() + 10
    while True:
        try:
            rec = Recorder(a.ports, a.seconds)
            rec.start()
            break
        except jack.JackError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    rec.wait(a.seconds + 5)
    rec.write_wav(a.out)
    peak = float(np.abs(rec.data[:, : rec.pos]).max()) if rec.pos else 0.0
    print(f"recorded {rec.pos / rec.rate:.1f} s to {a.out} (peak {peak:.3f})")


if __name__ == "__main__":
    main()
