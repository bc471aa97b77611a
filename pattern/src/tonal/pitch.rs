//! Spelled pitch: note names (`C`, `Eb4`, `f#3`) and intervals (`3M`, `-8P`, `5d`), transposed
//! the way music theory spells them (a major third above E is G#, not Ab).

/// Semitones of the natural notes C D E F G A B above C.
const NATURAL: [i64; 7] = [0, 2, 4, 5, 7, 9, 11];
const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];
const FLATS: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];
const SHARPS: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/// A spelled note: letter (0 = C .. 6 = B), alteration in semitones, optional octave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// Letter index, 0 = C .. 6 = B.
    pub letter: usize,
    /// Sharps (positive) or flats (negative).
    pub alt: i64,
    /// Octave (scientific: C4 is middle C), if written.
    pub oct: Option<i64>,
}

impl Note {
    /// Parses `C`, `eb`, `F#3`, `Bb-1`, `cs4` (`s` is a sharp), `Db`. `None` if not a note.
    pub fn parse(s: &str) -> Option<Note> {
        let mut chars = s.chars();
        let first = chars.next()?.to_ascii_uppercase();
        let letter = LETTERS.iter().position(|c| *c == first)?;
        let rest: &str = chars.as_str();
        let acc_len = rest.chars().take_while(|c| matches!(c, '#' | 'b' | 's')).count();
        let alt = rest[..acc_len].chars().map(|c| if c == 'b' { -1 } else { 1 }).sum();
        let oct_str = &rest[acc_len..];
        let oct = if oct_str.is_empty() { None } else { Some(oct_str.parse::<i64>().ok()?) };
        Some(Note { letter, alt, oct })
    }

    /// Semitones above C of the same octave (may be negative or ≥ 12 for odd spellings).
    fn chroma_raw(&self) -> i64 {
        NATURAL[self.letter] + self.alt
    }

    /// The pitch class, 0..12.
    pub fn chroma(&self) -> i64 {
        self.chroma_raw().rem_euclid(12)
    }

    /// The MIDI number (octave `default_oct` if none is written).
    pub fn midi(&self, default_oct: i64) -> i64 {
        12 * (self.oct.unwrap_or(default_oct) + 1) + self.chroma_raw()
    }

    /// The name: upper-case letter, `#`/`b` accidentals, octave if any.
    pub fn name(&self) -> String {
        let acc = if self.alt >= 0 { "#".repeat(self.alt as usize) } else { "b".repeat((-self.alt) as usize) };
        match self.oct {
            Some(o) => format!("{}{acc}{o}", LETTERS[self.letter]),
            None => format!("{}{acc}", LETTERS[self.letter]),
        }
    }

    /// Transposed by an interval, keeping the spelling (letter steps follow the interval number).
    pub fn transpose(&self, iv: Interval) -> Note {
        let total = self.letter as i64 + iv.steps;
        let letter = total.rem_euclid(7) as usize;
        let oct_shift = total.div_euclid(7);
        let oct = self.oct.unwrap_or(0);
        let target = 12 * oct + self.chroma_raw() + iv.semitones;
        let new_oct = oct + oct_shift;
        let alt = target - (12 * new_oct + NATURAL[letter]);
        Note { letter, alt, oct: self.oct.map(|_| new_oct) }
    }

    /// Respelled with at most one accidental: sharps if this note has sharps, flats otherwise.
    pub fn simplify(&self) -> String {
        let names = if self.alt > 0 { &SHARPS } else { &FLATS };
        match self.oct {
            Some(_) => {
                let m = self.midi(0);
                format!("{}{}", names[m.rem_euclid(12) as usize], m.div_euclid(12) - 1)
            }
            None => names[self.chroma() as usize].to_string(),
        }
    }
}

/// The flat-spelled name of a MIDI number (`61` is `Db4`).
pub fn midi_to_name(midi: i64) -> String {
    format!("{}{}", FLATS[midi.rem_euclid(12) as usize], midi.div_euclid(12) - 1)
}

/// An interval: letter steps and semitones (both negative for descending intervals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// Letter steps (a third is 2).
    pub steps: i64,
    /// Semitones (a major third is 4).
    pub semitones: i64,
}

impl Interval {
    /// Parses `3M`, `-8P`, `5d`, `6A`, `10m` (also quality first: `M3`). `None` otherwise.
    pub fn parse(s: &str) -> Option<Interval> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let split = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
        let (num, quality) = if split > 0 {
            (&body[..split], &body[split..])
        } else {
            let q = body.find(|c: char| c.is_ascii_digit())?;
            (&body[q..], &body[..q])
        };
        let n: i64 = num.parse().ok()?;
        if n < 1 {
            return None;
        }
        let simple = ((n - 1) % 7) as usize;
        let perfect = matches!(simple, 0 | 3 | 4);
        let alt = match (quality, perfect) {
            ("P", true) | ("M", false) => 0,
            ("m", false) => -1,
            ("d", true) => -1,
            ("d", false) => -2,
            ("A", _) => 1,
            ("AA", _) => 2,
            ("dd", true) => -2,
            _ => return None,
        };
        let semis = NATURAL[simple] + 12 * ((n - 1) / 7) + alt;
        let steps = n - 1;
        Some(if neg { Interval { steps: -steps, semitones: -semis } } else { Interval { steps, semitones: semis } })
    }

    /// The interval music theory names for a number of semitones (`3` is a minor third, `6`
    /// a diminished fifth, `-12` a descending octave), as tonal's `fromSemitones`.
    pub fn from_semitones(semis: i64) -> Interval {
        const NUM: [i64; 12] = [1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7];
        let n = semis.abs();
        let c = (n % 12) as usize;
        let steps = NUM[c] - 1 + 7 * (n / 12);
        if semis < 0 {
            Interval { steps: -steps, semitones: semis }
        } else {
            Interval { steps, semitones: semis }
        }
    }

    /// The sum of two intervals.
    pub fn plus(self, o: Interval) -> Interval {
        Interval { steps: self.steps + o.steps, semitones: self.semitones + o.semitones }
    }

    /// `n` octaves up (or down).
    pub fn octaves(n: i64) -> Interval {
        Interval { steps: 7 * n, semitones: 12 * n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(n: &str, i: &str) -> String {
        Note::parse(n).unwrap().transpose(Interval::parse(i).unwrap()).name()
    }

    #[test]
    fn spelling_follows_the_interval() {
        assert_eq!(tr("E", "3M"), "G#");
        assert_eq!(tr("C", "3m"), "Eb");
        assert_eq!(tr("A2", "7m"), "G3");
        assert_eq!(tr("C4", "-8P"), "C3");
        assert_eq!(tr("B3", "2m"), "C4");
        assert_eq!(Note::parse("E#4").unwrap().simplify(), "F4");
        assert_eq!(midi_to_name(61), "Db4");
        assert_eq!(Interval::from_semitones(6), Interval::parse("5d").unwrap());
        assert_eq!(Interval::from_semitones(-12), Interval::parse("-8P").unwrap());
        assert!(Note::parse("H2").is_none());
    }
}
