//! Mini-notation parser: tokens to a small AST. Recursive descent with a depth limit; every
//! error carries the column where it was found.

use crate::mini::lexer::{Tok, Token};
use crate::mini::{ParseError, MAX_DEPTH};
use crate::time::{from_f64, Time};
use crate::value::Value;

/// A mini-notation expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A value (`a`, `3`, `c4`, `t`).
    Atom(Value),
    /// `~` or `-`.
    Rest,
    /// Steps sharing a cycle by weight: `a b@2 c`.
    Seq(Vec<Step>),
    /// `a, b`: layers at once.
    Stack(Vec<Node>),
    /// `a | b`: one chosen at random each cycle, with its seed.
    Rand(Vec<Node>, u32),
    /// `a b . c d`: groups sharing the cycle equally.
    Feet(Vec<Node>),
    /// `<a b c>`: one step per cycle (each layer slowed by its step count).
    Alt(Box<Node>),
    /// `{a b c, d e}%n`: layers aligned by step, `n` steps per cycle (default: the first's).
    Poly(Box<Node>, Option<Box<Node>>),
}

/// A step of a sequence: a node, its weight (`@`, `_`, `!`) and its modifiers, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The step's content.
    pub node: Node,
    /// Its share of the cycle (1 unless `@`/`_`/`!` say otherwise).
    pub weight: Time,
    /// True if a weight was written (the sequence then becomes a `timecat`).
    pub weighted: bool,
    /// Modifiers applied in order.
    pub ops: Vec<StepOp>,
}

/// A step modifier.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOp {
    /// `*x`
    Fast(Node),
    /// `/x`
    Slow(Node),
    /// `!n`: the step repeated `n` times in `n` steps.
    Replicate(u32),
    /// `(k,n[,r])`
    Euclid(Node, Node, Option<Node>),
    /// `?` / `?x`, with its seed.
    Degrade(f64, u32),
}

impl Node {
    /// The number of steps a node counts for in `< >` and `{ }` (sum of weights of a sequence).
    pub fn weight(&self) -> Time {
        match self {
            Node::Seq(steps) => steps.iter().map(|s| s.weight).sum(),
            _ => Time::from_integer(1),
        }
    }
}

/// Parses a token list.
pub struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    depth: usize,
    seed: u32,
    end_col: usize,
}

/// Maximum `!` replication and `@` weight.
const MAX_REPLICATE: u32 = 1024;

