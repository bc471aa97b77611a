//! Laws of the library operators (proptest) and a fuzz of the extended mini-notation.
//!
//! `FUZZ_STRINGS` sets the number of random mini-notation strings (2 000 by default; the long
//! run uses 100 000), `PROPTEST_CASES` the cases per law.

use kr_pattern::hap::sort_haps;
use kr_pattern::{mini, Hap, Pattern, Time, Value};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "a",
    "b",
    "c4",
    "~",
    "3",
    "[a b]",
    "<a b c>",
    "a*2",
    "b?",
    "a(3,8)",
    "a!2",
    "a@3",
    "{a b c}%4",
    "[a, b]",
    "a | b",
    "<a [b c]>/2",
    "a _",
    "0 .. 3",
    "bd:3",
    "a?0.3",
    "a !",
    "[a b . c]",
];

fn src() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..6).prop_map(|w| w.join(" "))
}

fn pat() -> impl Strategy<Value = Pattern> {
    src().prop_map(|s| mini(&s).expect("generated mini parses"))
}

fn t(n: i64) -> Time {
    Time::from_integer(n)
}

/// What a scheduler plays: the events that start in `[0, 4)`, as (whole, value).
fn played(p: &Pattern) -> Vec<(Option<kr_pattern::Span>, String)> {
    let mut v: Vec<Hap> = p.query(t(0), t(4)).into_iter().filter(Hap::has_onset).collect();
    sort_haps(&mut v);
    v.into_iter().map(|h| (h.whole, h.value.sort_key())).collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// `fast_chunk(n, id)` plays the pattern; `chunk(n, id)` plays it with each cycle repeated
    /// `n` times (Strudel's `chunk` repeats cycles, so `chunk(n, id) == id` exactly when the
    /// pattern is the same every cycle, checked with `p.repeat_cycles(n)` as the reference).
    #[test]
    fn chunk_with_identity(p in pat(), n in 1i64..6, back in any::<bool>()) {
        let fast = p.chunk_with(n, &p, back, true);
        prop_assert_eq!(played(&fast), played(&p));
        let slow = p.chunk_with(n, &p.chunk_base(n, false), back, false);
        prop_assert_eq!(played(&slow), played(&p.repeat_cycles(n)));
        let per_cycle = p.repeat_cycles(1_000_000);
        let slow_same = per_cycle.chunk_with(n, &per_cycle.chunk_base(n, false), back, false);
        prop_assert_eq!(played(&slow_same), played(&per_cycle));
    }

    /// `jux(id)` doubles the events: each once panned hard left (0) and once hard right (1).
    #[test]
    fn jux_identity_doubles_with_pans(p in pat()) {
        let s = p.as_control("s");
        let juxed = s.jux_by_with(1.0, &s.pan_shift(0.5));
        let got = played(&juxed);
        let base = played(&s);
        prop_assert_eq!(got.len(), 2 * base.len());
        let mut left = Vec::new();
        let mut right = Vec::new();
        for h in juxed.query(t(0), t(4)).into_iter().filter(Hap::has_onset) {
            let Value::Map(mut m) = h.value else { panic!("jux gives maps") };
            let pan = m.remove("pan").and_then(|v| v.as_f64());
            let e = (h.whole, Value::Map(m).sort_key());
            match pan {
                Some(0.0) => left.push(e),
                Some(1.0) => right.push(e),
                other => prop_assert!(false, "pan {other:?}"),
            }
        }
        left.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        right.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let mut base = base;
        base.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        prop_assert_eq!(&left, &base);
        prop_assert_eq!(&right, &base);
    }

    /// `ply(1)` and `linger(1)` change nothing that plays.
    #[test]
    fn ply_one_and_linger_one_are_identity(p in pat()) {
        prop_assert_eq!(played(&p.ply(t(1))), played(&p));
        prop_assert_eq!(played(&p.linger(t(1))), played(&p));
    }

    /// `superimpose` with no functions, `press_by(0)`, `euclid_legato(n, n)` and `range2(-1, 1)`
    /// change nothing that plays.
    #[test]
    fn other_identities(p in pat(), n in 1i64..9) {
        prop_assert_eq!(played(&p.superimpose_with(&[])), played(&p));
        prop_assert_eq!(played(&p.press_by(t(0))), played(&p));
        let nums = p.fmap(|v| Value::Num(v.as_f64().unwrap_or(0.5)));
        let ranged = nums.range2(&kr_pattern::pure(-1.0), &kr_pattern::pure(1.0));
        let a: Vec<f64> = ranged.query(t(0), t(2)).iter().map(|h| h.value.as_f64().unwrap()).collect();
        let b: Vec<f64> = nums.query(t(0), t(2)).iter().map(|h| h.value.as_f64().unwrap()).collect();
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert!((x - y).abs() < 1e-9);
        }
        let all = kr_pattern::pure("x").euclid_legato(n, n, 0);
        prop_assert_eq!(played(&all), played(&kr_pattern::pure("x").fast(t(n))));
    }

    /// `shuffle(n)` plays each of the `n` slices exactly once per cycle.
    #[test]
    fn shuffle_is_a_permutation(n in 1i64..9, cycle in 0i64..50) {
        let slices = kr_pattern::signals::run(n);
        let mut got: Vec<i64> = slices
            .shuffle(n)
            .query(t(cycle), t(cycle + 1))
            .iter()
            .map(|h| h.value.as_f64().unwrap() as i64)
            .collect();
        got.sort_unstable();
        prop_assert_eq!(got, (0..n).collect::<Vec<_>>());
    }
}

