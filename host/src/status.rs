//! The status board: `/kr/status` and `/kr/ping` answered by the socket threads themselves, from
//! the last status the control thread posted, so the liveness probe is answered within
//! milliseconds whatever the control thread is busy with (compiles, a flood of requests).

use crate::replier::Replier;
use kr_osc::{Command, Packet, Reply, TimeTag};
use std::sync::Mutex;
use std::time::Duration;

/// How often the control thread posts its status.
pub const POST_EVERY: Duration = Duration::from_millis(20);

/// The last status posted (`/kr/status.reply`'s JSON).
#[derive(Default)]
pub struct StatusBoard {
    json: Mutex<String>,
}

impl StatusBoard {
    pub fn post(&self, json: String) {
        *self.json.lock().unwrap_or_else(|e| e.into_inner()) = json;
    }

    pub fn read(&self) -> String {
        self.json.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Answer `packet` if it is a probe and a status was posted; false when it is not one.
    pub fn answer(&self, packet: &Packet, to: &dyn Replier) -> bool {
        if !is_probe(packet) {
            return false;
        }
        let json = self.read();
        if json.is_empty() {
            return false;
        }
        match packet.requests.first().map(|r| (&r.command, r.id)) {
            Some((Command::Status, _)) => to.reply(Reply::Status { json }),
            Some((Command::Ping, id)) => to.reply(Reply::done("/kr/ping", id, "pong")),
            _ => return false,
        }
        true
    }
}

/// A packet that only asks whether krd is alive (`/kr/status`, `/kr/ping`, not time-tagged).
pub fn is_probe(packet: &Packet) -> bool {
    matches!(packet.requests.as_slice(), [r] if matches!(r.command, Command::Status | Command::Ping))
        && matches!(packet.time, TimeTag::Immediate)
}
