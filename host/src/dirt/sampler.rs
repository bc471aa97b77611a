//! The sample player an orbit node runs on the audio thread: frame-stamped triggers come
//! through a ring of its own; each starts a voice at its exact frame (cutting its cut group
//! first), and the voices add into the orbit's inputs, ahead of its FAUST effects.
//!
//! Real-time safe: voices and the pending list are allocated up front; a voice lets go of its
//! sample through `basedrop` (the collector frees it on the control thread).

use super::decode::SampleData;
use super::fx::EffectsState;
use super::plan::VoicePlan;
use crate::rt::RtCell;
use basedrop::Shared;

/// Voices one orbit plays at once; past this the oldest is taken over.
pub const MAX_VOICES: usize = 64;
/// Triggers waiting for their frame, at most.
pub const MAX_PENDING: usize = 512;

/// Start `plan` with `sample` at engine frame `frame`.
pub struct SampleTrigger {
    pub frame: u64,
    pub sample: Shared<SampleData>,
    pub plan: VoicePlan,
}

struct Voice {
    sample: Option<Shared<SampleData>>,
    plan: VoicePlan,
    pos: f64,
    rate: f64,
    age: u32,
    fx: [EffectsState; 2],
    /// Frames left of a cut's fade-out (0: not cut).
    cutting: u32,
}

impl Voice {
    fn idle() -> Voice {
        Voice {
            sample: None,
            plan: VoicePlan {
                lo: 0.0,
                hi: 0.0,
                rate: 0.0,
                rate_step: 0.0,
                length: 0,
                fade_in: 0,
                fade_out: 1,
                left: 0.0,
                right: 0.0,
                cut: 0,
                effects: Default::default(),
            },
            pos: 0.0,
            rate: 0.0,
            age: 0,
            fx: [EffectsState::default(); 2],
            cutting: 0,
        }
    }

    /// Add frames `[from, to)` of this voice into `left`/`right`.
    fn render(&mut self, left: &mut [f32], right: &mut [f32], from: usize, to: usize, cut_len: u32) {
        let mut i = from;
        while i < to && self.sample.is_some() {
            let steady = self.steady_frames(to - i);
            if steady > 0 {
                self.render_steady(left, right, i, steady);
                i += steady;
            } else {
                self.render_one(left, right, i, cut_len);
                i += 1;
            }
        }
    }

    /// How many of the next `most` frames need no fade, cut, wrap or edge handling: the
    /// voice's position stays inside its portion and away from the file's ends throughout.
    fn steady_frames(&self, most: usize) -> usize {
        let (Some(sample), p) = (&self.sample, &self.plan) else { return 0 };
        if self.cutting != 0 || self.age < p.fade_in || self.age + p.fade_out >= p.length {
            return 0;
        }
        let n = most.min((p.length - p.fade_out - self.age) as usize);
        let lower = p.lo.max(1.0);
        let upper = p.hi.min(sample.frames as f64 - 3.0);
        let speed = self.rate.abs().max((self.rate + p.rate_step * n as f64).abs()).max(1e-9);
        let room = if self.rate >= 0.0 { upper - self.pos } else { self.pos - lower };
        if self.pos < lower || self.pos >= upper || room <= 2.0 * speed {
            return 0;
        }
        n.min((room / speed) as usize - 1)
    }

    /// `n` frames in the voice's steady state (see [`Voice::steady_frames`]): no envelope, no
    /// bounds checks on the reads.
    fn render_steady(&mut self, left: &mut [f32], right: &mut [f32], at: usize, n: usize) {
        let Some(sample) = &self.sample else { return };
        let p = &self.plan;
        let data = &sample.data[..];
        let (mut pos, mut rate) = (self.pos, self.rate);
        let (out_l, out_r) = (&mut left[at..at + n], &mut right[at..at + n]);
        if sample.channels == 1 {
            for (l, r) in out_l.iter_mut().zip(out_r.iter_mut()) {
                let x = self.fx[0].process(&p.effects, cubic(data, 1, pos, 0));
                *l += x * p.left;
                *r += x * p.right;
                pos += rate;
                rate += p.rate_step;
            }
        } else {
            let (gl, gr) = (p.left * std::f32::consts::SQRT_2, p.right * std::f32::consts::SQRT_2);
            for (l, r) in out_l.iter_mut().zip(out_r.iter_mut()) {
                *l += self.fx[0].process(&p.effects, cubic(data, 2, pos, 0)) * gl;
                *r += self.fx[1].process(&p.effects, cubic(data, 2, pos, 1)) * gr;
                pos += rate;
                rate += p.rate_step;
            }
        }
        self.pos = pos;
        self.rate = rate;
        self.age += n as u32;
    }

