//! The SuperDirt endpoint: a UDP socket (127.0.0.1:57120 by default) speaking what TidalCycles
//! and Strudel send. `/dirt/handshake` and `/dirt/hello` are answered here at once (Tidal
//! re-sends the handshake every 2 s until it gets a non-empty list of control buses);
//! `/dirt/play` and `/play2` events go to the control thread with their bundle's time tag and
//! get no reply, as in SuperDirt. Nothing a sender does here can block or crash krd: bad
//! packets are counted and reported by the control thread, and a burst past [`MAX_QUEUED`]
//! is dropped (and counted) rather than queued without bound.

use super::event::DirtEvent;
use crate::server::AllowList;
use kr_osc::TimeTag;
use rosc::{OscMessage, OscPacket, OscType};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Events handed to the control thread and not yet taken up, at most.
pub const MAX_QUEUED: usize = 8192;
/// Control buses announced in the handshake reply (Tidal only needs the list to be non-empty).
const CONTROL_BUSES: i32 = 16;
/// The port SuperDirt names as its server's (scsynth's); Tidal sends `/c_set` there.
const SERVER_PORT: i32 = 57110;

/// What the endpoint hands the control thread.
pub struct DirtMessage {
    /// The event, or why the message could not be read as one.
    pub event: Result<DirtEvent, String>,
    /// When it is to be heard (None: now).
    pub at: Option<SystemTime>,
    /// The sender.
    pub from: SocketAddr,
    queued: Arc<AtomicUsize>,
}

impl DirtMessage {
    /// The control thread took the message up.
    pub fn taken(&self) {
        let _ = self.queued.fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
    }
}

/// Serve until `stop`: answer handshakes, pass events to `deliver`.
pub fn serve(
    socket: UdpSocket,
    allow: AllowList,
    deliver: impl Fn(DirtMessage) -> bool,
    dropped: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
    let queued = Arc::new(AtomicUsize::new(0));
    let mut buf = vec![0u8; 65536];
    while !stop.load(Relaxed) {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(_) => continue,
        };
        if !allow.allows(from.ip()) {
            continue;
        }
        let send = |event: Result<DirtEvent, String>, at: Option<SystemTime>| {
            if queued.load(Relaxed) >= MAX_QUEUED {
                dropped.fetch_add(1, Relaxed);
                return;
            }
            queued.fetch_add(1, Relaxed);
            let m = DirtMessage { event, at, from, queued: Arc::clone(&queued) };
            if !deliver(m) {
                queued.fetch_sub(1, Relaxed);
            }
        };
        match rosc::decoder::decode_udp(&buf[..len]) {
            Ok((_, packet)) => walk(&packet, None, &mut |msg, at| {
                if let Some(reply) = answer(msg) {
                    if let Ok(bytes) = rosc::encoder::encode(&OscPacket::Message(reply)) {
                        let _ = socket.send_to(&bytes, from);
                    }
                } else if is_event(&msg.addr) {
                    send(DirtEvent::from_args(&msg.args).map_err(|e| e.to_string()), at);
                }
            }),
            Err(e) => send(Err(format!("not an OSC packet ({e})")), None),
        }
    }
}

fn is_event(addr: &str) -> bool {
    addr == "/dirt/play" || addr == "/play2"
}

/// Every message of a packet with the time tag it applies at (the innermost bundle's).
fn walk(p: &OscPacket, at: Option<SystemTime>, f: &mut dyn FnMut(&OscMessage, Option<SystemTime>)) {
    match p {
        OscPacket::Message(m) => f(m, at),
        OscPacket::Bundle(b) => {
            let tag = TimeTag::from_osc(b.timetag);
            let at = if tag.is_immediate() { at } else { tag.to_system_time() };
            for inner in &b.content {
                walk(inner, at, f);
            }
        }
    }
}

/// The reply to a handshake or hello, if `m` is one.
fn answer(m: &OscMessage) -> Option<OscMessage> {
    match m.addr.as_str() {
        "/dirt/handshake" => {
            let mut args = vec![
                OscType::String("&serverHostname".into()),
                OscType::String("127.0.0.1".into()),
                OscType::String("&serverPort".into()),
                OscType::Int(SERVER_PORT),
                OscType::String("&controlBusIndices".into()),
            ];
            args.extend((0..CONTROL_BUSES).map(OscType::Int));
            Some(OscMessage { addr: "/dirt/handshake/reply".into(), args })
        }
        "/dirt/hello" => Some(OscMessage { addr: "/dirt/hello/reply".into(), args: vec![] }),
        _ => None,
    }
}
