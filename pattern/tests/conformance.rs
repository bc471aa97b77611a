//! Runs every Strudel 1.2.6 reference query of `tests/data/strudel-patterns.jsonl` and
//! `tests/data/strudel-library.jsonl` (the cases using a documented deviation assert kr's
//! result, see `deviations`).

mod common;

use common::jsexpr::eval_pattern;
use kr_pattern::hap::sort_haps;
use kr_pattern::{Hap, Time};
use serde_json::Value as J;

fn t(s: &str) -> Time {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    Time::new(n.parse().unwrap(), d.parse().unwrap())
}

fn opt_t(v: &J) -> Option<Time> {
    v.as_str().map(t)
}

fn values_eq(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9,
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Expected events, adjusted for the cases that exercise a documented deviation.
fn deviations(id: &str, mut events: Vec<J>) -> Vec<J> {
    match id {
        // Deviation 2: `f` is false, so struct("t f t t") drops the second step.
        "struct/t_f_strings" => {
            events.retain(|e| e["part_begin"] != "1/4");
        }
        // Deviation 3: every/firstOf works in negative cycles; cycle -1 of
        // "a b".every(2, rev) is the plain pattern, so late(0.25) brings in its "b".
        "quirk/every_late_wrap" => {
            events.insert(
                0,
                serde_json::json!({"whole_begin": "-1/4", "whole_end": "1/4",
                    "part_begin": "0/1", "part_end": "1/4", "value": "b"}),
            );
        }
        // Deviation 4: a bare value combined with controls keeps its pitch under `note`
        // (Strudel files it under `value`), so `"a".gain(1)` is a note the engine can play.
        "lib/echo" | "lib/stut" | "extra/echo" => {
            for e in &mut events {
                if let Some(m) = e["value"].as_object_mut() {
                    if let Some(v) = m.remove("value") {
                        m.insert("note".to_string(), v);
                    }
                }
            }
        }
        // Deviation 5: kr values have no lists; `"bd:3"` stays the string "bd:3" until a
        // control reads it (`s("bd:3")` is `{s: "bd", n: 3}`, as in Strudel; see
        // `colon_values_split_in_s`).
        "mini/colon" | "extra/colon" => {
            for e in &mut events {
                if let Some(a) = e["value"].as_array() {
                    let parts: Vec<String> =
                        a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).collect();
                    e["value"] = J::String(parts.join(":"));
                }
            }
        }
        _ => {}
    }
    events
}

fn hap_json(h: &Hap) -> J {
    serde_json::json!({
        "whole": h.whole.map(|w| [w.begin.to_string(), w.end.to_string()]),
        "part": [h.part.begin.to_string(), h.part.end.to_string()],
        "value": serde_json::to_value(&h.value).unwrap(),
    })
}

fn check_case(line: &str) -> Result<(), String> {
    let case: J = serde_json::from_str(line).unwrap();
    let id = case["id"].as_str().unwrap();
    let expr = case["expr"].as_str().unwrap();
    let cyc = case["cycles"].as_array().unwrap();
    let (b, e) = (t(cyc[0].as_str().unwrap()), t(cyc[1].as_str().unwrap()));
    let pat = std::panic::catch_unwind(|| eval_pattern(expr)).map_err(|e| {
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        format!("{id} `{expr}`: evaluation failed: {}", msg.unwrap_or_default())
    })?;
    let mut haps = pat.query(b, e);
    sort_haps(&mut haps);
    // Cases re-run over other windows are named `<id>@<n>`; their deviations are the case's.
    let base_id = id.split('@').next().unwrap_or(id);
    let expected = deviations(base_id, case["events"].as_array().unwrap().clone());
    let show = |haps: &[Hap]| haps.iter().map(|h| hap_json(h).to_string()).collect::<Vec<_>>().join("\n  ");
    if haps.len() != expected.len() {
        return Err(format!(
            "{id} `{expr}`: {} events, expected {}\n  got:\n  {}\n  expected:\n  {}",
            haps.len(),
            expected.len(),
            show(&haps),
            expected.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n  ")
        ));
    }
    for (h, x) in haps.iter().zip(&expected) {
        let whole_ok =
            h.whole.map(|w| w.begin) == opt_t(&x["whole_begin"]) && h.whole.map(|w| w.end) == opt_t(&x["whole_end"]);
        let part_ok =
            h.part.begin == t(x["part_begin"].as_str().unwrap()) && h.part.end == t(x["part_end"].as_str().unwrap());
        let v = serde_json::to_value(&h.value).unwrap();
        if !(whole_ok && part_ok && values_eq(&v, &x["value"])) {
            return Err(format!(
                "{id} `{expr}`: event mismatch\n  got:      {}\n  expected: {x}\n  all got:\n  {}",
                hap_json(h),
                show(&haps)
            ));
        }
    }
    Ok(())
}

fn run_file(data: &str, min_cases: usize) {
    let mut failures = Vec::new();
    let mut n = 0;
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        n += 1;
        if let Err(e) = check_case(line) {
            failures.push(e);
        }
    }
    assert!(n >= min_cases, "only {n} cases");
    assert!(failures.is_empty(), "{} of {n} cases failed:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn strudel_conformance() {
    run_file(include_str!("data/strudel-patterns.jsonl"), 98);
}

#[test]
fn strudel_library_conformance() {
    run_file(include_str!("data/strudel-library.jsonl"), 90);
}

/// The same 90 expressions over five other windows (`3..5`, `1/2..9/4`, `7..8`, `13..17`,
/// `21..23`), as Strudel 1.2.6 (`@strudel/core`, `@strudel/mini`, `@strudel/tonal`) answers
/// them: kr is not tuned to the reference windows.
/// 80 more expressions (variations of the library's: patterned arguments, other scales and
/// chords, more mini-notation, random choices with time-moving functions) over two windows, as
/// Strudel 1.2.6 answers them.
#[test]
fn strudel_library_extra() {
    run_file(include_str!("data/strudel-library-extra.jsonl"), 160);
}

#[test]
fn strudel_library_other_windows() {
    run_file(include_str!("data/strudel-library-windows.jsonl"), 450);
}

#[test]
fn colon_values_split_in_s() {
    let p = eval_pattern("s(\"bd:3 sd:1:0.5 hh\")");
    let vals: Vec<J> = p
        .query(Time::from_integer(0), Time::from_integer(1))
        .iter()
        .map(|h| serde_json::to_value(&h.value).unwrap())
        .collect();
    assert_eq!(
        vals,
        vec![
            serde_json::json!({"s": "bd", "n": 3.0}),
            serde_json::json!({"s": "sd", "n": 1.0, "gain": 0.5}),
            serde_json::json!({"s": "hh"}),
        ]
    );
}
