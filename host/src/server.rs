//! The OSC servers: UDP and TCP (32-bit length-prefixed frames) on the configured address.
//! Each packet is decoded and validated here as a whole (`kr_osc::decode_bundle`); bad input is
//! answered at once with `/kr/fail`, good packets go to the control thread. Peers outside the
//! allow-list are ignored.

use crate::control::ControlMsg;
use crate::replier::Replier;
use crate::status::StatusBoard;
use crossbeam_channel::Sender;
use kr_osc::tcp::{write_frame, FrameDecoder, FrameError};
use kr_osc::{decode_bundle, DecodeError, Limits, Packet, Reply};
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Networks allowed to talk to krd, e.g. `127.0.0.0/8`, `::1/128`, `192.168.1.0/24`.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowList(Vec<(IpAddr, u8)>);

impl AllowList {
    /// Parse CIDR strings; a bare address means that address alone.
    pub fn parse(nets: &[String]) -> Result<AllowList, String> {
        let mut out = Vec::new();
        for n in nets {
            let (addr, bits) = n.split_once('/').unwrap_or((n, ""));
            let ip: IpAddr = addr.trim().parse().map_err(|_| format!("'{n}' is not an address or network (CIDR)"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = if bits.is_empty() {
                max
            } else {
                bits.trim().parse().map_err(|_| format!("bad prefix length in '{n}'"))?
            };
            if bits > max {
                return Err(format!("prefix length {bits} too long in '{n}'"));
            }
            out.push((ip, bits));
        }
        Ok(AllowList(out))
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|&(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), bits),
            _ => false,
        })
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = ((bits / 8) as usize, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

fn decode(bytes: &[u8], limits: &Limits) -> Result<Packet, DecodeError> {
    std::panic::catch_unwind(|| decode_bundle(bytes, limits)).unwrap_or_else(|_| {
        Err(DecodeError::Malformed("internal error while decoding (a bug: please report it)".into()))
    })
}

/// Packets from UDP clients waiting for the control thread, at most: past this a request is
/// answered "busy" at once instead of queueing without bound.
const UDP_WAITING: usize = 1024;
/// Packets one TCP connection may have waiting for the control thread; past this krd stops
/// reading it (TCP pushes back on the client, nobody else waits).
const TCP_WAITING: usize = 64;
/// Bytes of replies waiting for one TCP client, at most; a client that lets more pile up (it
/// does not read) is disconnected.
const TCP_QUEUE_BYTES: usize = 32 << 20;
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65507;

/// Packets handed to the control thread and not yet taken up.
#[derive(Default)]
struct Waiting(AtomicUsize);

impl Waiting {
    fn count(&self) -> usize {
        self.0.load(Relaxed)
    }
    fn add(&self) {
        self.0.fetch_add(1, Relaxed);
    }
    fn done(&self) {
        let _ = self.0.fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
    }
}

struct UdpReplier {
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    waiting: Arc<Waiting>,
}

impl Replier for UdpReplier {
    fn send(&self, bytes: &[u8]) {
        if let Err(e) = self.socket.send_to(bytes, self.to) {
            tracing::debug!(to = %self.to, error = %e, "reply not sent");
        }
    }
    /// A reply too large for one datagram is answered with a `/kr/fail` saying so.
    fn reply(&self, reply: Reply) {
        let bytes = reply.to_bytes();
        if bytes.len() <= MAX_DATAGRAM {
            return self.send(&bytes);
        }
        let (address, id) = match &reply {
            Reply::Done { address, id, .. } | Reply::Fail { address, id, .. } => (address.as_str(), *id),
            _ => ("", None),
        };
        let message = format!(
            "the reply is {} bytes, more than one UDP datagram carries ({MAX_DATAGRAM}); ask over TCP (same port)",
            bytes.len()
        );
        self.send(&Reply::fail(address, id, message).to_bytes());
    }
    fn handled(&self) {
        self.waiting.done();
    }
    fn peer(&self) -> String {
        format!("udp {}", self.to)
    }
    fn is_local(&self) -> bool {
        is_loopback(self.to.ip())
    }
}

/// Serve UDP until `stop` is set. Runs on its own thread.
pub fn serve_udp(
    socket: UdpSocket,
    control: Sender<ControlMsg>,
    limits: Limits,
    allow: AllowList,
    board: Arc<StatusBoard>,
    stop: Arc<AtomicBool>,
) {
    let socket = Arc::new(socket);
    let waiting = Arc::new(Waiting::default());
    let _ = socket.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = vec![0u8; 65536];
    while !stop.load(Relaxed) {
        let Ok((len, from)) = socket.recv_from(&mut buf) else { continue };
        if !allow.allows(from.ip()) {
            tracing::debug!(%from, "ignored: not in osc.allow");
            continue;
        }
        let replier = UdpReplier { socket: Arc::clone(&socket), to: from, waiting: Arc::clone(&waiting) };
        match decode(&buf[..len], &limits) {
            Ok(packet) if board.answer(&packet, &replier) => {}
            Ok(packet) if waiting.count() >= UDP_WAITING => {
                let message = format!("krd is busy: {UDP_WAITING} requests are waiting already; try again");
                for r in &packet.requests {
                    replier.reply(Reply::fail(r.command.address(), r.id, message.clone()));
                }
            }
            Ok(packet) => {
                waiting.add();
                if control.send(ControlMsg::Packet(packet, Arc::new(replier))).is_err() {
                    return;
                }
            }
            Err(e) => replier.reply(Reply::refused(&e)),
        }
    }
}

/// Replies and notifications waiting to be written to one TCP client, at most.
const TCP_QUEUE_PACKETS: usize = 1024;

/// Answers a TCP client without ever waiting for it: packets go to a bounded queue that a writer
/// thread of the connection drains. A client that does not read its replies fills the queue and
/// is disconnected (its subscriptions end with it); the control thread never blocks on it.
struct TcpReplier {
    queue: crossbeam_channel::Sender<Vec<u8>>,
    /// Bytes in `queue`.
    queued: Arc<AtomicUsize>,
    peer: String,
    local: bool,
    alive: Arc<AtomicBool>,
    waiting: Waiting,
}

impl Replier for TcpReplier {
    fn send(&self, bytes: &[u8]) {
        // Counted before it is queued: counted after, the writer could send it and subtract
        // its length first, the count wrapping below zero (and the next send's sum overflowing:
        // a panic in whichever thread replied, e.g. the compile service's).
        let len = bytes.len();
        let before = self.queued.fetch_add(len, Relaxed);
        let queued = before.saturating_add(len) <= TCP_QUEUE_BYTES && self.queue.try_send(bytes.to_vec()).is_ok();
        if !queued {
            self.queued.fetch_sub(len, Relaxed);
        }
        if !queued && self.alive.swap(false, Relaxed) {
            tracing::warn!(peer = %self.peer, "a TCP client does not read its replies; disconnected");
        }
    }
    fn handled(&self) {
        self.waiting.done();
    }
    fn peer(&self) -> String {
        self.peer.clone()
    }
    fn alive(&self) -> bool {
        self.alive.load(Relaxed)
    }
    fn is_local(&self) -> bool {
        self.local
    }
}

/// Loopback, also as an IPv4-mapped IPv6 address.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(v6.is_loopback(), |v4| v4.is_loopback()),
        IpAddr::V4(v4) => v4.is_loopback(),
    }
}