    /// One frame, with fades, cuts, the portion's wrap and the file's edges.
    fn render_one(&mut self, left: &mut [f32], right: &mut [f32], i: usize, cut_len: u32) {
        let Some(sample) = &self.sample else { return };
        let p = &self.plan;
        let (ch, frames) = (sample.channels, sample.frames);
        let span = p.hi - p.lo;
        if self.age >= p.length || self.cutting == 1 {
            self.sample = None;
            return;
        }
        if span > 0.0 && (self.pos < p.lo || self.pos >= p.hi) {
            // The portion repeats (`loop`), as SuperDirt's phase ramp wraps.
            self.pos = p.lo + (self.pos - p.lo).rem_euclid(span);
        }
        let mut env = 1.0f32;
        if self.age < p.fade_in {
            env = (std::f32::consts::FRAC_PI_2 * self.age as f32 / p.fade_in as f32).sin();
        }
        let left_of = p.length - self.age;
        if left_of <= p.fade_out {
            env *= (std::f32::consts::FRAC_PI_2 * left_of as f32 / p.fade_out as f32).sin();
        }
        if self.cutting > 1 {
            self.cutting -= 1;
            env *= (std::f32::consts::FRAC_PI_2 * self.cutting as f32 / cut_len.max(1) as f32).sin();
        }
        let a = read(&sample.data, ch, frames, self.pos, 0);
        let (l, r) = if ch == 1 {
            let x = self.fx[0].process(&p.effects, a) * env;
            (x * p.left, x * p.right)
        } else {
            let b = read(&sample.data, ch, frames, self.pos, 1);
            let l = self.fx[0].process(&p.effects, a) * env;
            let r = self.fx[1].process(&p.effects, b) * env;
            (l * p.left * std::f32::consts::SQRT_2, r * p.right * std::f32::consts::SQRT_2)
        };
        left[i] += l;
        right[i] += r;
        self.pos += self.rate;
        self.rate += p.rate_step;
        self.age += 1;
    }
}

/// Catmull-Rom interpolation of channel `c` at `pos`, which must lie in `[1, frames - 3)`.
#[inline(always)]
fn cubic(data: &[f32], channels: usize, pos: f64, c: usize) -> f32 {
    let i = pos as usize;
    let at = |k: usize| data[k * channels + c];
    catmull_rom([at(i - 1), at(i), at(i + 1), at(i + 2)], (pos - i as f64) as f32)
}

/// Cubic (Catmull-Rom) interpolation of channel `c` at fractional frame `pos`.
#[inline]
fn read(data: &[f32], channels: usize, frames: usize, pos: f64, c: usize) -> f32 {
    let last = frames as i64 - 1;
    let i = pos.floor() as i64;
    let at = |k: i64| data[(k.clamp(0, last) as usize) * channels + c];
    catmull_rom([at(i - 1), at(i), at(i + 1), at(i + 2)], (pos - i as f64) as f32)
}

/// The Catmull-Rom curve through `y[1]` (t = 0) and `y[2]` (t = 1).
#[inline(always)]
fn catmull_rom([y0, y1, y2, y3]: [f32; 4], t: f32) -> f32 {
    let c1 = 0.5 * (y2 - y0);
    let c2 = y0 - 2.5 * y1 + 2.0 * y2 - 0.5 * y3;
    let c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
    ((c3 * t + c2) * t + c1) * t + y1
}

/// An orbit's sample voices and its waiting triggers.
pub struct Sampler {
    voices: Vec<Voice>,
    /// Waiting triggers with their sending order.
    pending: Vec<(u64, SampleTrigger)>,
    sent: u64,
    triggers: rtrb::Consumer<SampleTrigger>,
    /// Frames of a cut group's fade-out (SuperDirt: about 1 ms).
    cut_len: u32,
}

/// The sampler as the real-time graph holds it.
pub type SamplerCell = RtCell<Sampler>;

impl Sampler {
    /// A sampler and the control thread's end of its trigger ring.
    pub fn new(sample_rate: u32) -> (Sampler, rtrb::Producer<SampleTrigger>) {
        let (tx, rx) = rtrb::RingBuffer::new(MAX_PENDING);
        let sampler = Sampler {
            voices: (0..MAX_VOICES).map(|_| Voice::idle()).collect(),
            pending: Vec::with_capacity(MAX_PENDING),
            sent: 0,
            triggers: rx,
            cut_len: (sample_rate / 1000).max(1),
        };
        (sampler, tx)
    }

    /// Voices sounding now.
    pub fn active(&self) -> usize {
        self.voices.iter().filter(|v| v.sample.is_some()).count()
    }

