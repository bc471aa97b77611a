//! The per-event effects of a sample voice, in SuperDirt's order: `vowel`, `shape`, `hcutoff`,
//! `bandf`, `crush`, `coarse`, `cutoff`. Coefficients are worked out on the control thread
//! ([`EffectsPlan::of`]); the audio thread runs [`EffectsState::process`] (no allocation).

use super::event::DirtEvent;

/// Biquad coefficients (normalised: a0 = 1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Low,
    High,
    Band,
}

impl Biquad {
    /// A resonant low-, high- or band-pass at `freq` with reciprocal Q `rq` (SuperCollider's
    /// RLPF/RHPF/BPF parameters), as the usual cookbook filters.
    fn new(shape: Shape, freq: f64, rq: f64, sample_rate: f64) -> Biquad {
        let freq = freq.abs().clamp(20.0, sample_rate * 0.49);
        let w = 2.0 * std::f64::consts::PI * freq / sample_rate;
        let alpha = w.sin() * rq.max(1e-4) / 2.0;
        let cos = w.cos();
        let (b0, b1, b2) = match shape {
            Shape::Low => ((1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0),
            Shape::High => ((1.0 + cos) / 2.0, -(1.0 + cos), (1.0 + cos) / 2.0),
            // Constant 0 dB peak gain, like SuperCollider's BPF.
            Shape::Band => (alpha, 0.0, -alpha),
        };
        let a0 = 1.0 + alpha;
        Biquad {
            b0: (b0 / a0) as f32,
            b1: (b1 / a0) as f32,
            b2: (b2 / a0) as f32,
            a1: (-2.0 * cos / a0) as f32,
            a2: ((1.0 - alpha) / a0) as f32,
        }
    }
}

/// A biquad's memory (transposed direct form II).
#[derive(Debug, Clone, Copy, Default)]
struct BiquadState {
    z1: f32,
    z2: f32,
}

impl BiquadState {
    #[inline]
    fn run(&mut self, c: &Biquad, x: f32) -> f32 {
        let y = c.b0 * x + self.z1;
        self.z1 = c.b1 * x - c.a1 * y + self.z2;
        self.z2 = c.b2 * x - c.a2 * y;
        y
    }
}

/// One formant: frequency (Hz), level (dB), bandwidth (Hz).
type Formant = (f64, f64, f64);

/// Counter-tenor formants of the five vowels.
const VOWELS: [(char, [Formant; 5]); 5] = [
    (
        'a',
        [
            (660.0, 0.0, 80.0),
            (1120.0, -6.0, 90.0),
            (2750.0, -23.0, 120.0),
            (3000.0, -24.0, 130.0),
            (3350.0, -38.0, 140.0),
        ],
    ),
    (
        'e',
        [
            (440.0, 0.0, 70.0),
            (1800.0, -14.0, 80.0),
            (2700.0, -18.0, 100.0),
            (3000.0, -20.0, 120.0),
            (3300.0, -20.0, 120.0),
        ],
    ),
    (
        'i',
        [
            (270.0, 0.0, 40.0),
            (1850.0, -24.0, 90.0),
            (2900.0, -24.0, 100.0),
            (3350.0, -36.0, 120.0),
            (3590.0, -36.0, 120.0),
        ],
    ),
    (
        'o',
        [
            (430.0, 0.0, 40.0),
            (820.0, -10.0, 80.0),
            (2700.0, -26.0, 100.0),
            (3000.0, -22.0, 120.0),
            (3300.0, -34.0, 120.0),
        ],
    ),
    (
        'u',
        [
            (370.0, 0.0, 40.0),
            (630.0, -20.0, 60.0),
            (2750.0, -23.0, 100.0),
            (3000.0, -30.0, 120.0),
            (3400.0, -34.0, 120.0),
        ],
    ),
];

/// The formant filter bank of `vowel`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vowel {
    bands: [Biquad; 5],
    amps: [f32; 5],
    dry: f32,
    wet: f32,
}

