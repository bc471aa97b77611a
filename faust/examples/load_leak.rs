//! Measures what libfaust keeps after a factory loaded from machine code is deleted.
//!
//! `cargo run --release -p kr-faust --example load_leak [file.dsp] [loads]`
//!
//! Prints the process's memory mappings and resident size before and after `loads` rounds of
//! `Factory::from_machine_code` + drop, then the same with one copy kept alive (libfaust then
//! hands back the live factory and nothing grows). See `kr_faust::RECENT_FACTORIES`.

use kr_faust::Factory;

fn usage() -> (usize, u64) {
    let maps = std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count()).unwrap_or(0);
    let rss_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0);
    (maps, rss_kb)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let source = match args.next() {
        Some(path) => std::fs::read_to_string(path).expect("reading the .dsp file"),
        None => "import(\"stdfaust.lib\"); process = os.sawtooth(220) : fi.lowpass(2, 1200);".into(),
    };
    let loads: usize = args.next().map(|n| n.parse().expect("a number of loads")).unwrap_or(1000);
    let lib = vec!["-I".to_string(), "/usr/share/faust".to_string()];
    let code = Factory::compile("leak", &source, &lib).and_then(|f| f.machine_code()).expect("compiles");

    let (m0, r0) = usage();
    for _ in 0..loads {
        drop(Factory::from_machine_code("leak", &code).expect("loads"));
    }
    let (m1, r1) = usage();
    println!(
        "{loads} loads, each dropped: +{} mappings ({:.2} per load), +{} KB resident ({:.1} KB per load)",
        m1 - m0,
        (m1 - m0) as f64 / loads as f64,
        r1.saturating_sub(r0),
        r1.saturating_sub(r0) as f64 / loads as f64
    );

    let alive = Factory::from_machine_code("alive", &code).expect("loads");
    let (m2, r2) = usage();
    for _ in 0..loads {
        drop(Factory::from_machine_code("leak", &code).expect("loads"));
    }
    let (m3, r3) = usage();
    println!("{loads} loads with one copy alive: +{} mappings, +{} KB resident", m3 - m2, r3.saturating_sub(r2));
    drop(alive);
}