    /// Add frames `[0, n)` of every voice into `out` (two channels), starting the triggers due in
    /// `[start, start + n)` (and late ones) at their frames, in the order they were sent.
    /// Real-time safe.
    pub fn render(&mut self, out: &mut [Vec<f32>], start: u64, n: usize) {
        while self.pending.len() < self.pending.capacity() {
            let Ok(t) = self.triggers.pop() else { break };
            self.pending.push((self.sent, t));
            self.sent += 1;
        }
        let [left, right, ..] = out else { return };
        let end = start + n as u64;
        // An in-place sort (no allocation); the sequence number keeps the sending order of
        // triggers at the same frame, so the later one cuts the earlier.
        self.pending.sort_unstable_by_key(|(seq, t)| (t.frame, *seq));
        let due = self.pending.partition_point(|(_, t)| t.frame < end);
        let mut pos = 0usize;
        for k in 0..due {
            let at = (self.pending[k].1.frame.saturating_sub(start) as usize).min(n);
            if at > pos {
                for v in self.voices.iter_mut() {
                    v.render(left, right, pos, at, self.cut_len);
                }
                pos = at;
            }
            let plan = self.pending[k].1.plan;
            let sample = self.pending[k].1.sample.clone();
            self.start(sample, plan);
        }
        for v in self.voices.iter_mut() {
            v.render(left, right, pos, n, self.cut_len);
        }
        // Let go of the started triggers (their samples' references return through basedrop).
        self.pending.drain(..due);
    }

    fn start(&mut self, sample: Shared<SampleData>, plan: VoicePlan) {
        if plan.cut != 0 {
            let group = plan.cut.unsigned_abs();
            for v in self.voices.iter_mut().filter(|v| v.cutting == 0 && v.plan.cut.unsigned_abs() == group) {
                let same_file = v.sample.as_ref().is_some_and(|s| s.id == sample.id);
                if v.sample.is_some() && (plan.cut > 0 || same_file) {
                    v.cutting = self.cut_len + 1;
                }
            }
        }
        let slot = match self.voices.iter().position(|v| v.sample.is_none()) {
            Some(i) => i,
            None => self.voices.iter().enumerate().max_by_key(|(_, v)| v.age).map_or(0, |(i, _)| i),
        };
        let v = &mut self.voices[slot];
        v.pos = if plan.rate < 0.0 { (plan.hi - 1e-9).max(plan.lo) } else { plan.lo };
        v.rate = plan.rate;
        v.age = 0;
        v.cutting = 0;
        v.fx = [EffectsState::default(); 2];
        v.plan = plan;
        v.sample = Some(sample);
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::{DirtEvent, DirtValue};
    use super::super::plan::plan_sample;
    use super::*;

    fn ramp_sample(handle: &basedrop::Handle, frames: usize, id: u64) -> Shared<SampleData> {
        let data: Vec<f32> = (0..frames).map(|i| i as f32 / frames as f32).collect();
        Shared::new(handle, SampleData { channels: 1, frames, data: data.into(), id })
    }

    fn plan(pairs: &[(&str, f64)], frames: usize) -> VoicePlan {
        let mut e = DirtEvent::default();
        e.insert("s", DirtValue::Str("x".into()));
        for (k, v) in pairs {
            e.insert(k, DirtValue::Num(*v));
        }
        plan_sample(&e, frames, 48000.0).unwrap()
    }

    fn run(s: &mut Sampler, blocks: usize, n: usize) -> Vec<f32> {
        run_from(s, 0, blocks, n)
    }

    /// Render `blocks` blocks of `n` frames from engine frame `from`.
    fn run_from(s: &mut Sampler, from: u64, blocks: usize, n: usize) -> Vec<f32> {
        let mut left = Vec::new();
        for b in 0..blocks {
            let mut out = vec![vec![0.0f32; n], vec![0.0f32; n]];
            s.render(&mut out, from + (b * n) as u64, n);
            left.extend_from_slice(&out[0]);
        }
        left
    }

    #[test]
    fn onset_frame_and_reverse_playback() {
        let c = basedrop::Collector::new();
        let (mut s, mut tx) = Sampler::new(48000);
        let sample = ramp_sample(&c.handle(), 4800, 1);
        // pan 0: all on the left at amp 0.4 (gain 1).
        tx.push(SampleTrigger { frame: 700, sample: sample.clone(), plan: plan(&[("pan", 0.0)], 4800) }).ok().unwrap();
        let out = run(&mut s, 8, 256);
        assert!(out[..700].iter().all(|x| *x == 0.0));
        // No fade-in at begin 0: the ramp starts at once (its first value is 0, then rises).
        assert!(out[701] > 0.0 && (out[701] - 0.4 / 4800.0).abs() < 1e-6, "{}", out[701]);
        assert!((out[700 + 1000] - 0.4 * 1000.0 / 4800.0).abs() < 1e-5);
        let (mut s, mut tx) = Sampler::new(48000);
        tx.push(SampleTrigger { frame: 0, sample, plan: plan(&[("pan", 0.0), ("speed", -1.0)], 4800) }).ok().unwrap();
        let out = run(&mut s, 20, 256);
        // Backwards: the ramp falls (after its short fade-in).
        assert!(out[200] > out[2000] && out[2000] > out[4000]);
        assert!(out[4800..].iter().all(|x| *x == 0.0));
    }

    /// A ramp read at 1.3× with an accelerating rate: every frame (the steady stretch and the
    /// edges alike) is the ramp at the position the rate has reached.
    #[test]
    fn every_frame_follows_the_rate_exactly() {
        let c = basedrop::Collector::new();
        let (mut s, mut tx) = Sampler::new(48000);
        let frames = 48000;
        let sample = ramp_sample(&c.handle(), frames, 1);
        let p = plan(&[("pan", 0.0), ("speed", 1.3), ("accelerate", 0.2), ("begin", 0.1)], frames);
        tx.push(SampleTrigger { frame: 0, sample, plan: p }).ok().unwrap();
        let out = run(&mut s, 40, 1000);
        let (mut pos, mut rate) = (p.lo, p.rate);
        for (j, y) in out.iter().enumerate().take(p.length as usize) {
            let env_free = j as u32 >= p.fade_in && j as u32 + p.fade_out < p.length && pos > 1.0;
            if env_free {
                let want = 0.4 * (pos / frames as f64) as f32;
                assert!((y - want).abs() < 2e-5, "frame {j}: {y} vs {want}");
            }
            pos += rate;
            rate += p.rate_step;
        }
        assert!(out[p.length as usize..].iter().all(|y| *y == 0.0));
    }

    #[test]
    fn cut_groups_stop_the_previous_voice() {
        let c = basedrop::Collector::new();
        let (mut s, mut tx) = Sampler::new(48000);
        let a = ramp_sample(&c.handle(), 48000, 1);
        let b = ramp_sample(&c.handle(), 48000, 2);
        tx.push(SampleTrigger { frame: 0, sample: a.clone(), plan: plan(&[("cut", 1.0)], 48000) }).ok().unwrap();
        tx.push(SampleTrigger { frame: 1000, sample: b.clone(), plan: plan(&[("cut", 1.0)], 48000) }).ok().unwrap();
        run_from(&mut s, 0, 8, 256);
        assert_eq!(s.active(), 1);
        // A negative cut only stops the same file: b plays on beside the new a.
        tx.push(SampleTrigger { frame: 3000, sample: a.clone(), plan: plan(&[("cut", -1.0)], 48000) }).ok().unwrap();
        run_from(&mut s, 2048, 8, 256);
        assert_eq!(s.active(), 2);
        // ... and a second a stops the first.
        tx.push(SampleTrigger { frame: 5000, sample: a, plan: plan(&[("cut", -1.0)], 48000) }).ok().unwrap();
        run_from(&mut s, 4096, 8, 256);
        assert_eq!(s.active(), 2);
    }
}

#[cfg(test)]
mod cut_timing {
    use super::super::event::{DirtEvent, DirtValue};
    use super::super::plan::plan_sample;
    use super::*;

