//! Scale types as intervals from the tonic (music-theory facts), and scale names such as
//! `"C:major"`, `"A2 minor"`, `"D:minor:pentatonic"`.

use crate::tonal::pitch::{Interval, Note};

/// `(names, intervals)`: the first name is the canonical one.
const SCALES: &[(&[&str], &str)] = &[
    (&["major", "ionian"], "1P 2M 3M 4P 5P 6M 7M"),
    (&["minor", "aeolian"], "1P 2M 3m 4P 5P 6m 7m"),
    (&["dorian"], "1P 2M 3m 4P 5P 6M 7m"),
    (&["phrygian"], "1P 2m 3m 4P 5P 6m 7m"),
    (&["lydian"], "1P 2M 3M 4A 5P 6M 7M"),
    (&["mixolydian", "dominant"], "1P 2M 3M 4P 5P 6M 7m"),
    (&["locrian"], "1P 2m 3m 4P 5d 6m 7m"),
    (&["harmonic minor"], "1P 2M 3m 4P 5P 6m 7M"),
    (&["melodic minor"], "1P 2M 3m 4P 5P 6M 7M"),
    (&["harmonic major"], "1P 2M 3M 4P 5P 6m 7M"),
    (&["major pentatonic", "pentatonic"], "1P 2M 3M 5P 6M"),
    (&["minor pentatonic"], "1P 3m 4P 5P 7m"),
    (&["minor blues", "blues"], "1P 3m 4P 5d 5P 7m"),
    (&["major blues"], "1P 2M 3m 3M 5P 6M"),
    (&["chromatic"], "1P 2m 2M 3m 3M 4P 5d 5P 6m 6M 7m 7M"),
    (&["whole tone", "wholetone"], "1P 2M 3M 4A 5A 7m"),
    (&["phrygian dominant"], "1P 2m 3M 4P 5P 6m 7m"),
    (&["lydian dominant"], "1P 2M 3M 4A 5P 6M 7m"),
    (&["altered", "super locrian"], "1P 2m 3m 3M 5d 6m 7m"),
    (&["diminished", "whole-half diminished"], "1P 2M 3m 4P 5d 6m 6M 7M"),
    (&["half-whole diminished"], "1P 2m 3m 3M 4A 5P 6M 7m"),
    (&["augmented"], "1P 2A 3M 5P 5A 7M"),
    (&["bebop", "bebop dominant"], "1P 2M 3M 4P 5P 6M 7m 7M"),
    (&["bebop major"], "1P 2M 3M 4P 5P 5A 6M 7M"),
    (&["hirajoshi"], "1P 2M 3m 5P 6m"),
    (&["in-sen"], "1P 2m 4P 5P 7m"),
    (&["iwato"], "1P 2m 4P 5d 7m"),
    (&["kumoijoshi"], "1P 2m 4P 5P 6m"),
    (&["pelog"], "1P 2m 3m 5P 6m"),
    (&["egyptian"], "1P 2M 4P 5P 7m"),
    (&["ritusen"], "1P 2M 4P 5P 6M"),
    (&["hungarian minor"], "1P 2M 3m 4A 5P 6m 7M"),
    (&["double harmonic major", "gypsy"], "1P 2m 3M 4P 5P 6m 7M"),
    (&["neapolitan major"], "1P 2m 3m 4P 5P 6M 7M"),
    (&["neapolitan minor"], "1P 2m 3m 4P 5P 6m 7M"),
];

/// A scale: its tonic and its intervals from the tonic.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    /// The tonic (its octave, if written, is where step 0 sits; octave 3 otherwise).
    pub tonic: Note,
    /// Intervals from the tonic, ascending within an octave.
    pub intervals: Vec<Interval>,
}

/// The intervals of a scale type (`"major"`, `"minor pentatonic"`), if known.
pub fn scale_type(name: &str) -> Option<Vec<Interval>> {
    let name = name.trim().to_ascii_lowercase();
    let (_, ivs) = SCALES.iter().find(|(names, _)| names.contains(&name.as_str()))?;
    ivs.split(' ').map(Interval::parse).collect()
}

/// All known scale type names.
pub fn scale_names() -> Vec<&'static str> {
    SCALES.iter().flat_map(|(names, _)| names.iter().copied()).collect()
}

impl Scale {
    /// Parses `"C:major"`, `"A2:minor"`, `"D minor pentatonic"`; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Scale, String> {
        let norm = s.replace(':', " ");
        let mut words = norm.split_whitespace();
        let tonic_word = words.next().ok_or_else(|| "empty scale name".to_string())?;
        let tonic = Note::parse(tonic_word)
            .ok_or_else(|| format!("scale {s:?} must start with a tonic note, like \"C:major\""))?;
        let kind: Vec<&str> = words.collect();
        if kind.is_empty() {
            return Err(format!("incomplete scale {s:?}: write the type too, like \"C:major\""));
        }
        let kind = kind.join(" ");
        let intervals = scale_type(&kind).ok_or_else(|| format!("unknown scale type {kind:?} in {s:?}"))?;
        Ok(Scale { tonic, intervals })
    }

    /// The note at scale degree `step` (0 = tonic; negative steps go down), spelled.
    pub fn step(&self, step: i64) -> Note {
        let len = self.intervals.len() as i64;
        let octave = step.div_euclid(len);
        let iv = self.intervals[step.rem_euclid(len) as usize].plus(Interval::octaves(octave));
        let tonic = Note { oct: Some(self.tonic.oct.unwrap_or(3)), ..self.tonic };
        tonic.transpose(iv)
    }

    /// The scale's pitch classes (no octave), spelled from the tonic.
    pub fn pitch_classes(&self) -> Vec<Note> {
        let pc = Note { oct: None, ..self.tonic };
        self.intervals.iter().map(|iv| pc.transpose(*iv)).collect()
    }
}