/// TCP connection settings.
#[derive(Debug, Clone)]
pub struct TcpSettings {
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
}

/// How often the accepting thread looks at its `stop` flag while no connection comes.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// Wait until a connection is ready to be accepted on `listener`, or `timeout` passes.
fn wait_for_connection(listener: &TcpListener, timeout: Duration) {
    let mut fd = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd that outlives the call; poll only reads and writes it.
    unsafe { libc::poll(&mut fd, 1, ms) };
}

/// Accept TCP connections, a reader and a writer thread each, until `stop`.
pub fn serve_tcp(
    listener: TcpListener,
    control: Sender<ControlMsg>,
    limits: Limits,
    allow: AllowList,
    settings: TcpSettings,
    board: Arc<StatusBoard>,
    stop: Arc<AtomicBool>,
) {
    let _ = listener.set_nonblocking(true);
    let counter = AtomicU64::new(0);
    let open = Arc::new(AtomicU64::new(0));
    while !stop.load(Relaxed) {
        let (mut stream, from) = match listener.accept() {
            Ok(x) => x,
            // Woken by the next connection at once (a client's first request waits for it),
            // and at least every STOP_CHECK to see `stop`.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_for_connection(&listener, STOP_CHECK);
                continue;
            }
            // Out of descriptors, say: the waiting connection stays readable, so no busy loop.
            Err(_) => {
                std::thread::sleep(STOP_CHECK);
                continue;
            }
        };
        if !allow.allows(from.ip()) {
            tracing::debug!(%from, "refused: not in osc.allow");
            continue;
        }
        if open.load(Relaxed) >= settings.max_connections as u64 {
            let message = format!(
                "{} TCP connections are open already; the limit is {} (osc.max_connections)",
                settings.max_connections, settings.max_connections
            );
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = write_frame(&mut stream, &Reply::fail("", None, message).to_bytes());
            continue;
        }
        let n = counter.fetch_add(1, Relaxed);
        let connection = Connection {
            peer: format!("tcp {from}#{n}"),
            local: is_loopback(from.ip()),
            control: control.clone(),
            limits: limits.clone(),
            idle_timeout: settings.idle_timeout,
            board: Arc::clone(&board),
            stop: Arc::clone(&stop),
        };
        open.fetch_add(1, Relaxed);
        let open_now = Arc::clone(&open);
        let spawned = std::thread::Builder::new().name("kr-osc-tcp".into()).spawn(move || {
            connection.serve(stream);
            open_now.fetch_sub(1, Relaxed);
        });
        if let Err(e) = spawned {
            open.fetch_sub(1, Relaxed);
            tracing::error!(error = %e, "cannot start a TCP connection thread");
        }
    }
}

