//! The service's view from the main thread: readiness once krd is up, a status line when it
//! changes, and watchdog pings while krd is healthy.

use super::notify::Notifier;
use super::watchdog::Health;
use crate::control::HostCounters;
use crate::status::StatusBoard;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the status line may change at most.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// Tells systemd how krd is doing; [`ServiceMonitor::tick`] is called every few hundred ms.
pub struct ServiceMonitor {
    notifier: Notifier,
    counters: Arc<HostCounters>,
    board: Arc<StatusBoard>,
    health: Health,
    ready: bool,
    /// Whether the last look found krd healthy (problems are logged when they start).
    healthy: bool,
    next_ping: Option<Instant>,
    last_status: String,
    status_at: Instant,
}

impl ServiceMonitor {
    pub fn new(notifier: Notifier, counters: Arc<HostCounters>, board: Arc<StatusBoard>) -> ServiceMonitor {
        let next_ping = notifier.ping_every().map(|_| Instant::now());
        ServiceMonitor {
            notifier,
            counters,
            board,
            health: Health::default(),
            ready: false,
            healthy: true,
            next_ping,
            last_status: String::new(),
            status_at: Instant::now(),
        }
    }

    /// How long the main thread may wait before the next tick.
    pub fn tick_every(&self) -> Duration {
        let ping = self.notifier.ping_every().unwrap_or(Duration::MAX);
        (ping / 4).clamp(Duration::from_millis(20), Duration::from_millis(200))
    }

    pub fn tick(&mut self, now: Instant) {
        let line = self.status_line();
        if !self.ready && self.counters.beats.restored.load(Relaxed) && self.counters.beats.audio_active.load(Relaxed) {
            self.ready = true;
            tracing::info!("ready: {line}");
            self.notifier.ready(&line);
            (self.last_status, self.status_at) = (line, now);
        } else if self.ready && line != self.last_status && now.duration_since(self.status_at) >= STATUS_EVERY {
            self.notifier.status(&line);
            (self.last_status, self.status_at) = (line, now);
        }
        let (Some(due), Some(every)) = (self.next_ping, self.notifier.ping_every()) else { return };
        if now < due {
            return;
        }
        self.next_ping = Some(now + every);
        let health = self.health.check(self.counters.beats.read());
        match health {
            Ok(()) => self.notifier.watchdog(),
            Err(why) if self.healthy => tracing::error!("no watchdog ping: {why}"),
            Err(_) => {}
        }
        if health.is_ok() && !self.healthy {
            tracing::warn!("healthy again: the watchdog is fed");
        }
        self.healthy = health.is_ok();
    }

    /// krd is stopping: systemd stops watching.
    pub fn stopping(&mut self) {
        self.notifier.stopping();
    }

    /// `nodes=3 load=12.5% jack=active` (from the last status the control thread posted).
    fn status_line(&self) -> String {
        let status: serde_json::Value = serde_json::from_str(&self.board.read()).unwrap_or_default();
        let nodes = status["nodes"].as_u64().unwrap_or(0);
        let load = status["load_mean"].as_f64().unwrap_or(0.0) * 100.0;
        let jack = if self.counters.beats.audio_active.load(Relaxed) { "active" } else { "waiting for a server" };
        format!("nodes={nodes} load={load:.0}% jack={jack}")
    }
}
