//! Messages to the service manager (`sd_notify`): nothing at all when krd was not started by
//! one (no `NOTIFY_SOCKET`).

use sd_notify::NotifyState;
use std::time::Duration;

/// Sends readiness, status lines and watchdog pings to systemd.
#[derive(Debug)]
pub struct Notifier {
    watchdog: Option<Duration>,
    /// Whether a failure to send was logged already (logged once, not on every ping).
    warned: bool,
}

impl Notifier {
    /// Read the service manager's settings from the environment (`WATCHDOG_USEC`,
    /// `WATCHDOG_PID`).
    pub fn from_env() -> Notifier {
        Notifier { watchdog: sd_notify::watchdog_enabled(), warned: false }
    }

    /// How often to ping the watchdog: half its timeout, as systemd advises, so one late ping
    /// is not yet a restart. None when no watchdog is asked for.
    pub fn ping_every(&self) -> Option<Duration> {
        self.watchdog.map(|d| d / 2)
    }

    pub fn ready(&mut self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }

    pub fn status(&mut self, status: &str) {
        self.send(&[NotifyState::Status(status)]);
    }

    pub fn watchdog(&mut self) {
        self.send(&[NotifyState::Watchdog]);
    }

    pub fn stopping(&mut self) {
        self.send(&[NotifyState::Stopping]);
    }

    fn send(&mut self, states: &[NotifyState]) {
        if let Err(e) = sd_notify::notify(states) {
            if !self.warned {
                tracing::warn!(error = %e, "cannot notify the service manager (NOTIFY_SOCKET)");
                self.warned = true;
            }
        }
    }
}
