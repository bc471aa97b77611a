//! A cursor over a message's arguments that reads typed values and explains every mismatch:
//! the address, the argument's name and wire position, and the expected signature.

use crate::validate::{self, Limits};
use crate::DecodeError;
use rosc::OscType;

/// The OSC type of an argument, as named in errors.
pub(crate) fn type_name(a: &OscType) -> &'static str {
    match a {
        OscType::Int(_) => "int (i)",
        OscType::Float(_) => "float (f)",
        OscType::String(_) => "string (s)",
        OscType::Blob(_) => "blob (b)",
        OscType::Long(_) => "int64 (h)",
        OscType::Double(_) => "double (d)",
        OscType::Bool(_) => "bool (T/F)",
        OscType::Nil => "nil (N)",
        OscType::Inf => "infinitum (I)",
        OscType::Time(_) => "time tag (t)",
        OscType::Char(_) => "char (c)",
        OscType::Color(_) => "color (r)",
        OscType::Midi(_) => "midi (m)",
        OscType::Array(_) => "array ([...])",
    }
}

pub(crate) struct Args<'a> {
    pub address: &'a str,
    pub signature: &'static str,
    pub args: &'a [OscType],
    pub pos: usize,
    /// Wire position of `args[0]` minus one (1 when a request id precedes the arguments).
    pub offset: usize,
    pub limits: &'a Limits,
}

impl<'a> Args<'a> {
    pub fn new(
        address: &'a str,
        signature: &'static str,
        args: &'a [OscType],
        offset: usize,
        limits: &'a Limits,
    ) -> Self {
        Args { address, signature, args, pos: 0, offset, limits }
    }

    /// 1-based wire position of the argument read last.
    fn index(&self) -> usize {
        self.pos + self.offset
    }

    fn wrong(&self, got: String) -> DecodeError {
        DecodeError::Arguments { address: self.address.into(), expected: self.signature.into(), got }
    }

    /// A value error about the argument read last.
    pub fn invalid(&self, name: &str, problem: impl Into<String>) -> DecodeError {
        DecodeError::Invalid {
            address: self.address.into(),
            name: name.into(),
            index: self.index(),
            problem: problem.into(),
        }
    }

    fn type_error(&self, name: &str, a: &OscType) -> DecodeError {
        self.wrong(format!("{} as argument {} '{name}'", type_name(a), self.index()))
    }

    fn next(&mut self, name: &str) -> Result<&'a OscType, DecodeError> {
        let a = self
            .args
            .get(self.pos)
            .ok_or_else(|| self.wrong(format!("no argument {} '{name}'", self.pos + self.offset + 1)))?;
        self.pos += 1;
        Ok(a)
    }

    pub fn has_more(&self) -> bool {
        self.pos < self.args.len()
    }

    pub fn string(&mut self, name: &str) -> Result<&'a str, DecodeError> {
        match self.next(name)? {
            OscType::String(s) => Ok(s),
            other => Err(self.type_error(name, other)),
        }
    }

    /// A number: `i`, `f` or `d`, finite, optionally within `range`.
    pub fn number(&mut self, name: &str, range: Option<(f64, f64)>) -> Result<f64, DecodeError> {
        let v = match self.next(name)? {
            OscType::Float(v) => *v as f64,
            OscType::Double(v) => *v,
            OscType::Int(v) => *v as f64,
            other => return Err(self.type_error(name, other)),
        };
        validate::number(v, range).map_err(|p| self.invalid(name, p))?;
        Ok(v)
    }

    /// A number stored as `f32` (control values, gains): finite in 32 bits too, optionally
    /// within `range`.
    pub fn number_f32(&mut self, name: &str, range: Option<(f64, f64)>) -> Result<f32, DecodeError> {
        let v = self.number(name, range)?;
        let f = v as f32;
        if !f.is_finite() {
            return Err(self.invalid(name, format!("{} is beyond the 32-bit float range (±3.4e38)", validate::show(v))));
        }
        Ok(f)
    }

    /// A whole number within `lo..=hi` (`i`, or `f`/`d` holding an integer).
    pub fn integer(&mut self, name: &str, lo: i64, hi: i64) -> Result<i64, DecodeError> {
        let v = self.number(name, Some((lo as f64, hi as f64)))?;
        if v.fract() != 0.0 {
            return Err(self.invalid(name, format!("{} is not a whole number", validate::show(v))));
        }
        Ok(v as i64)
    }

    /// A flag: `i`/`f`/`d` (non-zero is true) or `T`/`F`.
    pub fn flag(&mut self, name: &str) -> Result<bool, DecodeError> {
        match self.next(name)? {
            OscType::Bool(b) => Ok(*b),
            OscType::Int(v) => Ok(*v != 0),
            OscType::Float(v) if v.is_finite() => Ok(*v != 0.0),
            OscType::Double(v) if v.is_finite() => Ok(*v != 0.0),
            OscType::Float(_) | OscType::Double(_) => Err(self.invalid(name, "a flag must be a finite number, T or F")),
            other => Err(self.type_error(name, other)),
        }
    }

    /// A string checked by `rule` (one of the `validate` functions).
    pub fn checked(
        &mut self,
        name: &str,
        rule: fn(&str, &Limits) -> Result<(), String>,
    ) -> Result<&'a str, DecodeError> {
        let s = self.string(name)?;
        rule(s, self.limits).map_err(|p| self.invalid(name, p))?;
        Ok(s)
    }

    /// A node name or control path.
    pub fn path(&mut self, name: &str) -> Result<&'a str, DecodeError> {
        self.checked(name, validate::path)
    }

    /// A string of at most `limit` bytes.
    pub fn text(&mut self, name: &str, limit: usize) -> Result<&'a str, DecodeError> {
        let s = self.string(name)?;
        if s.len() > limit {
            return Err(self.invalid(name, format!("{} bytes; the limit is {limit}", s.len())));
        }
        Ok(s)
    }

    /// Any int64 (`h`), or `i`.
    pub fn long(&mut self, name: &str) -> Result<i64, DecodeError> {
        match self.next(name)? {
            OscType::Long(v) => Ok(*v),
            OscType::Int(v) => Ok(*v as i64),
            other => Err(self.type_error(name, other)),
        }
    }

    /// Fails when arguments are left over.
    pub fn done(&self) -> Result<(), DecodeError> {
        if self.has_more() {
            let n = self.args.len() - self.pos;
            return Err(self.wrong(format!("{n} extra argument(s) from argument {}", self.pos + self.offset + 1)));
        }
        Ok(())
    }
}
