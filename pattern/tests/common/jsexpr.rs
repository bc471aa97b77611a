//! A tiny evaluator for the JavaScript-ish Strudel expressions of the conformance data:
//! double-quoted strings are mini-notation, single-quoted strings and numbers are pure values,
//! arrays are sequences, `f(...)` calls, `.method(...)` chains and `x => expr` lambdas.

#![allow(dead_code)]

use std::collections::HashMap;
use std::rc::Rc;

use kr_pattern::ir::to_midi;
use kr_pattern::ops::arith::How;
use kr_pattern::ops::chance::wchoose_cycles;
use kr_pattern::ops::pick::{Lookup, PickJoin, Wrap};
use kr_pattern::ops::random::choose_in_with;
use kr_pattern::ops::reshape::polymeter;
use kr_pattern::time::from_f64;
use kr_pattern::{control, fastcat, mini, pure, signals, slowcat, stack, timecat, Op, Pattern, Value};

fn steps_of(src: &str) -> i64 {
    let w = kr_pattern::mini::steps(src).expect("mini parses");
    assert!(w.is_integer(), "whole steps");
    w.to_integer()
}

fn lookup(v: &JsVal) -> Lookup {
    match v {
        JsVal::Arr(xs) => Lookup::List(xs.iter().map(reify).collect()),
        JsVal::Obj(fields) => Lookup::Named(fields.iter().map(|(k, v)| (k.clone(), reify(v))).collect()),
        _ => panic!("lookup wants a list or an object"),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Dq(String),
    Sq(String),
    Ident(String),
    Sym(char),
    Arrow,
}

fn lex(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '"' || ch == '\'' {
            let mut j = i + 1;
            while c[j] != ch {
                j += 1;
            }
            let text: String = c[i + 1..j].iter().collect();
            out.push(if ch == '"' { Tok::Dq(text) } else { Tok::Sq(text) });
            i = j + 1;
        } else if ch.is_ascii_digit() {
            let mut j = i;
            while j < c.len() && (c[j].is_ascii_digit() || c[j] == '.') {
                j += 1;
            }
            out.push(Tok::Num(c[i..j].iter().collect::<String>().parse().unwrap()));
            i = j;
        } else if ch.is_alphabetic() || ch == '_' {
            let mut j = i;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            out.push(Tok::Ident(c[i..j].iter().collect()));
            i = j;
        } else if ch == '=' && c.get(i + 1) == Some(&'>') {
            out.push(Tok::Arrow);
            i += 2;
        } else {
            out.push(Tok::Sym(ch));
            i += 1;
        }
    }
    out
}

