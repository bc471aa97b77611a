//! OSC → [`Request`], with validation.

use crate::command::{Command, DspSource, Request};
use crate::validate::{self, Limits};
use crate::DecodeError;
use kr_pattern::ir::Ir;
use rosc::{OscMessage, OscPacket, OscType};

/// Decode raw bytes into an OSC packet, refusing oversized input.
pub fn decode_packet(bytes: &[u8], limits: &Limits) -> Result<OscPacket, DecodeError> {
    if bytes.len() > limits.max_packet_bytes {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit: limits.max_packet_bytes,
        });
    }
    let (_, packet) =
        rosc::decoder::decode_udp(bytes).map_err(|e| DecodeError::Malformed(format!("{e:?}")))?;
    Ok(packet)
}

fn type_name(a: &OscType) -> &'static str {
    match a {
        OscType::Int(_) => "int (i)",
        OscType::Float(_) => "float (f)",
        OscType::String(_) => "string (s)",
        OscType::Blob(_) => "blob (b)",
        OscType::Long(_) => "int64 (h)",
        OscType::Double(_) => "double (d)",
        OscType::Bool(_) => "bool (T/F)",
        OscType::Nil => "nil (N)",
        _ => "an unsupported type",
    }
}

/// A cursor over a message's arguments that explains type mismatches.
struct Args<'a> {
    address: &'a str,
    signature: &'static str,
    args: &'a [OscType],
    pos: usize,
}

impl<'a> Args<'a> {
    fn wrong(&self, got: String) -> DecodeError {
        DecodeError::Arguments {
            address: self.address.into(),
            expected: self.signature.into(),
            got,
        }
    }

    fn next(&mut self, name: &str) -> Result<&'a OscType, DecodeError> {
        let a = self
            .args
            .get(self.pos)
            .ok_or_else(|| self.wrong(format!("no '{name}' (argument {})", self.pos + 1)))?;
        self.pos += 1;
        Ok(a)
    }

    fn string(&mut self, name: &str) -> Result<&'a str, DecodeError> {
        match self.next(name)? {
            OscType::String(s) => Ok(s),
            other => Err(self.wrong(format!("{} for '{name}'", type_name(other)))),
        }
    }

    fn number(&mut self, name: &str) -> Result<f64, DecodeError> {
        match self.next(name)? {
            OscType::Float(v) => Ok(*v as f64),
            OscType::Double(v) => Ok(*v),
            OscType::Int(v) => Ok(*v as f64),
            other => Err(self.wrong(format!("{} for '{name}'", type_name(other)))),
        }
    }

    fn has_more(&self) -> bool {
        self.pos < self.args.len()
    }

    fn opt_number(&mut self, name: &str) -> Result<Option<f64>, DecodeError> {
        if self.has_more() {
            self.number(name).map(Some)
        } else {
            Ok(None)
        }
    }

    fn opt_string(&mut self, name: &str) -> Result<Option<&'a str>, DecodeError> {
        if self.has_more() {
            self.string(name).map(Some)
        } else {
            Ok(None)
        }
    }

    fn done(&self) -> Result<(), DecodeError> {
        if self.has_more() {
            return Err(self.wrong(format!("{} extra argument(s)", self.args.len() - self.pos)));
        }
        Ok(())
    }
}

/// Signature text of each address, as printed in errors and docs.
pub(crate) fn signature(address: &str) -> Option<&'static str> {
    Some(match address {
        "/kr/status" | "/kr/ping" | "/kr/dump" => "no arguments",
        "/kr/node/new" => "name:s source:s [count:i] [gain:f]",
        "/kr/node/free" | "/kr/mute" | "/kr/unmute" => "name:s",
        "/kr/set" => "path:s value:f",
        "/kr/get" => "path:s",
        "/kr/route" => "from:s to:s [level:f]",
        "/kr/unroute" => "from:s to:s",
        "/kr/play" => "target:s pattern:s [from_zero:i]",
        "/kr/hush" => "[target:s]",
        "/kr/tempo" => "bpm:f",
        "/kr/meter" => "beats:f",
        "/kr/master" => "gain:f",
        _ => return None,
    })
}

/// Parse a pattern argument: pattern IR as JSON (`{...}`) or mini-notation.
fn pattern(address: &str, src: &str) -> Result<Ir, DecodeError> {
    let invalid = |problem: String| DecodeError::Invalid {
        address: address.into(),
        name: "pattern".into(),
        problem,
    };
    let ir = if src.trim_start().starts_with('{') {
        Ir::from_json(src).map_err(|e| invalid(e.to_string()))?
    } else {
        Ir::mini(src)
    };
    ir.to_pattern().map_err(|e| invalid(e.to_string()))?;
    Ok(ir)
}

