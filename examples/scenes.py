"""Scenes, transitions, batches and export (the krach scenes page), for `kr.load` or `python`.

    python examples/scenes.py      # plays the verse, then fades into the chorus over 4 bars
"""

import time

import kr
from kr import krs


@kr.dsp
def kick() -> krs.Signal:
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    env = krs.adsr(0.001, 0.25, 0.0, 0.05, gate)
    return krs.sine_osc(55.0 + env * 200.0) * env * 0.9


@kr.dsp
def acid_bass() -> krs.Signal:
    freq = krs.control("freq", 55.0, 20.0, 800.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
    env = krs.adsr(0.005, 0.15, 0.3, 0.08, gate)
    return krs.lowpass(krs.saw(freq), cutoff) * env * 0.55


with kr.batch():  # one atomic bundle: both nodes appear at the same frame
    kr.node("drums/kick", kick, gain=0.8)
    kr.node("bass", acid_bass, gain=0.3)

kr.tempo = 128
kr.play("drums/kick", kr.hit() * 4)
kr.play("bass", kr.seq("A2", "D3", None, "E2").over(2))
kr.save("verse")

kr.play("drums/kick", kr.hit() * 8)
kr.play("bass", kr.seq("A3", "C3", "E3", "G3"))
kr["bass"]["cutoff"] = 2400  # type: ignore[index]
kr.save("chorus")

if __name__ == "__main__":
    kr.recall("verse")
    time.sleep(8)
    with kr.transition(bars=4):
        kr.recall("chorus")  # controls and gains fade over 4 bars
    time.sleep(10)
    kr.export("scenes_session.py")
    kr.stop()