impl<'a> Parser<'a> {
    /// A parser over `toks`; `end_col` is the column just past the source.
    pub fn new(toks: &'a [Token], end_col: usize) -> Self {
        Parser { toks, pos: 0, depth: 0, seed: 0, end_col }
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn col(&self) -> usize {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError::new(self.col(), msg))
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek().is_some_and(|t| &t.tok == tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else {
            match self.peek() {
                Some(t) => self.err(format!("expected {what}, found {}", describe(&t.tok))),
                None => self.err(format!("expected {what}, found the end")),
            }
        }
    }

    fn next_seed(&mut self) -> u32 {
        let s = self.seed;
        self.seed += 1;
        s
    }

    /// Parses the whole input as a top-level sequence.
    pub fn parse_top(&mut self) -> Result<Node, ParseError> {
        let node = self.parse_group(None)?;
        if let Some(t) = self.peek() {
            return self.err(format!("unexpected {}", describe(&t.tok)));
        }
        Ok(node)
    }

    /// A group: sequences separated by `,` (stack), `|` (random) or `.` (feet), up to `close`.
    fn parse_group(&mut self, close: Option<&Tok>) -> Result<Node, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let first = self.parse_seq(close)?;
        let result = match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Comma) => {
                let mut layers = vec![first];
                while self.eat(&Tok::Comma) {
                    layers.push(self.parse_seq(close)?);
                }
                Node::Stack(layers)
            }
            Some(Tok::Pipe) => {
                let mut opts = vec![first];
                while self.eat(&Tok::Pipe) {
                    opts.push(self.parse_seq(close)?);
                }
                Node::Rand(opts, self.next_seed())
            }
            Some(Tok::Dot) => {
                let mut feet = vec![first];
                while self.eat(&Tok::Dot) {
                    feet.push(self.parse_seq(close)?);
                }
                Node::Feet(feet)
            }
            _ => first,
        };
        self.depth -= 1;
        Ok(result)
    }

    fn at_seq_end(&self, close: Option<&Tok>) -> bool {
        match self.peek() {
            None => true,
            Some(t) => {
                matches!(t.tok, Tok::Comma | Tok::Pipe | Tok::Dot | Tok::RParen)
                    || close.is_some_and(|c| &t.tok == c)
                    || matches!(t.tok, Tok::RBracket | Tok::RAngle | Tok::RBrace)
            }
        }
    }

    /// A sequence of steps.
    fn parse_seq(&mut self, close: Option<&Tok>) -> Result<Node, ParseError> {
        let mut steps: Vec<Step> = Vec::new();
        while !self.at_seq_end(close) {
            let tok = self.peek().map(|t| t.tok.clone());
            match tok {
                Some(Tok::Underscore) => {
                    let Some(last) = steps.last_mut() else {
                        return self.err("'_' must follow a step");
                    };
                    self.pos += 1;
                    last.weight += Time::from_integer(1);
                    last.weighted = true;
                }
                Some(Tok::Range) => {
                    // `a .. b`: the integers from a to b, one step each
                    let col = self.col();
                    let from = steps.pop().and_then(|s| range_end(&s));
                    let Some(from) = from else {
                        return self.err("'..' must follow a whole number");
                    };
                    self.pos += 1;
                    let to = self.parse_step().ok().and_then(|s| range_end(&s));
                    let Some(to) = to else {
                        return Err(ParseError::new(col, "'..' must be followed by a whole number"));
                    };
                    if (to - from).abs() >= i64::from(MAX_REPLICATE) * 4 {
                        return Err(ParseError::new(col, "range longer than 4096 steps"));
                    }
                    let dir = if to >= from { 1 } else { -1 };
                    let mut x = from;
                    loop {
                        steps.push(Step {
                            node: Node::Atom(Value::Num(x as f64)),
                            weight: Time::from_integer(1),
                            weighted: false,
                            ops: Vec::new(),
                        });
                        if x == to {
                            break;
                        }
                        x += dir;
                    }
                }
                Some(Tok::Bang) => {
                    // bare `!`: repeat the previous step
                    let Some(last) = steps.last().cloned() else {
                        return self.err("'!' must follow a step");
                    };
                    self.pos += 1;
                    if steps.len() >= MAX_REPLICATE as usize {
                        return self.err("too many steps");
                    }
                    steps.push(last);
                }
                _ => {
                    let step = self.parse_step()?;
                    steps.push(step);
                }
            }
            if steps.len() > 4096 {
                return self.err("too many steps in one sequence");
            }
        }
        if steps.len() == 1 && !steps[0].weighted && steps[0].ops.is_empty() {
            return Ok(steps.remove(0).node);
        }
        Ok(Node::Seq(steps))
    }

    /// A step: a term followed by modifiers.
    fn parse_step(&mut self) -> Result<Step, ParseError> {
        let node = self.parse_term()?;
        let mut step = Step { node, weight: Time::from_integer(1), weighted: false, ops: Vec::new() };
        while let Some(t) = self.peek().cloned() {
            if t.spaced && !matches!(t.tok, Tok::Star | Tok::Slash | Tok::At | Tok::Percent) {
                break;
            }
            match t.tok {
                Tok::Star => {
                    self.pos += 1;
                    let arg = self.parse_term()?;
                    step.ops.push(StepOp::Fast(arg));
                }
                Tok::Slash => {
                    self.pos += 1;
                    let arg = self.parse_term()?;
                    step.ops.push(StepOp::Slow(arg));
                }
                Tok::At => {
                    self.pos += 1;
                    let w = self.parse_number("a weight after '@'")?;
                    let Some(w) = from_f64(w).filter(|w| *w >= Time::from_integer(0)) else {
                        return self.err("bad weight");
                    };
                    if w > Time::from_integer(MAX_REPLICATE as i64) {
                        return self.err("weight too large");
                    }
                    step.weight = w;
                    step.weighted = true;
                }
                Tok::Bang => {
                    // `!n` (adjacent number) replicates; a bare `!` is handled by the sequence.
                    let next_is_num = self
                        .toks
                        .get(self.pos + 1)
                        .is_some_and(|n| !n.spaced && matches!(&n.tok, Tok::Word(w) if w.parse::<u32>().is_ok()));
                    if !next_is_num {
                        break;
                    }
                    self.pos += 1;
                    let n = self.parse_number("a count after '!'")?;
                    if !(1.0..=MAX_REPLICATE as f64).contains(&n) {
                        return self.err(format!("'!' count must be 1..{MAX_REPLICATE}"));
                    }
                    let n = n as u32;
                    step.ops.push(StepOp::Replicate(n));
                    step.weight = Time::from_integer(n as i64);
                    step.weighted = true;
                }
                Tok::Question => {
                    self.pos += 1;
                    let mut amount = 0.5;
                    if let Some(Token { tok: Tok::Word(w), spaced: false, .. }) = self.peek() {
                        if let Some(x) = parse_number(w) {
                            amount = x;
                            self.pos += 1;
                        }
                    }
                    let seed = self.next_seed();
                    step.ops.push(StepOp::Degrade(amount, seed));
                }
                Tok::LParen => {
                    self.pos += 1;
                    let k = self.parse_euclid_arg()?;
                    self.expect(&Tok::Comma, "',' in euclid (k,n)")?;
                    let n = self.parse_euclid_arg()?;
                    let r = if self.eat(&Tok::Comma) { Some(self.parse_euclid_arg()?) } else { None };
                    self.expect(&Tok::RParen, "')'")?;
                    step.ops.push(StepOp::Euclid(k, n, r));
                }
                _ => break,
            }
            if step.ops.len() > 64 {
                return self.err("too many modifiers on one step");
            }
        }
        Ok(step)
    }

    fn parse_euclid_arg(&mut self) -> Result<Node, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let n = self.parse_seq(Some(&Tok::RParen))?;
        self.depth -= 1;
        if matches!(&n, Node::Seq(s) if s.is_empty()) {
            return self.err("empty euclid argument");
        }
        Ok(n)
    }

    fn parse_number(&mut self, what: &str) -> Result<f64, ParseError> {
        match self.peek() {
            Some(Token { tok: Tok::Word(w), .. }) => match parse_number(w) {
                Some(x) => {
                    self.pos += 1;
                    Ok(x)
                }
                None => self.err(format!("expected {what}, found '{w}'")),
            },
            Some(t) => self.err(format!("expected {what}, found {}", describe(&t.tok))),
            None => self.err(format!("expected {what}, found the end")),
        }
    }

    /// A term: a word or a bracketed group.
    fn parse_term(&mut self) -> Result<Node, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return self.err("expected a step, found the end");
        };
        match t.tok {
            Tok::Word(w) => {
                self.pos += 1;
                Ok(atom(&w))
            }
            Tok::LBracket => {
                self.pos += 1;
                let g = self.parse_group(Some(&Tok::RBracket))?;
                self.expect(&Tok::RBracket, "']'")?;
                Ok(g)
            }
            Tok::LAngle => {
                self.pos += 1;
                let g = self.parse_group(Some(&Tok::RAngle))?;
                self.expect(&Tok::RAngle, "'>'")?;
                Ok(Node::Alt(Box::new(g)))
            }
            Tok::LBrace => {
                self.pos += 1;
                let g = self.parse_group(Some(&Tok::RBrace))?;
                self.expect(&Tok::RBrace, "'}'")?;
                let steps = if self.peek().is_some_and(|t| t.tok == Tok::Percent && !t.spaced) {
                    self.pos += 1;
                    Some(Box::new(self.parse_term()?))
                } else {
                    None
                };
                Ok(Node::Poly(Box::new(g), steps))
            }
            other => self.err(format!("expected a step, found {}", describe(&other))),
        }
    }
}

