//! Running krd as a service: readiness and watchdog for systemd, the patchbay snapshot that
//! survives JACK restarts, and the hooks tests use to stall the audio thread.

pub mod monitor;
pub mod notify;
pub mod patchbay;
pub mod test_hooks;
pub mod watchdog;