/// Decode and validate one message.
pub fn decode_request(msg: &OscMessage, limits: &Limits) -> Result<Request, DecodeError> {
    let address = msg.addr.as_str();
    let sig = signature(address)
        .ok_or_else(|| DecodeError::UnknownAddress(address.chars().take(100).collect()))?;
    if msg.args.len() > limits.max_args {
        return Err(DecodeError::Arguments {
            address: address.into(),
            expected: sig.into(),
            got: format!("{} arguments", msg.args.len()),
        });
    }
    let (id, rest) = match msg.args.first() {
        Some(OscType::Long(id)) => (Some(*id), &msg.args[1..]),
        _ => (None, &msg.args[..]),
    };
    let mut a = Args {
        address,
        signature: sig,
        args: rest,
        pos: 0,
    };
    let check_path = |name: &str, v: &str| validate::path(address, name, v, limits);
    let command = match address {
        "/kr/status" => Command::Status,
        "/kr/ping" => Command::Ping,
        "/kr/dump" => Command::Dump,
        "/kr/node/new" => {
            let name = a.string("name")?;
            check_path("name", name)?;
            let source = a.string("source")?;
            if source.len() > limits.max_source_bytes {
                return Err(DecodeError::Invalid {
                    address: address.into(),
                    name: "source".into(),
                    problem: format!(
                        "{} bytes; the limit is {}",
                        source.len(),
                        limits.max_source_bytes
                    ),
                });
            }
            let count = a.opt_number("count")?.unwrap_or(1.0);
            validate::number(
                address,
                "count",
                count,
                Some((1.0, limits.max_voices as f64)),
            )?;
            if count.fract() != 0.0 {
                validate::number(address, "count", f64::NAN, None)?;
            }
            let gain = a.opt_number("gain")?.unwrap_or(1.0);
            validate::number(address, "gain", gain, Some((0.0, 16.0)))?;
            Command::NodeNew {
                name: name.into(),
                source: DspSource::parse(source),
                count: count as u32,
                gain: gain as f32,
            }
        }
        "/kr/node/free" => {
            let name = a.string("name")?;
            check_path("name", name)?;
            Command::NodeFree { name: name.into() }
        }
        "/kr/mute" | "/kr/unmute" => {
            let name = a.string("name")?;
            check_path("name", name)?;
            Command::Mute {
                name: name.into(),
                on: address == "/kr/mute",
            }
        }
        "/kr/set" => {
            let path = a.string("path")?;
            check_path("path", path)?;
            let value = a.number("value")?;
            validate::number(address, "value", value, None)?;
            Command::Set {
                path: path.into(),
                value: value as f32,
            }
        }
        "/kr/get" => {
            let path = a.string("path")?;
            check_path("path", path)?;
            Command::Get { path: path.into() }
        }
        "/kr/route" | "/kr/unroute" => {
            let from = a.string("from")?;
            check_path("from", from)?;
            let to = a.string("to")?;
            check_path("to", to)?;
            if address == "/kr/route" {
                let level = a.opt_number("level")?.unwrap_or(1.0);
                validate::number(address, "level", level, Some((0.0, 16.0)))?;
                Command::Route {
                    from: from.into(),
                    to: to.into(),
                    level: level as f32,
                }
            } else {
                Command::Unroute {
                    from: from.into(),
                    to: to.into(),
                }
            }
        }
        "/kr/play" => {
            let target = a.string("target")?;
            check_path("target", target)?;
            let src = a.string("pattern")?;
            let pattern = pattern(address, src)?;
            let from_zero = a.opt_number("from_zero")?.unwrap_or(0.0) != 0.0;
            Command::Play {
                target: target.into(),
                pattern,
                from_zero,
            }
        }
        "/kr/hush" => {
            let target = a.opt_string("target")?;
            if let Some(t) = target {
                check_path("target", t)?;
            }
            Command::Hush {
                target: target.map(Into::into),
            }
        }
        "/kr/tempo" => {
            let bpm = a.number("bpm")?;
            validate::number(address, "bpm", bpm, Some((1.0, 1000.0)))?;
            Command::Tempo { bpm }
        }
        "/kr/meter" => {
            let beats = a.number("beats")?;
            validate::number(address, "beats", beats, Some((0.25, 64.0)))?;
            Command::Meter { beats }
        }
        "/kr/master" => {
            let gain = a.number("gain")?;
            validate::number(address, "gain", gain, Some((0.0, 4.0)))?;
            Command::Master { gain: gain as f32 }
        }
        _ => return Err(DecodeError::UnknownAddress(address.into())),
    };
    a.done()?;
    Ok(Request { id, command })
}