    /// A cut voice fades over about a millisecond from the new voice's exact frame.
    #[test]
    fn a_cut_takes_a_millisecond_from_the_new_onset() {
        let c = basedrop::Collector::new();
        let (mut s, mut tx) = Sampler::new(48000);
        let mk = |level: f32, id| {
            Shared::new(&c.handle(), SampleData { channels: 1, frames: 4800, data: vec![level; 4800].into(), id })
        };
        let mut e = DirtEvent::default();
        e.insert("s", DirtValue::Str("steps".into()));
        e.insert("cut", DirtValue::Num(1.0));
        e.insert("pan", DirtValue::Num(0.0));
        let p = plan_sample(&e, 4800, 48000.0).unwrap();
        tx.push(SampleTrigger { frame: 9600, sample: mk(0.25, 1), plan: p }).ok().unwrap();
        tx.push(SampleTrigger { frame: 12000, sample: mk(0.5, 2), plan: p }).ok().unwrap();
        let mut left = Vec::new();
        for b in 0..20 {
            let mut out = vec![vec![0.0f32; 1024], vec![0.0f32; 1024]];
            s.render(&mut out, b * 1024, 1024);
            left.extend_from_slice(&out[0]);
        }
        assert!((left[11999] - 0.1).abs() < 1e-6);
        assert!(left[12000] > 0.2 && left[12000 + 48] <= 0.2 + 1e-6, "{}", left[12048]);
        assert!((left[12100] - 0.2).abs() < 1e-6);
    }
}