/// The whole number a plain step holds (an end of a `..` range).
fn range_end(step: &Step) -> Option<i64> {
    match (&step.node, step.ops.is_empty() && !step.weighted) {
        (Node::Atom(Value::Num(x)), true) if x.fract() == 0.0 && x.abs() < 1e9 => Some(*x as i64),
        _ => None,
    }
}

/// A JavaScript-like number (`3`, `-2`, `1.5`, `.5`, `1e3`), rejecting `inf`/`nan` words.
pub fn parse_number(w: &str) -> Option<f64> {
    let body = w.strip_prefix(['-', '+']).unwrap_or(w);
    if body.is_empty() || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if !body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')) {
        return None;
    }
    w.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The value of a word: rest, boolean, number or string. `t`/`true` are `true` and `false` is
/// `false` (deviation 2). `f` stays the string `"f"` (it is also a note name: `"c f a"`), and
/// [`Value::truthy`] reads it as false, so `struct("t f")` keeps only the first step.
pub fn atom(w: &str) -> Node {
    match w {
        "~" | "-" => Node::Rest,
        "t" | "true" => Node::Atom(Value::Bool(true)),
        "false" => Node::Atom(Value::Bool(false)),
        _ => match parse_number(w) {
            Some(x) => Node::Atom(Value::Num(x)),
            None => Node::Atom(Value::Str(w.to_string())),
        },
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("'{w}'"),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LAngle => "'<'".into(),
        Tok::RAngle => "'>'".into(),
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Pipe => "'|'".into(),
        Tok::Dot => "'.'".into(),
        Tok::Star => "'*'".into(),
        Tok::Slash => "'/'".into(),
        Tok::Bang => "'!'".into(),
        Tok::At => "'@'".into(),
        Tok::Question => "'?'".into(),
        Tok::Percent => "'%'".into(),
        Tok::Underscore => "'_'".into(),
        Tok::Range => "'..'".into(),
    }
}