/// A small deterministic generator (xorshift), so the fuzz needs no seed file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const PIECES: &[&str] = &[
    "a", "bd", "c4", "eb3", "0", "3", "-2", "1.5", " ", " ", " ", "~", "-", "..", ":", ":3", "|", "?", "?0.3", "!",
    "!3", ".", "_", "@2", "*2", "/3", "%4", "(", ")", ",", "[", "]", "<", ">", "{", "}", "x", "t", "'", "^",
];

/// Random strings of the extended mini-notation never panic, and every error names a column
/// inside the string (or just after it).
#[test]
fn extended_mini_notation_fuzz() {
    let n: usize = std::env::var("FUZZ_STRINGS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut errors) = (0, 0);
    for _ in 0..n {
        let len = (rng.next() % 24) as usize;
        let s: String = (0..len).map(|_| PIECES[(rng.next() % PIECES.len() as u64) as usize]).collect();
        match mini(&s) {
            Ok(p) => {
                ok += 1;
                let _ = kr_pattern::budget::with_budget(100_000, || p.query(t(0), t(2)));
            }
            Err(e) => {
                errors += 1;
                let cols = s.chars().count() + 1;
                assert!((1..=cols).contains(&e.col), "{s:?}: column {} outside 1..={cols}", e.col);
                assert!(e.to_string().contains(&format!("column {}", e.col)), "{s:?}: {e}");
            }
        }
    }
    eprintln!("{n} strings: {ok} parsed, {errors} errors");
    assert!(ok > n / 20 && errors > n / 20, "the fuzz exercises both sides: {ok} parsed, {errors} errors");
}

/// Every library operator, given random arguments through the IR (numbers of any size and sign,
/// strings, mini-notation, signals, silence), compiles to a pattern or an error and never panics;
/// its queries stay within a work budget or report that they would not.
#[test]
fn library_operators_never_panic_on_odd_arguments() {
    use kr_pattern::ir::Ir;
    let pool: Vec<Ir> = vec![
        Ir::num(0.0),
        Ir::num(1.0),
        Ir::num(-3.0),
        Ir::num(0.25),
        Ir::num(4.0),
        Ir::num(1e6),
        Ir::num(-1e6),
        Ir::num(1e-6),
        Ir::Pure { value: Value::Str("C:major".into()) },
        Ir::Pure { value: Value::Str("add".into()) },
        Ir::Pure { value: Value::Str("squeeze".into()) },
        Ir::Pure { value: Value::Str("Am7".into()) },
        Ir::Pure { value: Value::Bool(true) },
        Ir::mini("<0 1 2>*2"),
        Ir::mini("a b:3 ~"),
        Ir::mini("c4 [e4, g4]"),
        Ir::Silence,
        Ir::Signal { kind: kr_pattern::ir::SignalKind::Sine },
        Ir::Control { name: "s".into(), pat: Box::new(Ir::mini("bd sd")) },
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let names: Vec<&str> = kr_pattern::library::names().collect();
    let mut compiled = 0;
    for name in names {
        for _ in 0..300 {
            let n = (rng.next() % 6) as usize;
            if kr_pattern::library::check(name, n).is_err() {
                continue;
            }
            let args: Vec<Ir> = (0..n).map(|_| pool[(rng.next() % pool.len() as u64) as usize].clone()).collect();
            let ir = Ir::Lib { name: name.to_string(), args };
            if let Ok(p) = ir.to_pattern() {
                compiled += 1;
                let _ = kr_pattern::budget::with_budget(200_000, || p.query(t(-1), t(3)));
            }
        }
    }
    assert!(compiled > 2_000, "only {compiled} argument lists compiled");
}

/// An IR error inside a library operator's arguments names the argument's place.
#[test]
fn ir_errors_name_the_library_argument() {
    let bad = r#"{"v":1,"p":{"op":"lib","name":"shuffle","args":[{"op":"pure","value":1},{"op":"lib","name":"nope","args":[]}]}}"#;
    let e = kr_pattern::ir::Ir::from_json(bad).unwrap_err();
    assert_eq!(e.path, "p.args[1]");
    assert!(e.msg.contains("unknown library operator \"nope\""), "{e}");
    let arity = r#"{"v":1,"p":{"op":"lib","name":"chunk","args":[{"op":"pure","value":1}]}}"#;
    assert!(kr_pattern::ir::Ir::from_json(arity).unwrap_err().msg.contains("chunk takes 3..3 arguments, got 1"));
    let not_constant = r#"{"v":1,"p":{"op":"lib","name":"within","args":[{"op":"mini","src":"a"},{"op":"mini","src":"0 1"},{"op":"pure","value":1},{"op":"mini","src":"a"}]}}"#;
    let e = kr_pattern::ir::Ir::from_json(not_constant).and_then(|ir| ir.to_pattern().map(|_| ())).unwrap_err();
    assert!(e.msg.contains("argument 2 (begin) must be a constant"), "{e}");
}
