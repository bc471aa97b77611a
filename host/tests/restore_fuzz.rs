//! The state-file loader against arbitrary files: whatever a state file holds (garbage, wrong
//! types, absurd numbers, names OSC cannot address, patterns that explode), reading and restoring
//! it never panics, and what is restored passes the checks a command would (proptest; 64 cases,
//! or `PROPTEST_CASES` for long runs).

use kr_faust::{CacheSettings, CompileService, CompilerSettings, Factory};
use kr_host::backend::Offline;
use kr_host::rt::AudioEngine;
use kr_host::session::{Session, SessionSettings};
use kr_host::state::Saved;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

const LEVEL: &str = r#"level = hslider("level", 0, 0, 1, 0.0001); process = level;"#;

fn factory() -> Arc<Factory> {
    static F: OnceLock<Arc<Factory>> = OnceLock::new();
    Arc::clone(F.get_or_init(|| {
        let svc = CompileService::start(CompilerSettings {
            worker: vec![env!("CARGO_BIN_EXE_krd").into(), "faust-worker".into()],
            cache: CacheSettings { dir: None, max_bytes: 0 },
            ..Default::default()
        });
        svc.compile("level", LEVEL).expect("compiles")
    }))
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(-1)),
        Just(json!(120)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(0.5)),
        Just(json!(3.0e38)),
        any::<f64>().prop_filter("json has no NaN", |f| f.is_finite()).prop_map(|f| json!(f)),
    ]
}

fn name() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("a")),
        Just(json!("b")),
        Just(json!("drums/kick")),
        Just(json!("master")),
        Just(json!("")),
        Just(json!("a b")),
        Just(json!("x".repeat(300))),
        Just(json!("a/../b")),
    ]
}

fn pattern() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"v": 1, "p": {"op": "mini", "src": "0.1 0.2"}})),
        Just(json!({"v": 1, "p": {"op": "mini", "src": "[[a*1000]*1000]*1000"}})),
        Just(json!({"v": 1, "p": {"op": "mini", "src": "[a"}})),
        Just(json!({"v": 9})),
        Just(json!("a b")),
        Just(Value::Null),
    ]
}

/// Values that fit the field types: what is wrong is their size or sense, so the restore runs.
fn count() -> impl Strategy<Value = Value> {
    prop_oneof![Just(json!(0)), Just(json!(1)), Just(json!(4)), Just(json!(1000)), Just(json!(u32::MAX))]
}

fn small() -> impl Strategy<Value = Value> {
    prop_oneof![Just(json!(0.0)), Just(json!(0.5)), Just(json!(-1.0)), Just(json!(100.0)), Just(json!(3.0e38))]
}

fn node() -> impl Strategy<Value = Value> {
    (name(), prop_oneof![Just(json!(LEVEL)), Just(json!("process = nope;"))], count(), small(), small()).prop_map(
        |(name, source, count, gain, level)| {
            json!({"name": name, "source": source, "count": count, "gain": gain, "muted": false,
                   "soloed": false, "controls": {"level": level}})
        },
    )
}

fn state() -> impl Strategy<Value = Value> {
    let session = (
        number(),
        number(),
        small(),
        prop::collection::vec(node(), 0..4),
        prop::collection::vec((name(), name(), small()), 0..3),
        prop::collection::vec((name(), pattern()), 0..3),
    )
        .prop_map(|(tempo, meter, master, nodes, routes, patterns)| {
            let routes: Vec<Value> =
                routes.into_iter().map(|(f, t, l)| json!({"from": f, "to": t, "level": l})).collect();
            let patterns: Vec<Value> =
                patterns.into_iter().map(|(t, p)| json!({"target": t, "pattern": p, "from_zero": false})).collect();
            json!({"tempo": tempo, "meter": meter, "master": master, "nodes": nodes, "routes": routes,
                   "patterns": patterns})
        });
    (session, prop_oneof![Just(json!({})), Just(json!([1, 2])), Just(json!({"x": {"tempo": "fast"}}))])
        .prop_map(|(session, scenes)| json!({"version": 1, "session": session, "scenes": scenes}))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn any_state_file_restores_what_passes_the_checks_and_nothing_else(file in state()) {
        let saved = Saved::parse(&file);
        // Every field has its type (the sizes and senses are what is wrong), so the session is
        // always read and restored: the restore is what is tested.
        let snap = saved.session.expect("a session of the right types is read");
        let collector = basedrop::Collector::new();
        let (_engine, link) = AudioEngine::new(&collector, 48000, 1.0);
        let mut session = Session::new(SessionSettings::default(), 48000, link, collector, Box::new(Offline));
        let compiled: BTreeMap<String, Result<Arc<Factory>, String>> = snap
            .nodes
            .iter()
            .map(|n| {
                let f = if n.source == LEVEL { Ok(factory()) } else { Err("undefined symbol : nope".into()) };
                (n.name.clone(), f)
            })
            .collect();
        let _problems = session.restore(&snap, &compiled);
        let d = session.dump();
        let (tempo, meter, master) = (d["tempo"].as_f64().unwrap(), d["meter"].as_f64().unwrap(), d["master"].as_f64().unwrap());
        prop_assert!((1.0..=1000.0).contains(&tempo) && (0.25..=64.0).contains(&meter), "{tempo} {meter}");
        prop_assert!((0.0..=4.0).contains(&master), "{master}");
        let limits = kr_osc::Limits::default();
        for n in d["nodes"].as_array().unwrap() {
            let name = n["name"].as_str().unwrap();
            prop_assert!(kr_osc::check_name(name, &limits).is_ok() && name != "master", "{name}");
            prop_assert!((1..=64).contains(&n["count"].as_u64().unwrap()));
            prop_assert!((0.0..=16.0).contains(&n["gain"].as_f64().unwrap()));
        }
    }
}

/// The same path with a state that is all right: everything comes back (so the property above
/// exercises real restores, not only refusals).
#[test]
fn a_sound_state_file_restores_whole() {
    let file = json!({"version": 1, "scenes": {}, "session": {"tempo": 97, "meter": 3, "master": 0.5,
        "nodes": [{"name": "a", "source": LEVEL, "count": 2, "gain": 0.5, "muted": true, "soloed": false,
                   "controls": {"level": 0.25}}],
        "routes": [], "patterns": [{"target": "a/level", "pattern": {"v": 1, "p": {"op": "mini", "src": "0.1 0.2"}},
                                    "from_zero": false}]}});
    let snap = Saved::parse(&file).session.unwrap();
    let collector = basedrop::Collector::new();
    let (_engine, link) = AudioEngine::new(&collector, 48000, 1.0);
    let mut session = Session::new(SessionSettings::default(), 48000, link, collector, Box::new(Offline));
    let compiled = BTreeMap::from([("a".to_string(), Ok(factory()))]);
    assert_eq!(session.restore(&snap, &compiled), Vec::<String>::new());
    let d = session.dump();
    assert_eq!((d["tempo"].as_f64(), d["meter"].as_f64(), d["master"].as_f64()), (Some(97.0), Some(3.0), Some(0.5)));
    assert_eq!(d["nodes"][0]["count"], 2);
    assert_eq!(d["nodes"][0]["muted"], true);
    assert_eq!(d["patterns"][0]["target"], "a/level");
}
