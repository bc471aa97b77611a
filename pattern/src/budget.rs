//! Bounded query work. A pattern can ask for any amount of work (`"[[a*1000]*1000]*1000"` is a
//! billion events per cycle); a caller that must stay responsive runs its queries inside
//! [`with_budget`], which stops a query once it has done `units` of work — a span split at a
//! cycle boundary, a query answered, an event returned — and reports [`WorkExceeded`].
//!
//! Outside `with_budget` queries are unbounded, as before. The count is per thread, so a budget
//! covers exactly the queries its closure makes.

use std::cell::Cell;

thread_local! {
    /// Units left for the current budgeted call; None when unbounded.
    static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// A query stopped because it needed more work than its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkExceeded {
    /// The budget it exceeded.
    pub units: u64,
}

impl std::fmt::Display for WorkExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the pattern needs more than {} units of work for this query", self.units)
    }
}

impl std::error::Error for WorkExceeded {}

/// Run `f` (which queries patterns) with at most `units` of query work. Budgets do not nest:
/// an inner call gets its own budget and the outer one resumes after it.
pub fn with_budget<T>(units: u64, f: impl FnOnce() -> T) -> Result<T, WorkExceeded> {
    let outer = LEFT.with(|l| l.replace(Some(units)));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    LEFT.with(|l| l.set(outer));
    match result {
        Ok(v) => Ok(v),
        Err(payload) => match payload.downcast::<WorkExceeded>() {
            Ok(e) => Err(*e),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// Count `n` units of work; past the budget the query unwinds to [`with_budget`] (without the
/// panic hook: `resume_unwind` reports nothing).
#[inline]
pub(crate) fn spend(n: u64) {
    LEFT.with(|l| {
        if let Some(left) = l.get() {
            match left.checked_sub(n) {
                Some(rest) => l.set(Some(rest)),
                None => {
                    let units = left;
                    l.set(None);
                    std::panic::resume_unwind(Box::new(WorkExceeded { units }));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mini;
    use crate::time::Time;

    #[test]
    fn an_explosive_pattern_is_stopped_and_a_small_one_is_not() {
        let huge = mini("[[a*1000]*1000]*1000").unwrap();
        let e = with_budget(100_000, || huge.query(Time::from_integer(0), Time::from_integer(1))).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        let small = mini("a [b c]*4 <d e>").unwrap();
        let haps = with_budget(100_000, || small.query(Time::from_integer(0), Time::from_integer(1))).unwrap();
        assert_eq!(haps.len(), 10);
    }

    #[test]
    fn budgets_are_per_call_and_unbounded_outside() {
        let p = mini("a*64").unwrap();
        for _ in 0..3 {
            assert!(with_budget(1_000, || p.query(Time::from_integer(0), Time::from_integer(1))).is_ok());
        }
        assert!(with_budget(10, || p.query(Time::from_integer(0), Time::from_integer(1))).is_err());
        assert_eq!(p.query(Time::from_integer(0), Time::from_integer(4)).len(), 256);
    }

    #[test]
    fn other_panics_pass_through() {
        let r = std::panic::catch_unwind(|| with_budget(10, || panic!("not ours")));
        assert!(r.is_err());
    }
}