/// One TCP client.
struct Connection {
    peer: String,
    local: bool,
    control: Sender<ControlMsg>,
    limits: Limits,
    idle_timeout: Duration,
    board: Arc<StatusBoard>,
    stop: Arc<AtomicBool>,
}

impl Connection {
    /// Read packets until the client goes, falls silent for the idle timeout, or stops reading.
    fn serve(self, stream: TcpStream) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        let _ = stream.set_nodelay(true);
        let (Ok(mut reader), Ok(writer)) = (stream.try_clone(), stream.try_clone()) else { return };
        let (queue, outgoing) = crossbeam_channel::bounded::<Vec<u8>>(TCP_QUEUE_PACKETS);
        let alive = Arc::new(AtomicBool::new(true));
        let queued = Arc::new(AtomicUsize::new(0));
        let replier = Arc::new(TcpReplier {
            queue,
            queued: Arc::clone(&queued),
            peer: self.peer.clone(),
            local: self.local,
            alive: Arc::clone(&alive),
            waiting: Waiting::default(),
        });
        let writing = std::thread::Builder::new()
            .name("kr-osc-tcp-out".into())
            .spawn(move || write_replies(writer, outgoing, &queued, &alive));
        if writing.is_err() {
            return;
        }
        let mut frames = FrameDecoder::new(self.limits.max_packet_bytes);
        let mut buf = vec![0u8; 65536];
        let mut heard = std::time::Instant::now();
        while !self.stop.load(Relaxed) && replier.alive() {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    heard = std::time::Instant::now();
                    frames.push(&buf[..n]);
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if heard.elapsed() >= self.idle_timeout {
                        tracing::debug!(peer = %self.peer, "idle TCP connection closed");
                        break;
                    }
                    continue;
                }
                Err(_) => break,
            }
            if !self.forward_frames(&mut frames, &replier) {
                break;
            }
        }
        replier.alive.store(false, Relaxed);
    }

    /// Pass every complete frame to the control thread; false when the connection must end.
    fn forward_frames(&self, frames: &mut FrameDecoder, replier: &Arc<TcpReplier>) -> bool {
        loop {
            match frames.next_frame() {
                Ok(Some(bytes)) => match decode(&bytes, &self.limits) {
                    Ok(packet) if self.board.answer(&packet, replier.as_ref()) => {}
                    Ok(packet) => {
                        // Stop reading while this client has enough waiting: TCP pushes back.
                        while replier.waiting.count() >= TCP_WAITING && replier.alive() && !self.stop.load(Relaxed) {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        replier.waiting.add();
                        let to: Arc<dyn Replier> = Arc::clone(replier) as Arc<dyn Replier>;
                        if self.control.send(ControlMsg::Packet(packet, to)).is_err() {
                            return false;
                        }
                    }
                    Err(e) => replier.reply(Reply::refused(&e)),
                },
                Ok(None) => return true,
                Err(e @ FrameError::TooLarge { .. }) => {
                    replier.reply(Reply::fail("", None, e.to_string()));
                    return false;
                }
                Err(e) => {
                    replier.reply(Reply::fail("", None, e.to_string()));
                    return true;
                }
            }
        }
    }
}

/// The connection's writer: sends queued packets until the connection has ended and its queue
/// is empty (a last `/kr/fail` still goes out). A write that cannot go out within a second (the
/// client stopped reading) ends the connection. The socket closes when this returns.
fn write_replies(
    mut stream: TcpStream,
    outgoing: crossbeam_channel::Receiver<Vec<u8>>,
    queued: &AtomicUsize,
    alive: &AtomicBool,
) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    loop {
        match outgoing.recv_timeout(Duration::from_millis(100)) {
            Ok(bytes) => {
                queued.fetch_sub(bytes.len(), Relaxed);
                if write_frame(&mut stream, &bytes).is_err() {
                    alive.store(false, Relaxed);
                    break;
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) if alive.load(Relaxed) => {}
            Err(_) => break,
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_networks() {
        let a = AllowList::parse(&["127.0.0.0/8".into(), "::1".into(), "192.168.1.0/24".into()]).unwrap();
        assert!(a.allows("127.0.0.1".parse().unwrap()));
        assert!(a.allows("127.9.9.9".parse().unwrap()));
        assert!(a.allows("::1".parse().unwrap()));
        assert!(a.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(a.allows("192.168.1.77".parse().unwrap()));
        assert!(!a.allows("192.168.2.1".parse().unwrap()));
        assert!(!a.allows("10.0.0.1".parse().unwrap()));
        assert!(AllowList::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(AllowList::parse(&["nonsense".into()]).is_err());
    }
}
