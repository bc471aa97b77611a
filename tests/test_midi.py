"""MIDI through JACK: a test peer (a JACK client of its own) receives krd's MIDI and sends it
controllers and notes. Notes and clock ticks land on their exact frames, controllers and notes
in move controls and voices at the frame they arrived, and the mappings are part of the session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from audio import largest_step, zero_crossing_hz
from midi_peer import MidiPeer
from record import Recorder
from test_clicks import KEYS

import kr
from kr.errors import RequestError


@pytest.fixture
def peer(kr_clean: None) -> Iterator[MidiPeer]:
    p = MidiPeer("kr-test-midi")
    yield p
    p.close()


def client() -> str:
    return str(kr.dump()["client"])


class Grid:
    """The cycle ↔ frame map krd reports (`/kr/dump`'s clock), exactly as krd computes it."""

    def __init__(self) -> None:
        c = kr.dump()["clock"]
        self.origin, self.cps, self.rate = c["origin_frame"], c["cps"], c["sample_rate"]
        self.oc = Fraction(*c["origin_cycle"])

    def frame(self, cycle: Fraction) -> int:
        return max(0, round(self.origin + float(cycle - self.oc) / self.cps * self.rate))

    def cycle(self, frame: int) -> float:
        return float(self.oc) + (frame - self.origin) / self.rate * self.cps


def test_pattern_notes_leave_at_their_exact_frames(peer: MidiPeer) -> None:
    kr.tempo = 173
    kr.midi_out("synth", channel=3)
    peer.listen_to(f"{client()}:synth/midi_out")
    kr.play("synth", kr.note("c4 e4 g4 ~").velocity(0.5))
    grid = Grid()
    time.sleep(2.5)
    kr.hush()
    time.sleep(0.3)
    ons = peer.messages(0x92)
    offs = peer.messages(0x82)
    assert len(ons) >= 4, f"few notes reached the peer: {peer.messages()[:8]}"
    for frame, data in ons:
        quarter = Fraction(round(grid.cycle(frame) * 4), 4)
        onset = grid.frame(quarter)
        assert frame == onset, f"note-on at {frame}, its onset is {onset}"
        step = int(quarter * 4) % 4
        assert step != 3, "the rest sent a note"
        assert data == bytes([0x92, [60, 64, 67][step], 64]), data.hex()
        # The default legato is half the event: the note-off follows 1/8 cycle later (krd
        # rounds the note's length in frames).
        off = frame + round(1 / 8 / grid.cps * grid.rate)
        assert (off, bytes([0x82, data[1], 0])) in offs, f"no note-off at {off} for {data.hex()}"


def test_controllers_and_programs_from_a_pattern(peer: MidiPeer) -> None:
    kr.tempo = 240
    kr.midi_out("synth")
    peer.listen_to(f"{client()}:synth/midi_out")
    kr.play("synth", kr.s("x").ccn(74).ccv("<10 90>").progNum(5))
    time.sleep(2.5)
    kr.hush()
    ccs = [d for _, d in peer.messages(0xB0)]
    programs = [d for _, d in peer.messages(0xC0)]
    assert bytes([0xB0, 74, 10]) in ccs and bytes([0xB0, 74, 90]) in ccs, ccs
    assert programs and all(p == bytes([0xC0, 5]) for p in programs)
    assert not peer.messages(0x90), "no pitch, no note"


def test_clock_ticks_a_24th_of_a_beat_apart_across_a_tempo_change(peer: MidiPeer) -> None:
    kr.tempo = 137
    peer.listen_to(f"{client()}:midi_clock")
    kr.midi_clock("start")
    time.sleep(2.0)
    grid = Grid()
    kr.tempo = 90
    time.sleep(1.5)
    kr.midi_clock("stop")
    time.sleep(0.3)
    ticks = [f for f, d in peer.messages(0xF8)]
    starts = peer.messages(0xFA)
    assert len(starts) == 1, "one Start"
    start = starts[0][0]
    on_boundary = Fraction(round(grid.cycle(start) * 1000), 1000).denominator == 1
    assert on_boundary, "Start on a cycle boundary"
    assert start in ticks, "a tick on the Start's frame"
    assert peer.messages(0xFC), "Stop reached the peer"
    ticks = [f for f in ticks if f >= start]
    gaps = np.diff(ticks)
    fast, slow = grid.rate * 60 / (137 * 24), grid.rate * 60 / (90 * 24)
    # A run of ticks 1/24 beat apart at 137 bpm, at most one tick between (its interval spans
    # the change: ticks stay on the beat grid), then a run at 90 bpm; each run on its line.
    is_fast = [abs(g - fast) <= 1 for g in gaps]
    is_slow = [abs(g - slow) <= 1 for g in gaps]
    first_slow = is_slow.index(True)
    last_fast = len(is_fast) - 1 - is_fast[::-1].index(True)
    seen = sorted(set(gaps.tolist()))
    assert last_fast < first_slow and first_slow - last_fast <= 2, f"gaps {seen}"
    assert all(is_fast[: last_fast + 1]) and all(is_slow[first_slow:]), "a gap off the grid"
    for run, spacing in ((ticks[: last_fast + 2], fast), (ticks[first_slow:], slow)):
        line = run[0] + spacing * np.arange(len(run))
        assert np.max(np.abs(np.array(run) - line)) <= 1.0, "ticks drift from their line"


def test_continue_sends_the_song_position(peer: MidiPeer) -> None:
    kr.tempo = 240
    peer.listen_to(f"{client()}:midi_clock")
    kr.midi_clock("start")
    time.sleep(1.5)
    kr.midi_clock("stop")
    time.sleep(0.3)
    kr.midi_clock("continue")
    time.sleep(2.5)
    start = peer.messages(0xFA)[0][0]
    spp = peer.messages(0xF2)
    cont = peer.messages(0xFB)
    assert spp and cont and spp[0][0] == cont[0][0], "Song Position and Continue together"
    grid = Grid()
    cycles = round(grid.cycle(cont[0][0]) - grid.cycle(start))
    sixteenths = spp[0][1][1] | (spp[0][1][2] << 7)
    assert sixteenths == cycles * 4 * 4, f"{sixteenths} sixteenths after {cycles} cycle(s)"


PROBE = (
    'cutoff = hslider("cutoff", 100, 20, 20000, 0.01); freq = hslider("freq", 0, 0, 20000, 0.001);'
    'velocity = hslider("velocity", 0, 0, 1, 0.001); gate = hslider("gate", 0, 0, 1, 1);'
    "process = cutoff * 0.0001, freq * gate * velocity * 0.001;"
)


# The probe as a note voice: silent while its gate is down (PROBE's first output is not), so a
# note takes a free voice at its own frame (a voice still sounding fades out first: 3 ms later).
NOTE_PROBE = PROBE.replace("process = cutoff * 0.0001,", "process = cutoff * gate * 0.0001,")


def start_recording(port: str, seconds: float) -> Recorder:
    rec = Recorder([port], seconds, name="kr-test-midi-tap")
    rec.start()
    time.sleep(0.3)
    return rec


def first_frame_where(rec: Recorder, pred: np.ndarray) -> int:
    assert rec.first_frame is not None
    hits = np.flatnonzero(pred[: rec.pos])
    assert len(hits), "never"
    return int(rec.first_frame + hits[0])


def test_a_mapped_controller_moves_its_control_at_the_frame_it_arrived(peer: MidiPeer) -> None:
    kr.node("probe", PROBE)
    kr.midi_map(74, "probe/cutoff", 200, 4000, channel=2)
    peer.feed(f"{client()}:midi_in")
    rec = start_recording(f"{client()}:probe/out_1", 1.5)
    peer.send(bytes([0xB0, 74, 127]))  # channel 1: not mapped
    time.sleep(0.1)
    sent = peer.send(bytes([0xB1, 74, 127]), offset=37)
    rec.wait(5)
    x = rec.data[0]
    assert first_frame_where(rec, np.abs(x - 0.4) < 1e-6) == sent
    assert x[: sent - rec.first_frame].max() < 0.0101, "the other channel moved it"
    time.sleep(0.1)
    assert kr.get("probe/cutoff") == pytest.approx(4000)
    peer.send(bytes([0xB1, 74, 0]))
    time.sleep(0.2)
    assert kr.get("probe/cutoff") == pytest.approx(200), "the model follows the controller"


def test_learning_maps_the_next_controller_moved(peer: MidiPeer) -> None:
    kr.node("probe", PROBE)
    peer.feed(f"{client()}:midi_in")
    kr.midi_learn("probe/cutoff", 100, 1000)
    assert kr.status()["midi"]["learning"] == "probe/cutoff"
    peer.send(bytes([0xB4, 21, 5]))
    time.sleep(0.2)
    maps = kr.midi_maps()["controls"]
    assert maps == [{"cc": 21, "channel": 5, "path": "probe/cutoff", "lo": 100.0, "hi": 1000.0}]
    peer.send(bytes([0xB4, 21, 127]))
    time.sleep(0.2)
    assert kr.get("probe/cutoff") == pytest.approx(1000)
    assert kr.status()["midi"]["learning"] is None


def test_notes_in_play_a_nodes_voices_with_the_sustain_pedal(peer: MidiPeer) -> None:
    kr.node("probe", NOTE_PROBE, count=2)
    kr.midi_notes("probe")
    peer.feed(f"{client()}:midi_in")
    rec = start_recording(f"{client()}:probe/out_2", 2.0)
    on = peer.send(bytes([0x90, 69, 127]), offset=11)
    time.sleep(0.2)
    second = peer.send(bytes([0x90, 57, 127]), offset=5)
    time.sleep(0.2)
    off = peer.send(bytes([0x80, 69, 0]), offset=3)
    time.sleep(0.2)
    peer.send(bytes([0xB0, 64, 127]))  # sustain down
    held = peer.send(bytes([0x90, 57, 0]))  # velocity 0: a note-off, held by the pedal
    time.sleep(0.2)
    up = peer.send(bytes([0xB0, 64, 0]), offset=20)
    rec.wait(5)
    x, f0 = rec.data[0], rec.first_frame
    assert f0 is not None
    a4, a3 = 440 * 0.001, 220 * 0.001
    assert first_frame_where(rec, np.abs(x - a4) < 1e-5) == on
    assert first_frame_where(rec, np.abs(x - (a4 + a3)) < 1e-5) == second, "two voices at once"
    after_off = x[off - f0 : held - f0]
    assert np.allclose(after_off, a3, atol=1e-5), "the note-off released A4 only, at its frame"
    assert np.allclose(x[held - f0 : up - f0], a3, atol=1e-5), "the pedal held A3"
    assert np.allclose(x[up - f0 : rec.pos], 0.0, atol=1e-6), "pedal up released it at its frame"


# MIDI_STEAL_SECONDS at 48 kHz.
STEAL_FRAMES = 144


def test_a_note_taking_a_sounding_voice_fades_it_out_first(peer: MidiPeer) -> None:
    # One voice: a second key while the first is held steals it; a third key soon after the
    # second is released takes it in its release tail. Either way the voice fades out over 3 ms
    # and the new note starts then, instead of its envelope restarting under the sound.
    kr.node("keys", KEYS)
    kr.midi_notes("keys")
    peer.feed(f"{client()}:midi_in")
    rec = start_recording(f"{client()}:keys/out_1", 2.0)
    peer.send(bytes([0x90, 69, 127]))  # A4, on a silent voice
    time.sleep(0.4)
    stolen = peer.send(bytes([0x90, 76, 127]), offset=7)  # E5 while A4 is held
    time.sleep(0.4)
    peer.send(bytes([0x80, 76, 0]))
    time.sleep(0.05)  # E5's 0.3 s release still sounds
    tail = peer.send(bytes([0x90, 81, 127]), offset=3)  # A5
    rec.wait(5)
    x, f0 = rec.data[0], rec.first_frame
    assert f0 is not None
    for sent, before_hz, hz in ((stolen, 440.0, 659.26), (tail, 659.26, 880.0)):
        at, onset = sent - f0, sent - f0 + STEAL_FRAMES
        steady = largest_step(x[at - 2400 : at - 100])
        step = largest_step(x[at - 64 : onset + 48])
        assert step <= 1.1 * steady, f"a click: step {step:.4f} at {sent}, {steady:.4f} before"
        assert abs(zero_crossing_hz(x[at - 4800 : at], 48000) - before_hz) < 5
        assert np.abs(x[at - 480 : at]).max() > 0.05, "the voice sounded when the key came"
        assert np.abs(x[onset - 8 : onset]).max() < 0.01, "faded out by the new note's start"
        assert abs(zero_crossing_hz(x[onset + 2400 : onset + 9600], 48000) - hz) < 5


def test_the_tempo_follows_an_incoming_midi_clock(peer: MidiPeer) -> None:
    peer.feed(f"{client()}:midi_in")
    kr.midi_follow(True)
    peer.send_clock(97.5)
    time.sleep(1.5)
    assert kr.tempo == pytest.approx(97.5, abs=0.02)
    peer.send_clock(140)
    time.sleep(1.5)
    assert kr.tempo == pytest.approx(140, abs=0.02)
    kr.midi_follow(False)
    peer.send_clock(60)
    time.sleep(1.0)
    peer.send_clock(None)
    assert kr.tempo == pytest.approx(140, abs=0.02), "no longer following"
    assert kr.midi_maps()["follow_clock"] is False


def play_lead(peer: MidiPeer, notes: str, seconds: float) -> None:
    """Out `lead` (one cycle a second) playing full-length `notes` to the peer for `seconds`."""
    kr.tempo = 240
    kr.midi_out("lead")
    peer.listen_to(f"{client()}:lead/midi_out")
    kr.play("lead", kr.note(notes).legato(1))
    time.sleep(seconds)


def test_freeing_an_out_ends_its_notes(peer: MidiPeer) -> None:
    play_lead(peer, "c4", 1.5)
    kr.remove("lead")
    time.sleep(0.3)
    ons = peer.messages(0x90)
    offs = peer.messages(0x80)
    assert ons, "the note played"
    assert bytes([0xB0, 123, 0]) in [d for _, d in peer.messages(0xB0)], "All Notes Off"
    assert len(offs) >= len(ons), "every note-on has its note-off"
    assert "lead" not in [o["name"] for o in kr.midi_maps()["outs"]]


def test_a_muted_out_sends_no_notes_and_ends_those_it_holds(peer: MidiPeer) -> None:
    play_lead(peer, "c4 d4", 1.0)
    kr.mute("lead")
    time.sleep(0.05)  # muting takes effect from the audio thread's next block
    muted_at = len(peer.messages(0x90))
    time.sleep(1.2)
    assert len(peer.messages(0x90)) == muted_at, "a note-on left a muted out"
    assert len(peer.messages(0x80)) >= muted_at, "the held note ended"
    kr.unmute("lead")
    time.sleep(1.0)
    assert len(peer.messages(0x90)) > muted_at, "unmuted, it plays again"


def test_a_failed_bundle_sends_no_midi(peer: MidiPeer) -> None:
    kr.midi_out("lead")
    peer.listen_to(f"{client()}:lead/midi_out")
    with pytest.raises(RequestError, match="no node named 'ghost'"), kr.batch():
        kr.remove("lead")  # would send All Notes Off
        kr.set("ghost/cutoff", 1.0)
    time.sleep(0.3)
    assert not peer.messages(0xB0), "a failed bundle's MIDI went out"
    assert [o["name"] for o in kr.midi_maps()["outs"]] == ["lead"], "the out is still there"


def test_hostile_midi_input_leaves_krd_up_and_the_sound_on(peer: MidiPeer) -> None:
    """SysEx, stray data bytes, realtime bytes, thousands of controllers and more held notes
    than krd keeps: krd answers, the other node keeps sounding, the mapped control stays in its
    range, and the input was counted."""
    kr.node("tone", 'import("stdfaust.lib"); process = os.osc(330) * 0.2;')
    kr.node("probe", PROBE, count=2)
    kr.midi_map(74, "probe/cutoff", 200, 4000)
    kr.midi_notes("probe")
    kr.node("gone", PROBE)
    kr.midi_notes("gone", channel=3)
    kr.remove("gone")  # its note route stays, onto nothing
    peer.feed(f"{client()}:midi_in")
    before = kr.status()["midi"]["received"]
    xruns = peer.xruns
    rec = start_recording(f"{client()}:tone/out_1", 2.0)
    sysex = bytes([0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7])
    batches = [
        [sysex, bytes([0x40]), bytes([0x40, 0x40])],  # SysEx, stray data bytes
        [bytes([0xFE]), bytes([0xFF]), bytes([0xF8]), bytes([0x92, 60, 100])],  # realtime bytes
    ]
    # 100 messages a cycle: the peer writes them from Python in JACK's thread.
    batches += [[bytes([0xB0, 74, (k * 100 + i) % 128]) for i in range(100)] for k in range(30)]
    # 500 note-ons, none released: more than the 256 held notes krd keeps.
    notes = [bytes([0x90, n % 128, 1 + n % 127]) for n in range(500)]
    batches += [notes[k : k + 100] for k in range(0, 500, 100)]
    for batch in batches:
        peer.send_many(batch)
    rec.wait(5)
    # The SysEx and the stray data bytes are not messages krd reads: ignored, not counted.
    readable = sum(len(b) for b in batches) - 3
    # A cycle the peer was late for (an xrun) carried none of its messages: JACK lost those, not
    # krd. Every other message must have been counted, and nothing more.
    lost = 100 * (peer.xruns - xruns)
    deadline = time.monotonic() + 5  # /kr/status is posted every 20 ms: let it catch up
    counted = 0
    while time.monotonic() < deadline:
        counted = kr.status()["midi"]["received"] - before
        if counted >= readable - lost:
            break
        time.sleep(0.05)
    assert readable - lost <= counted <= readable, (counted, readable, peer.xruns - xruns)
    assert counted >= 3000, "too much was lost to test anything"
    assert 200 <= kr.get("probe/cutoff") <= 4000
    tail = rec.data[0, rec.pos // 2 : rec.pos]
    assert np.abs(tail).max() > 0.19, "the other node stopped sounding"
    peer.send(bytes([0xB0, 123, 0]))  # All Notes Off: every held note ends
    kr.midi_unmap("gone")


def test_mistakes_are_refused_and_change_nothing(kr_clean: None) -> None:
    kr.node("probe", PROBE)
    with pytest.raises(RequestError, match="taken by a node"):
        kr.midi_out("probe")
    with pytest.raises(RequestError, match="1–16|1..16|channel"):
        kr.midi_out("synth", channel=17)
    with pytest.raises(RequestError, match="no control 'nope'"):
        kr.midi_map(74, "probe/nope")
    with pytest.raises(RequestError, match="no node named 'ghost'"):
        kr.midi_notes("ghost")
    with pytest.raises(RequestError, match="not start, stop or continue"):
        kr.midi_clock("jump")
    with pytest.raises(RequestError, match="nothing MIDI is mapped"):
        kr.midi_unmap("probe/cutoff")
    kr.midi_out("synth")
    with pytest.raises(RequestError, match="taken by a MIDI out"):
        kr.node("synth", PROBE)
    assert kr.midi_maps() == {
        "outs": [{"name": "synth", "channel": 1, "port": "midi_out", "muted": False}],
        "controls": [],
        "notes": [],
        "follow_clock": False,
    }


def test_mappings_are_kept_in_scenes_and_exports(kr_clean: None, tmp_path: Path) -> None:
    kr.node("probe", PROBE, count=2)
    kr.midi_out("synth", channel=10, port="out")
    kr.midi_map(74, "probe/cutoff", 200, 4000)
    kr.midi_notes("probe", channel=2)
    kr.save("with-midi")
    saved = kr.midi_maps()
    kr.midi_unmap("probe/cutoff")
    kr.midi_unmap("probe")
    kr.remove("synth")
    assert kr.midi_maps()["outs"] == [] and kr.midi_maps()["controls"] == []
    kr.recall("with-midi")
    assert kr.midi_maps() == saved
    path = kr.export(tmp_path / "s.py")
    text = path.read_text()
    assert 'kr.midi_out("synth", channel=10, port="out")' in text
    kr.clear()
    assert kr.midi_maps()["outs"] == [] and kr.midi_maps()["notes"] == []
    kr.load(path)
    assert kr.midi_maps() == saved
    assert f"{client()}:synth/out" in midi_port_names()


def midi_port_names() -> list[str]:
    import jack

    c = jack.Client("kr-test-lsp", no_start_server=True)
    try:
        return [p.name for p in c.get_ports(is_midi=True)]
    finally:
        c.close()


def test_tidal_events_play_a_midi_out_by_name(krd: int, tmp_path: Path) -> None:
    """`note "0 7" # s "synth" # velocity 0.5` from Tidal (`/dirt/play`) plays MIDI out `synth`:
    SuperDirt's pitch (note 0 is middle C) and note length; `ccn`/`ccv` alone send a controller."""
    from test_dirt import Dirt, dirt_socket, play

    s = Dirt.start(tmp_path, tmp_path)
    peer = MidiPeer("kr-test-tidal-midi")
    try:
        s.midi_out("synth", channel=2)
        peer.listen_to(f"{s.dump()['client']}:synth/midi_out")
        sock = dirt_socket(s)
        when = time.time() + 0.3
        sock.send(play(when, s="synth", note=7, velocity=0.5, sustain=0.25, cps=0.5, orbit=0))
        sock.send(play(when + 0.5, s="synth", ccn=74, ccv=99, cps=0.5, orbit=0))
        time.sleep(1.3)
        ons, offs, ccs = peer.messages(0x91), peer.messages(0x81), peer.messages(0xB1)
        assert [d for _, d in ons] == [bytes([0x91, 67, 64])]
        assert [d for _, d in offs] == [bytes([0x81, 67, 0])]
        assert offs[0][0] - ons[0][0] == round(0.25 * peer.rate), "sustain is the note's length"
        assert [d for _, d in ccs] == [bytes([0xB1, 74, 99])], "a controller and no note"
        assert s.status()["dirt"]["counters"]["failed"] == 0
    finally:
        peer.close()
        s.close()
