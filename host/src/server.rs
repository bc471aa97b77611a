//! The OSC server: UDP on the configured address. Each packet is decoded and validated here;
//! bad input is answered at once with `/kr/fail`, good requests go to the control thread.

use crate::control::{ControlMsg, Replier};
use crossbeam_channel::Sender;
use kr_osc::{decode_packet, decode_request, Limits, Reply};
use rosc::{OscPacket, OscType};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

struct UdpReplier {
    socket: Arc<UdpSocket>,
    to: SocketAddr,
}

impl Replier for UdpReplier {
    fn reply(&self, reply: Reply) {
        let bytes = kr_osc::to_bytes(&OscPacket::Message(reply.to_message()));
        if let Err(e) = self.socket.send_to(&bytes, self.to) {
            tracing::debug!(to = %self.to, error = %e, "reply not sent");
        }
    }
}

/// Flatten a packet into its messages (bundles nested up to the depth limit).
fn messages(packet: OscPacket, depth: usize, limits: &Limits, out: &mut Vec<rosc::OscMessage>) -> Result<(), String> {
    match packet {
        OscPacket::Message(m) => out.push(m),
        OscPacket::Bundle(b) => {
            if depth >= limits.max_bundle_depth {
                return Err(format!("bundles nested deeper than {}", limits.max_bundle_depth));
            }
            for p in b.content {
                messages(p, depth + 1, limits, out)?;
            }
        }
    }
    Ok(())
}

/// Serve UDP until `stop` is set. Runs on its own thread.
pub fn serve_udp(socket: UdpSocket, control: Sender<ControlMsg>, limits: Limits, stop: Arc<AtomicBool>) {
    let socket = Arc::new(socket);
    let _ = socket.set_read_timeout(Some(std::time::Duration::from_millis(200)));
    let mut buf = vec![0u8; 65536];
    while !stop.load(Relaxed) {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => continue,
        };
        let replier = || Box::new(UdpReplier { socket: Arc::clone(&socket), to: from });
        let packet = match decode_packet(&buf[..len], &limits) {
            Ok(p) => p,
            Err(e) => {
                replier().reply(Reply::fail("", None, e.to_string()));
                continue;
            }
        };
        let mut msgs = Vec::new();
        if let Err(e) = messages(packet, 0, &limits, &mut msgs) {
            replier().reply(Reply::fail("", None, e));
            continue;
        }
        for m in msgs {
            let decoded = std::panic::catch_unwind(|| decode_request(&m, &limits)).unwrap_or_else(|_| {
                Err(kr_osc::DecodeError::Malformed("internal error while decoding (a bug: please report it)".into()))
            });
            match decoded {
                Ok(req) => {
                    if control.send(ControlMsg::Request(req, replier())).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let id = match m.args.first() {
                        Some(OscType::Long(id)) => Some(*id),
                        _ => None,
                    };
                    let address: String = m.addr.chars().take(100).collect();
                    replier().reply(Reply::fail(&address, id, e.to_string()));
                }
            }
        }
    }
}
