//! Mini-notation tokens, each with its column (1-based, in characters).

use crate::mini::ParseError;

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A word: number, note name, sample name, `~`, `-`.
    Word(String),
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `<`
    LAngle,
    /// `>`
    RAngle,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `|`
    Pipe,
    /// a standalone `.` (feet)
    Dot,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `!`
    Bang,
    /// `@`
    At,
    /// `?`
    Question,
    /// `%`
    Percent,
    /// a standalone `_` (elongation)
    Underscore,
    /// `..` (a range of whole numbers)
    Range,
}

/// A token with its position and whether whitespace precedes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// 1-based column of its first character.
    pub col: usize,
    /// True if whitespace (or the start) precedes it.
    pub spaced: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '#' | '-' | '_' | '^' | ':' | '\'' | '~' | '+')
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut spaced = true;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            spaced = true;
            i += 1;
            continue;
        }
        let single = match c {
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            '<' => Some(Tok::LAngle),
            '>' => Some(Tok::RAngle),
            '{' => Some(Tok::LBrace),
            '}' => Some(Tok::RBrace),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '|' => Some(Tok::Pipe),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '!' => Some(Tok::Bang),
            '@' => Some(Tok::At),
            '?' => Some(Tok::Question),
            '%' => Some(Tok::Percent),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token { tok, col, spaced });
            spaced = false;
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "." => Tok::Dot,
                ".." => Tok::Range,
                "_" => Tok::Underscore,
                _ => Tok::Word(word),
            };
            out.push(Token { tok, col, spaced });
            spaced = false;
            continue;
        }
        return Err(ParseError::new(col, format!("unexpected character '{c}'")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_symbols() {
        let t = lex("a*2 [b, c] . d?0.3").unwrap();
        let kinds: Vec<Tok> = t.into_iter().map(|t| t.tok).collect();
        assert_eq!(kinds[0], Tok::Word("a".into()));
        assert_eq!(kinds[1], Tok::Star);
        assert!(kinds.contains(&Tok::Dot));
        assert_eq!(lex("a $").unwrap_err().col, 3);
    }
}
