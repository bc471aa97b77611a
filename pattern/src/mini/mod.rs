//! The mini-notation (Tidal/Strudel): a string language for sequences. Lexer → parser (AST) →
//! compiler (pattern). Parsing never panics and is bounded in length and depth.

pub mod compile;
pub mod lexer;
pub mod parser;

use crate::pattern::Pattern;

/// Longest accepted mini-notation source, in bytes.
pub const MAX_LEN: usize = 16 * 1024;
/// Deepest accepted nesting of brackets.
pub const MAX_DEPTH: usize = 64;

/// A mini-notation syntax error: what, and where (1-based column).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("mini-notation error at column {col}: {msg}")]
pub struct ParseError {
    /// 1-based column (in characters) where the problem was found.
    pub col: usize,
    /// What was wrong.
    pub msg: String,
}

impl ParseError {
    /// A new error.
    pub fn new(col: usize, msg: impl Into<String>) -> Self {
        ParseError { col, msg: msg.into() }
    }
}

/// Parses mini-notation into its AST.
pub fn parse(src: &str) -> Result<parser::Node, ParseError> {
    if src.len() > MAX_LEN {
        return Err(ParseError::new(1, format!("longer than {MAX_LEN} bytes ({} bytes)", src.len())));
    }
    let toks = lexer::lex(src)?;
    let end_col = src.chars().count() + 1;
    parser::Parser::new(&toks, end_col).parse_top()
}

/// Parses mini-notation into a pattern, e.g. `mini("a [b c]*2 <d e>")`.
pub fn mini(src: &str) -> Result<Pattern, ParseError> {
    Ok(compile::compile(&parse(src)?))
}

/// The number of steps of a mini-notation sequence (the sum of its top-level step weights:
/// `"a b c"` has 3, `"a b@2"` has 3), as Strudel's `polymeter` counts them.
pub fn steps(src: &str) -> Result<crate::time::Time, ParseError> {
    Ok(parse(src)?.weight())
}

/// Checks that every word of `src` can be played as a note: a number (MIDI), a note name
/// (`c`, `Eb4`), a rest (`~`, `-`) or a hit (`x`, `X`, `t`, `true`, `false`). The error names
/// the first other word and its column, e.g. `not a note: 'H2'`.
pub fn check_notes(src: &str) -> Result<(), ParseError> {
    check_words(src, "note", |w| {
        parser::parse_number(w).is_some()
            || matches!(w, "x" | "X" | "t" | "true" | "false")
            || crate::note::note_to_midi(w).is_some()
    })
}

/// Checks that every word of `src` (rests aside, and numbers after `*`, `/`, `@`, `!`, `?`, `%`
/// or inside `( )`) passes `ok`; the error names the first other word (`not a {what}: 'H2'`)
/// and its column.
pub fn check_words(src: &str, what: &str, ok: impl Fn(&str) -> bool) -> Result<(), ParseError> {
    use lexer::Tok;
    parse(src)?;
    let toks = lexer::lex(src)?;
    let mut paren = 0usize;
    let mut prev: Option<&Tok> = None;
    for t in &toks {
        match &t.tok {
            Tok::LParen => paren += 1,
            Tok::RParen => paren = paren.saturating_sub(1),
            Tok::Word(w) => {
                let modifier_arg = paren > 0
                    || matches!(
                        prev,
                        Some(Tok::Star | Tok::Slash | Tok::At | Tok::Bang | Tok::Question | Tok::Percent)
                    );
                if !(modifier_arg || matches!(w.as_str(), "~" | "-") || ok(w)) {
                    return Err(ParseError::new(t.col, format!("not a {what}: '{w}'")));
                }
            }
            _ => {}
        }
        prev = Some(&t.tok);
    }
    Ok(())
}
