//! Query throughput for a dense pattern (a 4-voice stack of 16-step sequences with
//! every/euclid/degrade/arithmetic) and mini-notation parse time.
//!
//! Run: `CARGO_TARGET_DIR=target-pattern cargo bench -p kr-pattern --bench query -j 1`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use kr_pattern::{mini, pure, stack, Pattern, Time};

const SEQ16: &str = "c3 e3 g3 b3 c4 e4 g4 b4 d3 f3 a3 c4 d4 f4 a4 c5";

fn dense() -> Pattern {
    let seq = mini(SEQ16).expect("parses");
    let v1 = seq.first_of(4, |p| p.rev());
    let v2 = mini("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15").expect("parses").euclid_rot(11, 16, 2);
    let v3 = mini("bd*16").expect("parses").degrade_by(0.3);
    let v4 = mini("0 2 4 5 7 9 11 12 0 2 4 5 7 9 11 12")
        .expect("parses")
        .first_of(3, |p| p.fast(Time::from_integer(2)))
        .add(&mini("<0 12>").expect("parses"));
    stack(vec![v1, v2, v3, v4])
}

/// Queries cycle by cycle, as the scheduler does, and returns the number of events.
fn run(p: &Pattern, cycles: i64) -> usize {
    (0..cycles).map(|c| p.query(Time::from_integer(c), Time::from_integer(c + 1)).len()).sum()
}

fn bench_query(c: &mut Criterion) {
    let p = dense();
    let cycles = 16;
    let events = run(&p, cycles) as u64;
    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Elements(events));
    g.bench_function("dense_4x16_16_cycles", |b| b.iter(|| run(black_box(&p), cycles)));
    // The scheduler's view: 50 ms windows at 120 BPM, 4 beats per cycle (0.025 cycle).
    let window = Time::new(1, 40);
    g.throughput(Throughput::Elements(events));
    g.bench_function("dense_4x16_small_windows", |b| {
        b.iter(|| {
            let mut n = 0;
            let mut t = Time::from_integer(0);
            let end = Time::from_integer(cycles);
            while t < end {
                n += black_box(&p).query(t, t + window).len();
                t += window;
            }
            n
        })
    });
    g.finish();
    let simple = pure(1.0).fast(Time::from_integer(16));
    c.bench_function("query/pure_fast16_1_cycle", |b| {
        b.iter(|| black_box(&simple).query(Time::from_integer(0), Time::from_integer(1)))
    });
}

fn bench_parse(c: &mut Criterion) {
    let src = "bd*2 [~ sd] <hh [hh oh]> {a b c}%4 a(3,8,<0 2>) [c4,e4,g4]? a@3 _ b!2 . c | d";
    c.bench_function("mini/parse_typical_line", |b| b.iter(|| kr_pattern::mini::parse(black_box(src))));
    c.bench_function("mini/parse_and_compile_typical_line", |b| b.iter(|| mini(black_box(src))));
    c.bench_function("mini/parse_seq16", |b| b.iter(|| mini(black_box(SEQ16))));
}

criterion_group!(benches, bench_query, bench_parse);
criterion_main!(benches);
