//! Algebraic properties of the pattern operators (proptest).

use kr_pattern::hap::sort_haps;
use kr_pattern::{mini, stack, Hap, Pattern, Time};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "a",
    "b",
    "c4",
    "~",
    "3",
    "-1.5",
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
];

fn src() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..6).prop_map(|w| w.join(" "))
}

fn pat() -> impl Strategy<Value = Pattern> {
    src().prop_map(|s| mini(&s).expect("generated mini parses"))
}

fn factor() -> impl Strategy<Value = Time> {
    (1i64..=16, 1i64..=8).prop_map(|(n, d)| Time::new(n, d))
}

fn q(p: &Pattern, b: Time, e: Time) -> Vec<Hap> {
    let mut v = p.query(b, e);
    sort_haps(&mut v);
    v
}

fn t(n: i64) -> Time {
    Time::from_integer(n)
}

/// 128 cases per property, or `PROPTEST_CASES` (long runs).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn fast_composes(p in pat(), a in factor(), b in factor()) {
        prop_assert_eq!(q(&p.fast(a).fast(b), t(0), t(2)), q(&p.fast(a * b), t(0), t(2)));
    }

    /// `rev` works cycle by cycle, so events crossing a cycle boundary come back as their
    /// per-cycle fragments: compare with the pattern queried cycle by cycle.
    #[test]
    fn rev_rev_is_identity(s in src()) {
        let p = mini(&s).unwrap();
        prop_assert_eq!(q(&p.rev().rev(), t(-1), t(3)), q(&p.split_queries(), t(-1), t(3)), "{}", s);
    }

    #[test]
    fn late_early_is_identity(p in pat(), x in factor()) {
        prop_assert_eq!(q(&p.late(x).early(x), t(0), t(3)), q(&p, t(0), t(3)));
    }

    #[test]
    fn split_queries_agree_on_onsets(p in pat(), n in 1i64..36) {
        let mid = Time::new(n, 12);
        let key = |hs: Vec<Hap>| {
            let mut v: Vec<_> = hs
                .into_iter()
                .filter(Hap::has_onset)
                .map(|h| (h.whole.map(|w| (w.begin, w.end)), h.value.sort_key()))
                .collect();
            v.sort();
            v
        };
        let whole = key(p.query(t(0), t(3)));
        let mut parts = p.query(t(0), mid);
        parts.extend(p.query(mid, t(3)));
        prop_assert_eq!(whole, key(parts));
    }

    #[test]
    fn stack_is_union(a in pat(), b in pat()) {
        let mut both = q(&a, t(0), t(2));
        both.extend(q(&b, t(0), t(2)));
        sort_haps(&mut both);
        prop_assert_eq!(q(&stack(vec![a, b]), t(0), t(2)), both);
    }

    #[test]
    fn mini_never_panics(s in "[ab c~\\[\\]<>{}(),.|!@?*/%_0-9:-]{0,48}") {
        // Any text parses or is refused; any parsed pattern's query ends, within a work budget
        // (a dense one is stopped by the budget: that is an answer too).
        if let Ok(p) = mini(&s) {
            let _ = kr_pattern::budget::with_budget(1_000_000, || p.query(t(0), t(2)));
        }
    }

    #[test]
    fn mini_never_panics_on_any_text(s in "\\PC{0,64}") {
        let _ = mini(&s);
    }

    #[test]
    fn ir_json_round_trips(s in src(), a in factor()) {
        use kr_pattern::ir::Ir;
        let ir = Ir::Fast {
            factor: Box::new(Ir::num(kr_pattern::time::to_f64(a))),
            pat: Box::new(Ir::mini(&s)),
        };
        let back = Ir::from_json(&ir.to_json()).expect("round trip");
        prop_assert_eq!(&back, &ir);
        let p1 = back.to_pattern().expect("compiles");
        prop_assert_eq!(q(&p1, t(0), t(2)), q(&mini(&s).unwrap().fast(a), t(0), t(2)));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(500) + "a" + &"]".repeat(500);
    let err = mini(&deep).expect_err("too deep");
    assert!(err.msg.contains("nested"), "{err}");
    let long = "a ".repeat(20_000);
    assert!(mini(&long).is_err());
}
