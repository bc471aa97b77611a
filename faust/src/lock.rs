//! libfaust's factory functions share global state and are not thread-safe (two threads
//! compiling at once crash). Every factory-level call in this crate takes this lock.

use std::sync::{Mutex, MutexGuard};

static FACTORY_API: Mutex<()> = Mutex::new(());

/// Holds libfaust's factory API for the caller. Never taken on the audio thread.
pub(crate) fn factory_api() -> MutexGuard<'static, ()> {
    // A panic while holding the lock leaves libfaust in whatever state the C call left it;
    // there is nothing to repair on our side, so a poisoned lock is still usable.
    FACTORY_API.lock().unwrap_or_else(|e| e.into_inner())
}
