//! Where replies and notifications go: a client connection (UDP peer, TCP connection), as the
//! control thread, the socket threads and the status board see it.

use kr_osc::Reply;

/// A client connection replies and notifications go to.
pub trait Replier: Send + Sync {
    /// Send one OSC packet (already encoded).
    fn send(&self, bytes: &[u8]);
    /// Identifies the peer (`udp 127.0.0.1:5000`, `tcp 127.0.0.1:5000#3`) for subscriptions.
    fn peer(&self) -> String;
    /// False once a connection is gone (TCP); its subscriptions end with it.
    fn alive(&self) -> bool {
        true
    }
    /// Whether the client is on this machine (loopback): it may name absolute paths.
    fn is_local(&self) -> bool {
        false
    }
    /// The control thread has taken up one of this client's packets (applied it, started its
    /// job, or queued it for its time tag): the client may send another.
    fn handled(&self) {}
    fn reply(&self, reply: Reply) {
        self.send(&reply.to_bytes());
    }
}
