//! Where a cold compile's time goes, in this process (as in the worker): libfaust's compile,
//! writing machine code, and loading it back.
//!
//! `cargo run --release -p kr-faust --example compile_phases [file.dsp] [rounds]`

use kr_faust::Factory;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let source = match args.next() {
        Some(path) => std::fs::read_to_string(path).expect("reading the .dsp file"),
        None => "import(\"stdfaust.lib\"); process = os.sawtooth(220) : fi.lowpass(2, 1200);".into(),
    };
    let rounds: usize = args.next().map(|n| n.parse().expect("a number")).unwrap_or(5);
    let lib = vec!["-I".to_string(), "/usr/share/faust".to_string()];
    for round in 0..rounds {
        // A fresh comment each round: libfaust would otherwise return its live factory.
        let src = format!("// round {round}\n{source}");
        let t0 = Instant::now();
        let f = Factory::compile("phases", &src, &lib).expect("compiles");
        let t1 = Instant::now();
        let code = f.machine_code().expect("machine code");
        let t2 = Instant::now();
        drop(f);
        let g = Factory::from_machine_code("phases", &code).expect("loads");
        let t3 = Instant::now();
        drop(g);
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        println!(
            "round {round}: compile {:.1} ms, write machine code {:.1} ms ({} KB), load {:.2} ms",
            ms(t0, t1),
            ms(t1, t2),
            code.len() / 1024,
            ms(t2, t3)
        );
    }
}