/// The expression tree.
#[derive(Clone, Debug)]
pub enum Expr {
    Num(f64),
    Mini(String),
    Str(String),
    Var(String),
    Array(Vec<Expr>),
    Call(String, Vec<Expr>),
    Method(Box<Expr>, String, Vec<Expr>),
    Lambda(String, Rc<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Object(Vec<(String, Expr)>),
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn sym(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expr(&mut self) -> Expr {
        // lambda?
        if let (Some(Tok::Ident(x)), Some(Tok::Arrow)) = (self.t.get(self.i), self.t.get(self.i + 1)) {
            let x = x.clone();
            self.i += 2;
            let body = self.expr();
            return Expr::Lambda(x, Rc::new(body));
        }
        let mut e = self.postfix();
        while self.sym('/') {
            let r = self.postfix();
            e = Expr::Div(Box::new(e), Box::new(r));
        }
        e
    }
    fn args(&mut self, close: char) -> Vec<Expr> {
        let mut v = Vec::new();
        if self.sym(close) {
            return v;
        }
        loop {
            v.push(self.expr());
            if self.sym(close) {
                return v;
            }
            assert!(self.sym(','), "expected , at {:?}", self.peek());
        }
    }
    fn postfix(&mut self) -> Expr {
        let mut e = self.primary();
        while self.sym('.') {
            let Some(Tok::Ident(mut name)) = self.peek().cloned() else { panic!("method name") };
            self.i += 1;
            // `x.add.squeeze(y)`: an operator with its structure ("how") as a property.
            if !self.sym('(') {
                assert!(self.sym('.'), "expected ( or . after {name}");
                let Some(Tok::Ident(how)) = self.peek().cloned() else { panic!("how name") };
                self.i += 1;
                name = format!("{name}.{how}");
                assert!(self.sym('('));
            }
            let a = self.args(')');
            e = Expr::Method(Box::new(e), name, a);
        }
        e
    }
    fn primary(&mut self) -> Expr {
        let t = self.peek().cloned().expect("unexpected end");
        self.i += 1;
        match t {
            Tok::Num(x) => Expr::Num(x),
            Tok::Dq(s) => Expr::Mini(s),
            Tok::Sq(s) => Expr::Str(s),
            Tok::Sym('[') => Expr::Array(self.args(']')),
            Tok::Sym('{') => {
                let mut fields = Vec::new();
                while !self.sym('}') {
                    let Some(Tok::Ident(k)) = self.peek().cloned() else { panic!("object key") };
                    self.i += 1;
                    assert!(self.sym(':'));
                    fields.push((k, self.expr()));
                    self.sym(',');
                }
                Expr::Object(fields)
            }
            Tok::Sym('-') => match self.primary() {
                Expr::Num(x) => Expr::Num(-x),
                other => panic!("unary minus on {other:?}"),
            },
            Tok::Ident(name) => {
                if self.sym('(') {
                    Expr::Call(name, self.args(')'))
                } else {
                    Expr::Var(name)
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Parses an expression.
pub fn parse(src: &str) -> Expr {
    let mut p = P { t: lex(src), i: 0 };
    let e = p.expr();
    assert!(p.i == p.t.len(), "trailing tokens in {src}");
    e
}

/// A runtime value.
#[derive(Clone)]
pub enum JsVal {
    Num(f64),
    Str(String),
    Pat(Pattern),
    Arr(Vec<JsVal>),
    Obj(Vec<(String, JsVal)>),
    Func(Rc<dyn Fn(&Pattern) -> Pattern>),
}

fn reify(v: &JsVal) -> Pattern {
    match v {
        JsVal::Num(x) => pure(*x),
        JsVal::Str(s) => pure(Value::Str(s.clone())),
        JsVal::Pat(p) => p.clone(),
        JsVal::Arr(xs) => fastcat(xs.iter().map(reify).collect()),
        JsVal::Func(_) => panic!("function used as pattern"),
        JsVal::Obj(_) => panic!("object used as pattern"),
    }
}

fn num(v: &JsVal) -> f64 {
    match v {
        JsVal::Num(x) => *x,
        _ => panic!("expected a number"),
    }
}

fn func(v: &JsVal) -> Rc<dyn Fn(&Pattern) -> Pattern> {
    match v {
        JsVal::Func(f) => f.clone(),
        _ => panic!("expected a function"),
    }
}

type Env = HashMap<String, JsVal>;

/// Evaluates an expression.
pub fn eval(e: &Expr, env: &Env) -> JsVal {
    match e {
        Expr::Num(x) => JsVal::Num(*x),
        Expr::Mini(s) => JsVal::Pat(mini(s).expect("mini parses")),
        Expr::Str(s) => JsVal::Str(s.clone()),
        Expr::Array(xs) => JsVal::Arr(xs.iter().map(|x| eval(x, env)).collect()),
        Expr::Object(fields) => JsVal::Obj(fields.iter().map(|(k, v)| (k.clone(), eval(v, env))).collect()),
        Expr::Div(a, b) => JsVal::Num(num(&eval(a, env)) / num(&eval(b, env))),
        Expr::Lambda(x, body) => {
            let (x, body, env) = (x.clone(), body.clone(), env.clone());
            JsVal::Func(Rc::new(move |p: &Pattern| {
                let mut env = env.clone();
                env.insert(x.clone(), JsVal::Pat(p.clone()));
                reify(&eval(&body, &env))
            }))
        }
        Expr::Var(name) => {
            if let Some(v) = env.get(name) {
                return v.clone();
            }
            JsVal::Pat(match name.as_str() {
                "rand" => signals::rand(),
                "sine" => signals::sine(),
                "cosine" => signals::cosine(),
                "saw" => signals::saw(),
                "isaw" => signals::isaw(),
                "tri" => signals::tri(),
                "square" => signals::square(),
                "perlin" => signals::perlin(),
                "rev" => return JsVal::Func(Rc::new(|p: &Pattern| p.rev())),
                "press" => return JsVal::Func(Rc::new(|p: &Pattern| p.press())),
                other => panic!("unknown name {other}"),
            })
        }
        Expr::Call(name, args) => {
            let a: Vec<JsVal> = args.iter().map(|x| eval(x, env)).collect();
            let pats = || a.iter().map(reify).collect::<Vec<_>>();
            JsVal::Pat(match name.as_str() {
                "sequence" | "seq" | "fastcat" => fastcat(pats()),
                "cat" | "slowcat" => slowcat(pats()),
                "stack" => stack(pats()),
                "timeCat" | "timecat" => timecat(
                    a.iter()
                        .map(|p| match p {
                            JsVal::Arr(xs) => (from_f64(num(&xs[0])).unwrap(), reify(&xs[1])),
                            _ => panic!("timeCat wants pairs"),
                        })
                        .collect(),
                ),
                "slow" => reify(&a[1]).slow_p(&reify(&a[0])),
                "fast" => reify(&a[1]).fast_p(&reify(&a[0])),
                "rev" => reify(&a[0]).rev(),
                "midi" => reify(&a[0]).fmap(to_midi),
                "note" | "n" | "s" => control(name, &reify(&a[0])),
                "sound" => control("s", &reify(&a[0])),
                "wrandcat" | "wchooseCycles" => wchoose_cycles(
                    a.iter()
                        .map(|p| match p {
                            JsVal::Arr(xs) => (reify(&xs[0]), num(&xs[1])),
                            _ => panic!("wrandcat wants pairs"),
                        })
                        .collect(),
                ),
                "polymeter" => polymeter(
                    args.iter()
                        .map(|x| match x {
                            Expr::Mini(src) => (mini(src).unwrap(), steps_of(src)),
                            _ => panic!("polymeter wants mini-notation"),
                        })
                        .collect(),
                ),
                "chord" => kr_pattern::tonal::chord(&reify(&a[0])),
                "irand" => signals::irand(&reify(&a[0])),
                "run" => signals::run_p(&reify(&a[0])),
                "randcat" | "chooseCycles" => choose_in_with(&signals::rand().segment(1.into()), pats()),
                other => panic!("unknown function {other}"),
            })
        }
        Expr::Method(target, name, args) => {
            let p = reify(&eval(target, env));
            let a: Vec<JsVal> = args.iter().map(|x| eval(x, env)).collect();
            let r = |i: usize| reify(&a[i]);
            JsVal::Pat(match name.as_str() {
                "fast" => p.fast_p(&r(0)),
                "slow" => p.slow_p(&r(0)),
                "early" => p.early_p(&r(0)),
                "late" => p.late_p(&r(0)),
                "rev" => p.rev(),
                "ply" => p.ply_p(&r(0)),
                "segment" | "seg" => p.segment_p(&r(0)),
                "iter" => p.iter_p(&r(0)),
                "iterBack" => p.iter_back_p(&r(0)),
                "palindrome" => p.palindrome(),
                "every" | "firstOf" => {
                    let f = func(&a[1]);
                    p.first_of_p(&r(0), &f(&p))
                }
                "lastOf" => {
                    let f = func(&a[1]);
                    p.last_of_p(&r(0), &f(&p))
                }
                "inside" => {
                    let f = func(&a[1]);
                    let n = r(0);
                    f(&p.slow_p(&n)).fast_p(&n)
                }
                "outside" => {
                    let f = func(&a[1]);
                    let n = r(0);
                    f(&p.fast_p(&n)).slow_p(&n)
                }
                "off" => {
                    let f = func(&a[1]);
                    stack(vec![p.clone(), f(&p.late_p(&r(0)))])
                }
                "struct" => p.struct_(&r(0)),
                "mask" => p.mask(&r(0)),
                "euclid" => p.euclid_p(&r(0), &r(1), &pure(0.0)),
                "euclidRot" => p.euclid_p(&r(0), &r(1), &r(2)),
                "swingBy" => p.swing_by(&r(0), &r(1)),
                "swing" => p.swing_by(&pure(1.0 / 3.0), &r(0)),
                "degradeBy" => p.degrade_by_p(&r(0)),
                "undegradeBy" => p.undegrade_by_p(&r(0)),
                "degrade" => p.degrade_by(0.5),
                "seed" => p.seed_p(&r(0)),
                "chunk" | "chunkBack" | "fastChunk" => {
                    let n = num(&a[0]) as i64;
                    let fast = name == "fastChunk";
                    let then = func(&a[1])(&p.chunk_base(n, fast));
                    p.chunk_with(n, &then, name == "chunkBack", fast)
                }
                "linger" => p.linger_p(&r(0)),
                "echo" => p.echo_p(&r(0), &r(1), &r(2)),
                "stut" => p.echo_p(&r(0), &r(2), &r(1)),
                "superimpose" => p.superimpose_with(&a.iter().map(|f| func(f)(&p)).collect::<Vec<_>>()),
                "layer" => stack(a.iter().map(|f| func(f)(&p)).collect()),
                "brak" => p.brak(),
                "press" => p.press(),
                "pressBy" => p.press_by_p(&r(0)),
                "hurry" => p.hurry(&r(0)),
                "fastGap" => {
                    let q = p.clone();
                    kr_pattern::ops::args::with_time_arg(&r(0), move |f| q.fast_gap(f))
                }
                "inv" => p.inv(),
                "when" => {
                    let then = func(&a[1])(&p);
                    p.when_with(&r(0), &then)
                }
                "within" => {
                    let (x, y) = (num(&a[0]), num(&a[1]));
                    let then = func(&a[2])(&p.within_inside(x, y));
                    p.within_with(x, y, &then)
                }
                "compress" => p.compress(from_f64(num(&a[0])).unwrap(), from_f64(num(&a[1])).unwrap()),
                "zoom" => p.zoom(from_f64(num(&a[0])).unwrap(), from_f64(num(&a[1])).unwrap()),
                "repeatCycles" => p.repeat_cycles(num(&a[0]) as i64),
                "euclidLegato" => p.euclid_legato_p(&r(0), &r(1), &pure(0.0)),
                "euclidLegatoRot" => p.euclid_legato_p(&r(0), &r(1), &r(2)),
                "ribbon" => p.ribbon_p(&r(0), &r(1)),
                "plyWith" => {
                    let f = func(&a[1]);
                    let mut layers = vec![p.clone()];
                    for _ in 1..num(&a[0]) as usize {
                        let next = f(layers.last().unwrap());
                        layers.push(next);
                    }
                    Pattern::ply_with_layers(layers)
                }
                "someCyclesBy" => {
                    let f = func(&a[1]);
                    match &a[0] {
                        JsVal::Num(x) => p.some_cycles_by_applied(*x, &f(&p.some_cycles_base(*x))),
                        _ => p.some_cycles_by_with(&r(0), &f(&p)),
                    }
                }
                "often" | "rarely" | "almostNever" | "almostAlways" => {
                    let prob = match name.as_str() {
                        "often" => 0.75,
                        "rarely" => 0.25,
                        "almostNever" => 0.1,
                        _ => 0.9,
                    };
                    let f = func(&a[0]);
                    p.sometimes_by_applied(prob, &f(&p.undegrade_by(1.0 - prob)))
                }
                "always" => func(&a[0])(&p),
                "never" => p,
                "shuffle" => p.shuffle_p(&r(0)),
                "scramble" => p.scramble_p(&r(0)),
                "pick" => p.pick(lookup(&a[0]), Wrap::Clamp, PickJoin::Inner),
                "inhabit" => p.pick(lookup(&a[0]), Wrap::Clamp, PickJoin::Squeeze),
                "squeeze" => p.op_how(Op::Set, How::Squeeze, &reify(&a[0])),
                "bite" => p.bite(&r(0), &r(1)),
                "range2" => p.range2(&r(0), &r(1)),
                "rangex" => p.rangex(&r(0), &r(1)),
                "arp" => p.arp(&r(0)),
                "jux" => {
                    let then = func(&a[0])(&p.pan_shift(0.5));
                    p.jux_by_with(1.0, &then)
                }
                "juxBy" => {
                    let by = num(&a[0]);
                    let then = func(&a[1])(&p.pan_shift(by / 2.0));
                    p.jux_by_with(by, &then)
                }
                "chop" => p.chop_p(&r(0)),
                "striate" => p.striate_p(&r(0)),
                "slice" => p.slice(&r(0), &r(1)),
                "splice" => p.splice(&r(0), &r(1)),
                "loopAt" => p.loop_at_p(&r(0)),
                "fit" => p.fit(),
                "set" => p.op(Op::Set, &r(0)),
                "keep" => p.op(Op::Keep, &r(0)),
                "scale" => kr_pattern::tonal::scale(&p, &r(0)),
                "transpose" => kr_pattern::tonal::transpose(&p, &r(0)),
                "scaleTranspose" => {
                    // kr takes the scale as an argument: it is the preceding `.scale(...)`'s.
                    let Expr::Method(_, prev, prev_args) = target.as_ref() else {
                        panic!("scaleTranspose after scale")
                    };
                    assert_eq!(prev, "scale");
                    let sc = reify(&eval(&prev_args[0], env));
                    kr_pattern::tonal::scale_transpose(&p, &sc, &r(0))
                }
                "voicing" => kr_pattern::tonal::voicing(&p),
                "rootNotes" => kr_pattern::tonal::root_notes(&p, &r(0)),
                op_how if op_how.contains('.') => {
                    let (op, how) = op_how.split_once('.').unwrap();
                    let op = match op {
                        "add" => Op::Add,
                        "sub" => Op::Sub,
                        "mul" => Op::Mul,
                        "div" => Op::Div,
                        "set" => Op::Set,
                        "keep" => Op::Keep,
                        other => panic!("unknown operator {other}"),
                    };
                    let how = match how {
                        "in" => How::In,
                        "out" => How::Out,
                        "mix" => How::Mix,
                        "squeeze" => How::Squeeze,
                        other => panic!("unknown structure {other}"),
                    };
                    p.op_how(op, how, &r(0))
                }
                "sometimesBy" => {
                    let f = func(&a[1]);
                    match &a[0] {
                        JsVal::Num(x) => p.sometimes_by_applied(*x, &f(&p.undegrade_by(1.0 - x))),
                        _ => p.sometimes_by_with(&r(0), &f(&p)),
                    }
                }
                "sometimes" => {
                    let f = func(&a[0]);
                    p.sometimes_by_applied(0.5, &f(&p.undegrade_by(0.5)))
                }
                "add" => p.add(&r(0)),
                "sub" => p.sub(&r(0)),
                "mul" => p.mul(&r(0)),
                "div" => p.div(&r(0)),
                "range" => p.range(&r(0), &r(1)),
                "note" | "n" | "s" | "pan" | "begin" | "end" | "speed" | "cut" | "orbit" | "room" | "bank" => {
                    p.set_control(name, &r(0))
                }
                "size" => p.set_control("roomsize", &r(0)),
                other => panic!("unknown method {other}"),
            })
        }
    }
}

/// Parses and evaluates an expression to a pattern.
pub fn eval_pattern(src: &str) -> Pattern {
    reify(&eval(&parse(src), &Env::new()))
}
