//! `kr._kr`: the native half of the `kr` Python package.
//!
//! Python and the engine share one implementation of patterns (`kr-pattern`) and of the wire
//! format (`kr-osc`); this crate only adapts them to Python. Each concern has its own module.

use pyo3::prelude::*;

mod pattern;
mod wire;

#[pymodule]
fn _kr(m: &Bound<'_, PyModule>) -> PyResult<()> {
    pattern::register(m)?;
    wire::register(m)?;
    Ok(())
}
