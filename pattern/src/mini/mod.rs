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
