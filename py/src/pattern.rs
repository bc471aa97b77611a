//! `kr.Pattern`: the Python face of `kr-pattern`. A `Pattern` holds its IR (what is sent to the
//! engine) and the compiled pattern (what `query` runs); both are immutable. Every method builds
//! one new IR node over its arguments and compiles just that node over the already-compiled
//! children (`Ir::to_pattern_with`), so building a chain is linear.
//!
//! Arguments accept ints, floats, `fractions.Fraction`, bools, strings (mini-notation), `None`
//! (silence), dicts (a constant map), lists (a sequence) and Patterns. Functions given to
//! `every`, `sometimes_by`, `off`, `inside`, ... are applied at once to the pattern and the
//! result is stored. `fmap` with a Python function has no IR: such a pattern queries fine but
//! `to_ir()` raises.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kr_pattern::ir::{Ir, Part, SignalKind};
use kr_pattern::time::{from_f64, Time};
use kr_pattern::{Hap, Op, Pattern, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The first error raised by a Python `fmap` function during a query (re-raised by `query`).
static FMAP_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// A pattern: a function from a span of cycles to events, built from the Strudel operators.
#[pyclass(frozen, name = "Pattern", module = "kr._kr")]
#[derive(Clone)]
pub struct PyPattern {
    ir: Ir,
    pat: Pattern,
}

/// One event of a query: `whole` (a pair of Fractions, or None for continuous events),
/// `part` (the fragment inside the query) and `value`.
#[pyclass(frozen, name = "Event", module = "kr._kr")]
pub struct PyEvent {
    hap: Hap,
}

fn ir_err(e: kr_pattern::IrError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn leaf(ir: Ir) -> PyResult<PyPattern> {
    let pat = ir.to_pattern_with(&|_| None).map_err(ir_err)?;
    Ok(PyPattern { ir, pat })
}

/// Builds a node from argument patterns: `make` receives one IR per argument; the full IR uses
/// the arguments' IRs, the compiled pattern uses the arguments' compiled patterns.
fn node(args: Vec<PyPattern>, make: impl Fn(Vec<Ir>) -> Ir) -> PyResult<PyPattern> {
    let shallow = make((0..args.len() as u64).map(|id| Ir::Opaque { id }).collect());
    let pat = shallow.to_pattern_with(&|id| args.get(id as usize).map(|a| a.pat.clone())).map_err(ir_err)?;
    let ir = make(args.into_iter().map(|a| a.ir).collect());
    Ok(PyPattern { ir, pat })
}

fn b(ir: &Ir) -> Box<Ir> {
    Box::new(ir.clone())
}

// --- Python values <-> Value and Time -----------------------------------------------------

fn to_value(ob: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(x) = ob.cast::<PyBool>() {
        return Ok(Value::Bool(x.is_true()));
    }
    if ob.is_instance_of::<PyInt>() || ob.is_instance_of::<PyFloat>() {
        let x: f64 = ob.extract()?;
        return Ok(Value::Num(x));
    }
    if let Ok(s) = ob.cast::<PyString>() {
        return Ok(Value::Str(s.to_str()?.to_string()));
    }
    if let Ok(d) = ob.cast::<PyDict>() {
        let mut m = BTreeMap::new();
        for (k, v) in d.iter() {
            let k: String = k.extract()?;
            m.insert(k, to_value(&v)?);
        }
        return Ok(Value::Map(m));
    }
    if is_fraction(ob) {
        let x: f64 = ob.call_method0("__float__")?.extract()?;
        return Ok(Value::Num(x));
    }
    Err(PyTypeError::new_err(format!("cannot use {} as a pattern value", ob.get_type().name()?)))
}

fn from_value(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Num(x) => x.into_pyobject(py)?.into_any().unbind(),
        Value::Str(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Bool(x) => x.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Map(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, from_value(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

fn is_fraction(ob: &Bound<'_, PyAny>) -> bool {
    ob.hasattr("numerator").unwrap_or(false)
        && ob.hasattr("denominator").unwrap_or(false)
        && !ob.is_instance_of::<PyFloat>()
}

fn to_time(ob: &Bound<'_, PyAny>) -> PyResult<Time> {
    if ob.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("a time must be a number, not a bool"));
    }
    if is_fraction(ob) {
        let n: i64 = ob.getattr("numerator")?.extract()?;
        let d: i64 = ob.getattr("denominator")?.extract()?;
        if d == 0 {
            return Err(PyValueError::new_err("zero denominator"));
        }
        return Ok(Time::new(n, d));
    }
    let x: f64 = ob.extract().map_err(|_| PyTypeError::new_err("a time must be an int, float or Fraction"))?;
    from_f64(x).ok_or_else(|| PyValueError::new_err(format!("bad time {x}")))
}

fn fraction(py: Python<'_>, t: Time) -> PyResult<Py<PyAny>> {
    let f = py.import("fractions")?.getattr("Fraction")?;
    Ok(f.call1((*t.numer(), *t.denom()))?.unbind())
}

/// Converts any accepted argument to a pattern.
fn arg(ob: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
    if let Ok(p) = ob.cast::<PyPattern>() {
        return Ok(p.get().clone());
    }
    if ob.is_none() {
        return leaf(Ir::Silence);
    }
    if let Ok(s) = ob.cast::<PyString>() {
        let src = s.to_str()?;
        return leaf(Ir::Mini { src: src.to_string() });
    }
    if let Ok(l) = ob.cast::<PyList>() {
        let items: Vec<PyPattern> = l.iter().map(|x| arg(&x)).collect::<PyResult<_>>()?;
        return node(items, |pats| Ir::Seq { pats });
    }
    if let Ok(t) = ob.cast::<PyTuple>() {
        let items: Vec<PyPattern> = t.iter().map(|x| arg(&x)).collect::<PyResult<_>>()?;
        return node(items, |pats| Ir::Seq { pats });
    }
    leaf(Ir::Pure { value: to_value(ob)? })
}

fn num(x: f64) -> PyPattern {
    PyPattern { ir: Ir::num(x), pat: kr_pattern::pure(x) }
}

/// Calls a Python function on a pattern and converts its result.
fn apply(f: &Bound<'_, PyAny>, p: &PyPattern) -> PyResult<PyPattern> {
    if !f.is_callable() {
        return Err(PyTypeError::new_err("expected a function of a pattern"));
    }
    let r = f.call1((p.clone(),))?;
    arg(&r)
}

impl PyPattern {
    fn with1(&self, a: &Bound<'_, PyAny>, make: impl Fn(Box<Ir>, Box<Ir>) -> Ir) -> PyResult<PyPattern> {
        node(vec![arg(a)?, self.clone()], |v| make(b(&v[0]), b(&v[1])))
    }

    fn unary(&self, make: impl Fn(Box<Ir>) -> Ir) -> PyResult<PyPattern> {
        node(vec![self.clone()], |v| make(b(&v[0])))
    }

    fn arith(&self, op: Op, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        node(vec![self.clone(), arg(other)?], |v| Ir::Arith { arith: op, pat: b(&v[0]), other: b(&v[1]) })
    }

    fn set_control(&self, name: &str, x: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let ctl = arg(x)?.as_control(name)?;
        node(vec![self.clone(), ctl], |v| Ir::Arith { arith: Op::Set, pat: b(&v[0]), other: b(&v[1]) })
    }

    fn as_control(&self, name: &str) -> PyResult<PyPattern> {
        let name = name.to_string();
        self.unary(move |p| Ir::Control { name: name.clone(), pat: p })
    }

    fn flat(&self, op: &str, other: PyPattern) -> PyResult<PyPattern> {
        let mut items: Vec<PyPattern> = Vec::new();
        match (&self.ir, op) {
            (Ir::Seq { pats }, "seq") | (Ir::Stack { pats }, "stack") if !self.ir.has_opaque() => {
                for p in pats {
                    items.push(leaf(p.clone())?);
                }
            }
            _ => items.push(self.clone()),
        }
        items.push(other);
        if op == "seq" {
            node(items, |pats| Ir::Seq { pats })
        } else {
            node(items, |pats| Ir::Stack { pats })
        }
    }
}

#[pymethods]
impl PyPattern {
    // --- constructors (static; the typed wrappers live in kr/patterns.py) -------------------

    /// Mini-notation. Raises ValueError (with the column) on a syntax error.
    #[staticmethod]
    fn mini(src: &str) -> PyResult<PyPattern> {
        kr_pattern::mini::parse(src).map_err(|e| PyValueError::new_err(e.to_string()))?;
        leaf(Ir::Mini { src: src.to_string() })
    }

    /// One event per cycle.
    #[staticmethod]
    fn pure(value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        leaf(Ir::Pure { value: to_value(value)? })
    }

    /// The empty pattern.
    #[staticmethod]
    fn silence() -> PyResult<PyPattern> {
        leaf(Ir::Silence)
    }

    /// All in one cycle (`fastcat`).
    #[staticmethod]
    fn seq(pats: Vec<Bound<'_, PyAny>>) -> PyResult<PyPattern> {
        let items = pats.iter().map(arg).collect::<PyResult<Vec<_>>>()?;
        node(items, |pats| Ir::Seq { pats })
    }

    /// One per cycle (`slowcat`).
    #[staticmethod]
    fn cat(pats: Vec<Bound<'_, PyAny>>) -> PyResult<PyPattern> {
        let items = pats.iter().map(arg).collect::<PyResult<Vec<_>>>()?;
        node(items, |pats| Ir::Cat { pats })
    }

    /// All at once.
    #[staticmethod]
    fn stack(pats: Vec<Bound<'_, PyAny>>) -> PyResult<PyPattern> {
        let items = pats.iter().map(arg).collect::<PyResult<Vec<_>>>()?;
        node(items, |pats| Ir::Stack { pats })
    }

    /// Weighted sequence from `(weight, pattern)` pairs.
    #[staticmethod]
    fn timecat(parts: Vec<(f64, Bound<'_, PyAny>)>) -> PyResult<PyPattern> {
        let weights: Vec<f64> = parts.iter().map(|(w, _)| *w).collect();
        let items = parts.iter().map(|(_, p)| arg(p)).collect::<PyResult<Vec<_>>>()?;
        node(items, |pats| Ir::Timecat { parts: weights.iter().zip(pats).map(|(w, p)| Part { w: *w, p }).collect() })
    }

    /// A continuous signal: sine, cosine, saw, isaw, tri, square, rand.
    #[staticmethod]
    fn signal(kind: &str) -> PyResult<PyPattern> {
        let kind = match kind {
            "sine" => SignalKind::Sine,
            "cosine" => SignalKind::Cosine,
            "saw" => SignalKind::Saw,
            "isaw" => SignalKind::Isaw,
            "tri" => SignalKind::Tri,
            "square" => SignalKind::Square,
            "rand" => SignalKind::Rand,
            other => return Err(PyValueError::new_err(format!("unknown signal {other:?}"))),
        };
        leaf(Ir::Signal { kind })
    }

    /// Random integers `0..n`.
    #[staticmethod]
    fn irand(n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        node(vec![arg(n)?], |v| Ir::Irand { n: b(&v[0]) })
    }

    /// `0 1 .. n-1` in a cycle.
    #[staticmethod]
    fn run(n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        node(vec![arg(n)?], |v| Ir::Run { n: b(&v[0]) })
    }

    /// Each value `v` becomes `{name: v}`.
    #[staticmethod]
    #[pyo3(name = "control_of")]
    fn control_of(name: &str, values: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        arg(values)?.as_control(name)
    }

    /// Values read as notes: numbers and note names become `{"note": midi}`, `x` a hit.
    #[staticmethod]
    fn notes(values: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        arg(values)?.unary(|p| Ir::Notes { pat: p })
    }

    /// Note names become MIDI numbers (Strudel's `midi`).
    #[staticmethod]
    fn midi(values: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        arg(values)?.unary(|p| Ir::ToMidi { pat: p })
    }

    /// A library operator by name over argument patterns (`kr-pattern`'s `library`): the
    /// typed Python methods (`chunk`, `jux`, `scale`, ...) call this.
    #[staticmethod]
    fn lib(name: &str, args: Vec<Bound<'_, PyAny>>) -> PyResult<PyPattern> {
        kr_pattern::library::check(name, args.len()).map_err(PyValueError::new_err)?;
        let items = args.iter().map(arg).collect::<PyResult<Vec<_>>>()?;
        let name = name.to_string();
        node(items, move |args| Ir::Lib { name: name.clone(), args })
    }

    /// Decodes and validates the JSON IR (as produced by `to_ir`).
    #[staticmethod]
    fn from_ir(json: &str) -> PyResult<PyPattern> {
        let ir = Ir::from_json(json).map_err(ir_err)?;
        let pat = ir.to_pattern().map_err(ir_err)?;
        Ok(PyPattern { ir, pat })
    }

    // --- inspection -------------------------------------------------------------------------

    /// Events overlapping `[begin, end)` (cycles: int, float or Fraction), sorted by time.
    #[pyo3(signature = (begin, end))]
    fn query(&self, begin: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<Vec<PyEvent>> {
        let (b0, e0) = (to_time(begin)?, to_time(end)?);
        if e0 < b0 {
            return Err(PyValueError::new_err("end must not be before begin"));
        }
        if e0 - b0 > Time::from_integer(10_000) {
            return Err(PyValueError::new_err("query longer than 10000 cycles"));
        }
        if let Ok(mut g) = FMAP_ERROR.lock() {
            *g = None;
        }
        let mut haps = self.pat.query(b0, e0);
        if let Some(e) = FMAP_ERROR.lock().ok().and_then(|mut g| g.take()) {
            return Err(PyValueError::new_err(format!("fmap function failed: {e}")));
        }
        kr_pattern::hap::sort_haps(&mut haps);
        Ok(haps.into_iter().map(|hap| PyEvent { hap }).collect())
    }

    /// A text grid of the first `cycles` cycles (`#` onset, `=` held, `.` silent).
    #[pyo3(signature = (cycles = 1))]
    fn show(&self, cycles: u32) -> String {
        kr_pattern::show::show(&self.pat, cycles)
    }

    /// The versioned JSON IR sent to the engine. Raises ValueError for Python-only patterns.
    fn to_ir(&self) -> PyResult<String> {
        self.ir.validate().map_err(ir_err)?;
        Ok(self.ir.to_json())
    }

    fn __repr__(&self) -> String {
        format!("{}", self.ir)
    }

    // --- time -------------------------------------------------------------------------------

    /// Speed up by `factor` (patternable).
    fn fast(&self, factor: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(factor, |f, p| Ir::Fast { factor: f, pat: p })
    }

    /// Slow down by `factor`.
    fn slow(&self, factor: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(factor, |f, p| Ir::Slow { factor: f, pat: p })
    }

    /// Seed API: `over(n)` spreads the pattern over `n` cycles (= slow).
    fn over(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.slow(n)
    }

    /// Shift earlier by `t` cycles.
    fn early(&self, t: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(t, |x, p| Ir::Early { by: x, pat: p })
    }

    /// Shift later by `t` cycles.
    fn late(&self, t: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(t, |x, p| Ir::Late { by: x, pat: p })
    }

    /// Reverse each cycle.
    fn rev(&self) -> PyResult<PyPattern> {
        self.unary(|p| Ir::Rev { pat: p })
    }

    /// Seed API name for `rev`.
    fn reverse(&self) -> PyResult<PyPattern> {
        self.rev()
    }

    /// Repeat each event `factor` times.
    fn ply(&self, factor: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(factor, |f, p| Ir::Ply { factor: f, pat: p })
    }

    /// Sample `n` times per cycle.
    fn segment(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(n, |x, p| Ir::Segment { n: x, pat: p })
    }

    /// Shift by `1/n` more each cycle.
    fn iter(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(n, |x, p| Ir::Iter { n: x, pat: p })
    }

    /// `iter` backwards.
    fn iter_back(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(n, |x, p| Ir::IterBack { n: x, pat: p })
    }

    /// Forwards then backwards.
    fn palindrome(&self) -> PyResult<PyPattern> {
        self.unary(|p| Ir::Palindrome { pat: p })
    }

    /// Repeat each cycle `n` times.
    fn repeat_cycles(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(n, |x, p| Ir::RepeatCycles { n: x, pat: p })
    }

    /// Squeeze each cycle into `[begin, end)`.
    fn compress(&self, begin: f64, end: f64) -> PyResult<PyPattern> {
        self.unary(|p| Ir::Compress { begin, end, pat: p })
    }

    /// Play `[begin, end)` of each cycle stretched to a cycle.
    fn zoom(&self, begin: f64, end: f64) -> PyResult<PyPattern> {
        self.unary(|p| Ir::Zoom { begin, end, pat: p })
    }

    /// `f(self.slow(n)).fast(n)`.
    fn inside(&self, n: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let inner = apply(f, &self.slow(n)?)?;
        inner.fast(n)
    }

    /// `f(self.fast(n)).slow(n)`.
    fn outside(&self, n: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let inner = apply(f, &self.fast(n)?)?;
        inner.slow(n)
    }

    /// `f` applied in the first of every `n` cycles (`first_of`).
    fn every(&self, n: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.first_of(n, f)
    }

    /// `f` applied in the first of every `n` cycles.
    fn first_of(&self, n: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let then = apply(f, self)?;
        node(vec![arg(n)?, then, self.clone()], |v| Ir::FirstOf { n: b(&v[0]), then: b(&v[1]), base: b(&v[2]) })
    }

    /// `f` applied in the last of every `n` cycles.
    fn last_of(&self, n: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let then = apply(f, self)?;
        node(vec![arg(n)?, then, self.clone()], |v| Ir::LastOf { n: b(&v[0]), then: b(&v[1]), base: b(&v[2]) })
    }

    /// Stack with `f(self.late(t))`.
    fn off(&self, t: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let shifted = apply(f, &self.late(t)?)?;
        node(vec![self.clone(), shifted], |pats| Ir::Stack { pats })
    }

    /// Swing: delay every other `1/(2n)` slot by `x/2` of it (`inside(n, late(seq(0, x/2)))`).
    fn swing_by(&self, x: &Bound<'_, PyAny>, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        node(vec![arg(x)?, arg(n)?, self.clone()], |v| Ir::SwingBy { amount: b(&v[0]), n: b(&v[1]), pat: b(&v[2]) })
    }

    /// Seed API swing: `amount` 0.5 is straight, 2/3 is triplet swing, on a `grid` of steps per
    /// cycle: `swing_by(2*amount - 1, grid/2)`.
    #[pyo3(signature = (amount, grid = 8.0))]
    fn swing(&self, amount: f64, grid: f64) -> PyResult<PyPattern> {
        node(vec![num(2.0 * amount - 1.0), num(grid / 2.0), self.clone()], |v| Ir::SwingBy {
            amount: b(&v[0]),
            n: b(&v[1]),
            pat: b(&v[2]),
        })
    }

    // --- structure --------------------------------------------------------------------------

    /// Structure from a pattern of booleans (truthy steps only).
    #[pyo3(name = "struct")]
    fn struct_(&self, bools: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(bools, |x, p| Ir::Struct { bools: x, pat: p })
    }

    /// Keep only where a pattern of booleans is truthy.
    fn mask(&self, bools: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(bools, |x, p| Ir::Mask { bools: x, pat: p })
    }

    /// Euclidean rhythm with `pulses` over `steps`.
    fn euclid(&self, pulses: &Bound<'_, PyAny>, steps: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.euclid_rot(pulses, steps, None)
    }

    /// Euclidean rhythm rotated by `rotation` steps.
    #[pyo3(signature = (pulses, steps, rotation = None))]
    fn euclid_rot(
        &self,
        pulses: &Bound<'_, PyAny>,
        steps: &Bound<'_, PyAny>,
        rotation: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPattern> {
        let r = match rotation {
            Some(r) => arg(r)?,
            None => num(0.0),
        };
        node(vec![arg(pulses)?, arg(steps)?, r, self.clone()], |v| Ir::Euclid {
            pulses: b(&v[0]),
            steps: b(&v[1]),
            rotation: b(&v[2]),
            pat: b(&v[3]),
        })
    }

    /// Seed API: `spread(k, n, rot=0)` is a Euclidean rhythm.
    #[pyo3(signature = (k, n, rot = None))]
    fn spread(
        &self,
        k: &Bound<'_, PyAny>,
        n: &Bound<'_, PyAny>,
        rot: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPattern> {
        self.euclid_rot(k, n, rot)
    }

    // --- randomness -------------------------------------------------------------------------

    /// Remove each event with probability `amount`.
    fn degrade_by(&self, amount: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(amount, |x, p| Ir::DegradeBy { amount: x, pat: p })
    }

    /// Remove half the events at random.
    fn degrade(&self) -> PyResult<PyPattern> {
        node(vec![num(0.5), self.clone()], |v| Ir::DegradeBy { amount: b(&v[0]), pat: b(&v[1]) })
    }

    /// Keep each event with probability `amount` (the complement of `degrade_by(1-amount)`).
    fn undegrade_by(&self, amount: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(amount, |x, p| Ir::UndegradeBy { amount: x, pat: p })
    }

    /// Seed API: `thin(p)` removes events with probability `p`.
    fn thin(&self, p: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.degrade_by(p)
    }

    /// Apply `f` to each event with probability `prob`.
    fn sometimes_by(&self, prob: &Bound<'_, PyAny>, f: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        let then = apply(f, self)?;
        node(vec![arg(prob)?, then, self.clone()], |v| Ir::SometimesBy {
            prob: b(&v[0]),
            then: b(&v[1]),
            base: b(&v[2]),
        })
    }

    /// `sometimes(f)` (probability 0.5, Strudel) or `sometimes(prob, f)` (seed API).
    #[pyo3(signature = (prob_or_f, f = None))]
    fn sometimes(&self, prob_or_f: &Bound<'_, PyAny>, f: Option<&Bound<'_, PyAny>>) -> PyResult<PyPattern> {
        match f {
            Some(f) => self.sometimes_by(prob_or_f, f),
            None => {
                let then = apply(prob_or_f, self)?;
                node(vec![num(0.5), then, self.clone()], |v| Ir::SometimesBy {
                    prob: b(&v[0]),
                    then: b(&v[1]),
                    base: b(&v[2]),
                })
            }
        }
    }

    /// A different random stream for everything in this pattern.
    fn seed(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.with1(n, |x, p| Ir::Seed { seed: x, pat: p })
    }

    // --- values -----------------------------------------------------------------------------

    /// Add (numbers; note names count as MIDI numbers; maps key by key).
    fn add(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.arith(Op::Add, other)
    }

    /// Subtract.
    fn sub(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.arith(Op::Sub, other)
    }

    /// Multiply.
    fn mul(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.arith(Op::Mul, other)
    }

    /// Divide.
    fn div(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.arith(Op::Div, other)
    }

    /// Scale values from 0..1 to `lo..hi`.
    fn range(&self, lo: &Bound<'_, PyAny>, hi: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        node(vec![arg(lo)?, arg(hi)?, self.clone()], |v| Ir::Range { lo: b(&v[0]), hi: b(&v[1]), pat: b(&v[2]) })
    }

    /// Map values with a Python function. Python-only: `to_ir()` then raises.
    fn fmap(&self, f: Py<PyAny>) -> PyResult<PyPattern> {
        let pat = self.pat.fmap(move |v| {
            Python::attach(|py| {
                let r = from_value(py, v).and_then(|x| f.call1(py, (x,))).and_then(|r| to_value(r.bind(py)));
                match r {
                    Ok(x) => x,
                    Err(e) => {
                        if let Ok(mut g) = FMAP_ERROR.lock() {
                            g.get_or_insert_with(|| e.to_string());
                        }
                        v.clone()
                    }
                }
            })
        });
        Ok(PyPattern { ir: Ir::Opaque { id: 0 }, pat })
    }

    /// Set control `name` from `value` (a number, string, mini-notation or pattern).
    fn control(&self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control(name, value)
    }

    /// Set `note` (numbers are MIDI notes; note names allowed).
    fn note(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("note", value)
    }

    /// Set `s` (sound / sample name).
    fn s(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("s", value)
    }

    /// Set `n`.
    fn n(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("n", value)
    }

    /// Set `freq` (Hz).
    fn freq(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("freq", value)
    }

    /// Set `gain`.
    fn gain(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("gain", value)
    }

    /// Set `legato`: the gate stays up for this fraction of each event.
    fn legato(&self, value: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.set_control("legato", value)
    }

    // --- seed API operators -----------------------------------------------------------------

    /// `a + b`: a sequence, each side an equal share of the cycle.
    fn __add__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.flat("seq", arg(other)?)
    }

    fn __radd__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        arg(other)?.flat("seq", self.clone())
    }

    /// `a | b`: both at once (stack).
    fn __or__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.flat("stack", arg(other)?)
    }

    fn __ror__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        arg(other)?.flat("stack", self.clone())
    }

    /// `a * n`: `n` repetitions per cycle (= fast).
    fn __mul__(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.fast(n)
    }

    fn __rmul__(&self, n: &Bound<'_, PyAny>) -> PyResult<PyPattern> {
        self.fast(n)
    }
}

#[pymethods]
impl PyEvent {
    /// `(begin, end)` of the whole event as Fractions, or None for a continuous event.
    #[getter]
    fn whole(&self, py: Python<'_>) -> PyResult<Option<(Py<PyAny>, Py<PyAny>)>> {
        match self.hap.whole {
            Some(w) => Ok(Some((fraction(py, w.begin)?, fraction(py, w.end)?))),
            None => Ok(None),
        }
    }

    /// `(begin, end)` of the fragment inside the query, as Fractions.
    #[getter]
    fn part(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        Ok((fraction(py, self.hap.part.begin)?, fraction(py, self.hap.part.end)?))
    }

    /// The value: float, str, bool or dict.
    #[getter]
    fn value(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        from_value(py, &self.hap.value)
    }

    /// True if this fragment holds the start of its event.
    #[getter]
    fn has_onset(&self) -> bool {
        self.hap.has_onset()
    }

    fn __repr__(&self) -> String {
        let span = |s: kr_pattern::Span| format!("{}–{}", s.begin, s.end);
        let whole = self.hap.whole.map_or_else(|| "~".to_string(), span);
        let part = if Some(self.hap.part) == self.hap.whole {
            String::new()
        } else {
            format!(" (part {})", span(self.hap.part))
        };
        format!("Event({whole}{part}: {})", serde_json::to_string(&self.hap.value).unwrap_or_default())
    }
}

/// The MIDI number of a note name (`"c4"` = 60, `"A2"` = 45; octave 3 if none). Raises
/// ValueError for anything else.
#[pyfunction]
fn note_to_midi(name: &str) -> PyResult<f64> {
    kr_pattern::note_to_midi(name).ok_or_else(|| PyValueError::new_err(format!("not a note name: {name:?}")))
}

/// Raises ValueError unless every word of the mini-notation `src` is a note, a number, a rest
/// or a hit; the message names the word and its column.
#[pyfunction]
fn check_notes(src: &str) -> PyResult<()> {
    kr_pattern::mini::check_notes(src).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The number of top-level steps of a mini-notation sequence (`"a b@2"` has 3).
#[pyfunction]
fn mini_steps(src: &str) -> PyResult<f64> {
    let w = kr_pattern::mini::steps(src).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(kr_pattern::time::to_f64(w))
}

/// Raises ValueError unless every word of the mini-notation `src` is a chord symbol the
/// voicing dictionary knows (or a rest); the message names the word and its column.
#[pyfunction]
fn check_chords(src: &str) -> PyResult<()> {
    kr_pattern::mini::check_words(src, "chord symbol", kr_pattern::tonal::voicings::is_chord)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Adds `Pattern`, `Event`, `note_to_midi` and `check_notes` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPattern>()?;
    m.add_class::<PyEvent>()?;
    m.add_function(wrap_pyfunction!(note_to_midi, m)?)?;
    m.add_function(wrap_pyfunction!(check_notes, m)?)?;
    m.add_function(wrap_pyfunction!(mini_steps, m)?)?;
    m.add_function(wrap_pyfunction!(check_chords, m)?)?;
    Ok(())
}
