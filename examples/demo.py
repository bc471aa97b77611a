"""The krach README's first example, played for ten seconds (`make demo`)."""

import time

import kr
from kr import krs


def acid_bass() -> krs.Signal:
    freq = krs.control("freq", 55.0, 20.0, 800.0)
    gate = krs.control("gate", 0.0, 0.0, 1.0)
    cutoff = krs.control("cutoff", 800.0, 100.0, 4000.0)
    env = krs.adsr(0.005, 0.15, 0.3, 0.08, gate)
    return krs.lowpass(krs.saw(freq), cutoff) * env * 0.55


def reverb(inp: krs.Signal) -> krs.Signal:
    room = krs.control("room", 0.7, 0.0, 1.0)
    return krs.reverb(inp, room) * 0.8


bass = kr.node("bass", acid_bass, gain=0.3)
verb = kr.node("verb", reverb, gain=0.3)
bass >> (verb, 0.4)  # route with send level
bass @ kr.seq("A2", "D3", None, "E2").over(2)  # play pattern
bass @ ("cutoff", kr.sine(200, 2000).over(4))  # modulate control
# Drums from the bundled sample banks (`make samples`), as TidalCycles plays them: orbit 0.
kr.play("orbit0", kr.s("bd*2 [~ sn] hh*3 cp"))

if __name__ == "__main__":
    time.sleep(10)
    kr.hush()
