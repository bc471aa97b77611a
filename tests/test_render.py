"""`krd render`: the engine offline — same session, scheduler and graph code as live — writes
exact, deterministic audio."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from audio import read_wav

SCORE = """
duration: 3
commands:
  - at: 0
    cmd: tempo
    bpm: 150
  - at: 0
    cmd: node_new
    name: probe
    source: |
      freq = hslider("freq", 0, 0, 20000, 0.001);
      gate = hslider("gate", 0, 0, 1, 1);
      process = freq * gate * 0.001;
  - at: {cycle: 0}
    cmd: play
    target: probe
    pattern: "a2 [d3 e3] ~ a3"
  - at: 2.0
    cmd: set
    path: probe/gain
    value: 0
"""


def render(score: str, *args: str, config: str | None = None) -> np.ndarray:
    """`krd render` of `score` (YAML or JSON), with `config` as its krd.yaml if given."""
    d = Path(tempfile.mkdtemp())
    (d / "score.yaml").write_text(score)
    out = d / "out.wav"
    options: list[str] = []
    if config is not None:
        (d / "krd.yaml").write_text(config)
        options = ["--config", str(d / "krd.yaml")]
    subprocess.run(
        [os.environ["KR_KRD"], *options, "render", str(d / "score.yaml"), "-o", str(out), *args],
        check=True,
        capture_output=True,
    )
    rate, x = read_wav(str(out))
    assert rate == 48000
    return x


def test_render_is_sample_exact_and_deterministic() -> None:
    x = render(SCORE)
    assert len(x) == 3 * 48000
    left = x[:, 0]
    onsets = [i for i in range(1, len(left)) if left[i] != 0 and left[i - 1] == 0]
    if left[0] != 0:
        onsets.insert(0, 0)
    cycle = 48000 * 60 / 150 * 4  # frames per cycle at 150 bpm
    expected = [round(c * cycle) for c in (0, 1 / 4, 3 / 8, 3 / 4)]
    assert onsets[:4] == expected
    # Pitches: A2 = 110 Hz, D3 = 146.83, E3 = 164.81, A3 = 220 (output = freq / 1000, mono -3 dB).
    heard = [left[f] / np.sqrt(0.5) / 0.8 * 1000 for f in expected]  # master starts at 0.8
    assert np.allclose(heard, [110, 146.832, 164.814, 220], atol=0.01), heard
    assert np.abs(x[int(2.1 * 48000) :]).max() < 1e-6, "the gain set at 2 s silences the rest"
    assert np.array_equal(x, render(SCORE)), "two renders are identical"
    assert np.array_equal(x, render(SCORE, "--block", "17")), "the block size changes nothing"


def test_a_bad_score_says_which_command_failed() -> None:
    bad = SCORE.replace("path: probe/gain", "path: probe/nope")
    d = Path(tempfile.mkdtemp())
    (d / "s.yaml").write_text(bad)
    r = subprocess.run(
        [os.environ["KR_KRD"], "render", str(d / "s.yaml"), "-o", str(d / "o.wav")],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "score command 3 (/kr/set)" in r.stderr and "no control 'nope'" in r.stderr, r.stderr
