//! Note names to MIDI numbers: `c4` = 60, `a4` = 69, `A2` = 45, `Bb1`, `F#2`, `ebb3`; the octave is
//! 3 when none is given (Strudel's default), so `a` = 57.

/// The MIDI number of a note name, or `None` if `name` is not one. Letters `a`–`g` (either case),
/// any number of accidentals (`#`/`s` sharp, `b`/`f` flat), then an optional integer octave
/// (negative allowed). Returns a float so microtonal arithmetic composes.
pub fn note_to_midi(name: &str) -> Option<f64> {
    let bytes = name.as_bytes();
    let first = *bytes.first()?;
    let base = match first.to_ascii_lowercase() {
        b'c' => 0,
        b'd' => 2,
        b'e' => 4,
        b'f' => 5,
        b'g' => 7,
        b'a' => 9,
        b'b' => 11,
        _ => return None,
    };
    let mut i = 1;
    let mut acc: i64 = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' | b's' => acc += 1,
            b'b' | b'f' => acc -= 1,
            _ => break,
        }
        i += 1;
        if i > 8 {
            return None;
        }
    }
    let rest = &name[i..];
    let octave: i64 = if rest.is_empty() {
        3
    } else {
        if rest.len() > 3 || !rest.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest.parse().ok()?
    };
    Some(((octave + 1) * 12 + base + acc) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(note_to_midi("c4"), Some(60.0));
        assert_eq!(note_to_midi("a4"), Some(69.0));
        assert_eq!(note_to_midi("A2"), Some(45.0));
        assert_eq!(note_to_midi("D3"), Some(50.0));
        assert_eq!(note_to_midi("E2"), Some(40.0));
        assert_eq!(note_to_midi("Bb1"), Some(34.0));
        assert_eq!(note_to_midi("F#2"), Some(42.0));
        assert_eq!(note_to_midi("c#4"), Some(61.0));
        assert_eq!(note_to_midi("db4"), Some(61.0));
        assert_eq!(note_to_midi("c"), Some(48.0));
        assert_eq!(note_to_midi("b3"), Some(59.0));
        assert_eq!(note_to_midi("x"), None);
        assert_eq!(note_to_midi("bd"), None);
        assert_eq!(note_to_midi("c4x"), None);
    }
}
