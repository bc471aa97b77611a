//! The wire format for Python: requests built as JSON objects (the serde form of
//! `kr_osc::Request`) are validated and encoded to OSC bytes by the same code the engine uses to
//! decode them; replies are decoded back into Python values; the command table (`kr_osc::TABLE`)
//! is there for the client to check command names against.

use kr_osc::{encode_bundle, encode_request, to_bytes, ArgSpec, DefaultValue, Request, TimeTag};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rosc::{OscPacket, OscType};

/// Encode a request given as JSON (`{"cmd": "node_new", "name": ..., "id": 3}`) to OSC bytes.
/// Raises ValueError when the request is malformed or fails validation.
#[pyfunction]
fn encode_request_json<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyBytes>> {
    let req: Request = serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("bad request: {e}")))?;
    let msg = encode_request(&req);
    // Validate exactly as krd will, so a bad value fails here with the engine's own message.
    kr_osc::decode_request(&msg, &kr_osc::Limits::default()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &to_bytes(&OscPacket::Message(msg))))
}

/// Encode a list of requests given as a JSON array to ONE OSC bundle (time tag "immediately"),
/// which the engine applies atomically: all of it at one frame, or none of it.
/// Raises ValueError when a request is malformed or the bundle fails validation (naming which).
#[pyfunction]
fn encode_bundle_json<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyBytes>> {
    let requests: Vec<Request> =
        serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("bad request list: {e}")))?;
    let bytes = to_bytes(&encode_bundle(TimeTag::Immediate, &requests));
    // Validate exactly as krd will: structure, limits, then every message in order.
    kr_osc::decode_bundle(&bytes, &kr_osc::Limits::default()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &bytes))
}

fn arg_to_py(py: Python<'_>, a: &OscType) -> PyResult<Py<PyAny>> {
    Ok(match a {
        OscType::Int(v) => v.into_pyobject(py)?.into_any().unbind(),
        OscType::Long(v) => v.into_pyobject(py)?.into_any().unbind(),
        OscType::Float(v) => v.into_pyobject(py)?.into_any().unbind(),
        OscType::Double(v) => v.into_pyobject(py)?.into_any().unbind(),
        OscType::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        OscType::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        OscType::Blob(b) => PyBytes::new(py, b).into_any().unbind(),
        _ => py.None(),
    })
}

/// Decode an OSC packet into a list of `(address, [args])` (bundles flattened). Replies have no
/// size limit (the dump of a large session), unlike requests; nesting and counts stay bounded.
#[pyfunction]
fn decode_packet<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let limits = kr_osc::Limits { max_packet_bytes: usize::MAX, ..kr_osc::Limits::default() };
    let packet = kr_osc::decode_packet(data, &limits).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let out = PyList::empty(py);
    let mut stack = vec![packet];
    while let Some(p) = stack.pop() {
        match p {
            OscPacket::Message(m) => {
                let args = m.args.iter().map(|a| arg_to_py(py, a)).collect::<PyResult<Vec<_>>>()?;
                out.append((m.addr, args))?;
            }
            OscPacket::Bundle(b) => stack.extend(b.content.into_iter().rev()),
        }
    }
    Ok(out)
}

fn arg_spec<'py>(py: Python<'py>, a: &ArgSpec) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", a.name)?;
    d.set_item("kind", a.kind.letter().to_string())?;
    d.set_item("rule", a.kind.rule())?;
    d.set_item("required", a.required())?;
    match a.default {
        None | Some(DefaultValue::None) => d.set_item("default", py.None())?,
        Some(DefaultValue::Number(v)) => d.set_item("default", v)?,
        Some(DefaultValue::Int(v)) => d.set_item("default", v)?,
        Some(DefaultValue::Flag(v)) => d.set_item("default", v)?,
        Some(DefaultValue::Text(v)) => d.set_item("default", v)?,
    }
    d.set_item("range", a.range)?;
    Ok(d)
}

/// The command table: one dict per request address, in the order of docs/protocol.md, with
/// `address`, `cmd` (the JSON tag), `fixed` (fields that pick this address among those sharing
/// `cmd`, e.g. `{"on": False}` for `/kr/unmute`), `signature`, `args` (dicts: `name`, `kind`
/// letter, `rule`, `required`, `default`, `range`), `reply` and `doc`.
#[pyfunction]
fn command_table(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for spec in kr_osc::TABLE {
        let d = PyDict::new(py);
        d.set_item("address", spec.address)?;
        d.set_item("cmd", spec.cmd)?;
        let fixed = PyDict::new(py);
        if let Some((field, value)) = spec.fixed {
            fixed.set_item(field, value)?;
        }
        d.set_item("fixed", fixed)?;
        d.set_item("signature", spec.signature())?;
        let args = spec.args.iter().map(|a| arg_spec(py, a)).collect::<PyResult<Vec<_>>>()?;
        d.set_item("args", args)?;
        d.set_item("reply", spec.reply)?;
        d.set_item("doc", spec.doc)?;
        out.append(d)?;
    }
    Ok(out)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(command_table, m)?)?;
    m.add_function(wrap_pyfunction!(encode_request_json, m)?)?;
    m.add_function(wrap_pyfunction!(encode_bundle_json, m)?)?;
    m.add_function(wrap_pyfunction!(decode_packet, m)?)?;
    Ok(())
}
