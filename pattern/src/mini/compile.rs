//! Mini-notation AST to pattern, as Strudel's `patternifyAST` does it.

use crate::constructors::{fastcat, pure, silence, stack, timecat};
use crate::mini::parser::{Node, Step, StepOp};
use crate::ops::args::with_time_arg;
use crate::ops::random::choose_in_with;
use crate::pattern::Pattern;
use crate::signals::rand;
use crate::time::{int, Time};

/// Strudel's offset between the random streams of successive `?` and `|` (seed × 0.0003).
const RAND_OFFSET: f64 = 0.0003;

fn seeded_rand(seed: u32) -> Pattern {
    let off = RAND_OFFSET * f64::from(seed);
    match crate::time::from_f64(off) {
        Some(t) => rand().early(t),
        None => rand(),
    }
}

/// Compiles a node.
pub fn compile(node: &Node) -> Pattern {
    match node {
        Node::Atom(v) => pure(v.clone()),
        Node::Rest => silence(),
        Node::Seq(steps) => compile_seq(steps),
        Node::Stack(layers) => stack(layers.iter().map(compile).collect()),
        Node::Rand(opts, seed) => {
            choose_in_with(&seeded_rand(*seed).segment(int(1)), opts.iter().map(compile).collect())
        }
        Node::Feet(feet) => fastcat(feet.iter().map(compile).collect()),
        Node::Alt(inner) => match inner.as_ref() {
            Node::Stack(layers) => stack(layers.iter().map(alt_layer).collect()),
            other => alt_layer(other),
        },
        Node::Poly(inner, steps) => {
            let layers: Vec<&Node> = match inner.as_ref() {
                Node::Stack(layers) => layers.iter().collect(),
                other => vec![other],
            };
            let steps_pat = match steps {
                Some(s) => compile(s),
                None => {
                    pure(crate::value::Value::Num(crate::time::to_f64(layers.first().map_or(int(1), |l| l.weight()))))
                }
            };
            stack(
                layers
                    .into_iter()
                    .map(|l| {
                        let w = l.weight();
                        if w == int(0) {
                            // `{}`: an empty layer has no steps to spread over the cycle.
                            return crate::constructors::silence();
                        }
                        let p = compile(l);
                        with_time_arg(&steps_pat, move |s| p.fast(s / w))
                    })
                    .collect(),
            )
        }
    }
}

fn alt_layer(node: &Node) -> Pattern {
    compile(node).slow(node.weight())
}

fn compile_seq(steps: &[Step]) -> Pattern {
    let pats: Vec<Pattern> = steps.iter().map(compile_step).collect();
    if steps.iter().any(|s| s.weighted) {
        timecat(steps.iter().map(|s| s.weight).zip(pats).collect::<Vec<(Time, Pattern)>>())
    } else {
        fastcat(pats)
    }
}

fn compile_step(step: &Step) -> Pattern {
    let mut p = compile(&step.node);
    for op in &step.ops {
        p = match op {
            StepOp::Fast(n) => p.fast_p(&compile(n)),
            StepOp::Slow(n) => p.slow_p(&compile(n)),
            StepOp::Replicate(n) => {
                let n = i64::from(*n);
                p.repeat_cycles(n).fast(int(n))
            }
            StepOp::Euclid(k, n, r) => {
                let r = r.as_ref().map_or_else(|| pure(0.0), compile);
                p.euclid_p(&compile(k), &compile(n), &r)
            }
            StepOp::Degrade(amount, seed) => p.degrade_by_with(&seeded_rand(*seed), *amount),
        };
    }
    p
}