fn linlin(x: f64, lo: f64, hi: f64) -> f64 {
    lo + x.clamp(0.0, 1.0) * (hi - lo)
}

fn linexp(x: f64, lo: f64, hi: f64) -> f64 {
    lo * (hi / lo).powf(x.clamp(0.0, 1.0))
}

/// Everything the per-event effects need; effects whose parameter is absent are off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EffectsPlan {
    vowel: Option<Vowel>,
    /// `shape`'s k: y = (1 + k)·x / (1 + k·|x|).
    shape: Option<f32>,
    hpf: Option<Biquad>,
    /// Band-pass and its make-up gain.
    bpf: Option<(Biquad, f32)>,
    /// `crush`'s rounding step.
    crush: Option<f32>,
    /// `coarse`: hold each sample this many frames (2 or more).
    coarse: u32,
    lpf: Option<Biquad>,
}

impl EffectsPlan {
    pub fn of(ev: &DirtEvent, sample_rate: f64) -> EffectsPlan {
        let vowel = ev.text("vowel").and_then(|v| v.chars().next()).and_then(|v| {
            let (_, formants) = VOWELS.iter().find(|(c, _)| *c == v)?;
            let res = ev.num("resonance").unwrap_or(0.0);
            let scale = linexp(ev.num("cutoff").unwrap_or(0.0), 1.0, 2.0);
            let mut bands = [Biquad::default(); 5];
            let mut amps = [0.0; 5];
            for (i, (f, db, bw)) in formants.iter().enumerate() {
                let rq = (1.0 / bw) / linlin(res, 0.1, 0.5);
                bands[i] = Biquad::new(Shape::Band, f * scale, rq, sample_rate);
                amps[i] = (10f64.powf(db / 20.0) * linlin(res, 50.0, 200.0)) as f32;
            }
            // An equal-power crossfade from dry to the formants, at a quarter level.
            let pan = linlin(res, -0.5, 1.0);
            let angle = (pan + 1.0) * std::f64::consts::FRAC_PI_4;
            Some(Vowel { bands, amps, dry: (angle.cos() * 0.25) as f32, wet: (angle.sin() * 0.25) as f32 })
        });
        let shape = ev.num("shape").map(|s| {
            let s = s.clamp(0.0, 1.0 - 4e-10);
            (2.0 * s / (1.0 - s)) as f32
        });
        let resonant = |f: Option<f64>, r: Option<f64>, shape| {
            f.map(|f| Biquad::new(shape, f, 0.001f64.powf(r.unwrap_or(0.0).clamp(0.0, 1.0)), sample_rate))
        };
        let bpf = ev.num("bandf").map(|f| {
            let q = ev.num("bandq").unwrap_or(10.0).max(1.0);
            (Biquad::new(Shape::Band, f, 1.0 / q, sample_rate), q as f32)
        });
        EffectsPlan {
            vowel,
            shape,
            hpf: resonant(ev.num("hcutoff"), ev.num("hresonance"), Shape::High),
            bpf,
            crush: ev.num("crush").map(|c| 0.5f64.powf(c - 1.0).max(1e-9) as f32),
            coarse: ev.num("coarse").filter(|c| *c > 1.0).map_or(0, |c| c.min(4096.0) as u32),
            // With a vowel, `cutoff` moves the formants instead (as in SuperDirt).
            lpf: if ev.text("vowel").is_some() {
                None
            } else {
                resonant(ev.num("cutoff"), ev.num("resonance"), Shape::Low)
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == EffectsPlan::default()
    }
}

/// The filters' memory for one channel of one voice.
#[derive(Debug, Clone, Copy, Default)]
pub struct EffectsState {
    vowel: [BiquadState; 5],
    hpf: BiquadState,
    bpf: BiquadState,
    lpf: BiquadState,
    held: f32,
    hold_left: u32,
}

impl EffectsState {
    /// One sample through the plan's effects.
    #[inline]
    pub fn process(&mut self, p: &EffectsPlan, mut x: f32) -> f32 {
        if let Some(v) = &p.vowel {
            let mut wet = 0.0;
            for i in 0..5 {
                wet += self.vowel[i].run(&v.bands[i], x) * v.amps[i];
            }
            x = x * v.dry + wet * v.wet;
        }
        if let Some(k) = p.shape {
            x = (1.0 + k) * x / (1.0 + k * x.abs());
        }
        if let Some(c) = &p.hpf {
            x = self.hpf.run(c, x);
        }
        if let Some((c, gain)) = &p.bpf {
            x = self.bpf.run(c, x) * gain;
        }
        if let Some(step) = p.crush {
            x = (x / step).round() * step;
        }
        if p.coarse > 1 {
            if self.hold_left == 0 {
                self.held = x;
                self.hold_left = p.coarse;
            }
            self.hold_left -= 1;
            x = self.held;
        }
        if let Some(c) = &p.lpf {
            x = self.lpf.run(c, x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::DirtValue;
    use super::*;

    fn plan(pairs: &[(&str, f64)]) -> EffectsPlan {
        let mut e = DirtEvent::default();
        for (k, v) in pairs {
            e.insert(k, DirtValue::Num(*v));
        }
        EffectsPlan::of(&e, 48000.0)
    }

    /// RMS of a sine at `freq` through the plan, after it settles.
    fn gain_at(p: &EffectsPlan, freq: f64) -> f64 {
        let mut st = EffectsState::default();
        let (mut sum, n) = (0.0, 48000);
        for i in 0..2 * n {
            let x = (2.0 * std::f64::consts::PI * freq * i as f64 / 48000.0).sin() as f32;
            let y = st.process(p, x) as f64;
            if i >= n {
                sum += y * y;
            }
        }
        (sum / n as f64).sqrt() / std::f64::consts::FRAC_1_SQRT_2
    }

    #[test]
    fn filters_pass_and_stop_where_they_should() {
        let lpf = plan(&[("cutoff", 500.0)]);
        assert!(gain_at(&lpf, 100.0) > 0.95 && gain_at(&lpf, 5000.0) < 0.02);
        let hpf = plan(&[("hcutoff", 2000.0)]);
        assert!(gain_at(&hpf, 100.0) < 0.01 && gain_at(&hpf, 10000.0) > 0.95);
        assert!(plan(&[]).is_empty());
    }

    #[test]
    fn vowels_lift_their_formants() {
        let mut e = DirtEvent::default();
        e.insert("vowel", DirtValue::Str("a".into()));
        let a = EffectsPlan::of(&e, 48000.0);
        // 'a' has formants at 660 and 1120 Hz; 1800 Hz lies between two of them.
        assert!(gain_at(&a, 660.0) > 5.0 * gain_at(&a, 1800.0));
        e.insert("vowel", DirtValue::Str("i".into()));
        let i = EffectsPlan::of(&e, 48000.0);
        assert!(gain_at(&i, 270.0) > 5.0 * gain_at(&i, 660.0));
        e.insert("vowel", DirtValue::Str("x".into()));
        assert!(EffectsPlan::of(&e, 48000.0).is_empty(), "other strings are ignored, as in SuperDirt");
    }

    #[test]
    fn crush_and_shape() {
        let mut st = EffectsState::default();
        let crush = plan(&[("crush", 1.0)]);
        assert_eq!(st.process(&crush, 0.4), 0.0);
        assert_eq!(st.process(&crush, 0.6), 1.0);
        let shape = plan(&[("shape", 0.5)]);
        // k = 2: y = 3x / (1 + 2|x|)
        assert!((st.process(&shape, 0.5) - 0.75).abs() < 1e-6);
    }

    #[test]
    fn coarse_holds_samples() {
        let p = plan(&[("coarse", 3.0)]);
        let mut st = EffectsState::default();
        let out: Vec<f32> = (1..=6).map(|i| st.process(&p, i as f32)).collect();
        assert_eq!(out, vec![1.0, 1.0, 1.0, 4.0, 4.0, 4.0]);
    }
}
