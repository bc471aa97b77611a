//! A guard against libfaust's mapping leak: every factory libfaust loads from machine code keeps
//! a few memory mappings after it is deleted, and a process that reaches the kernel's limit
//! (`vm.max_map_count`) crashes on its next `mmap`. The service counts mappings (exactly every
//! [`RECOUNT_EVERY`] loads, estimated in between) and refuses loads near the limit with an error
//! that says what to do, so krd never gets there.

use std::path::Path;

/// Loads between two exact counts of `/proc/self/maps` (reading it costs milliseconds).
pub const RECOUNT_EVERY: u64 = 32;
/// Mappings assumed per load between exact counts (measured: 2–3).
const PER_LOAD: usize = 4;
/// Share of the kernel's limit krd uses at most.
const SAFE_SHARE: f64 = 0.9;

/// Mappings in use now.
pub fn count() -> usize {
    std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count()).unwrap_or(0)
}

/// The most mappings krd lets itself have: 90 % of `vm.max_map_count`.
pub fn safe_limit() -> usize {
    let kernel = std::fs::read_to_string(Path::new("/proc/sys/vm/max_map_count"))
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(65530);
    (kernel as f64 * SAFE_SHARE) as usize
}

/// Tracks the mapping count across loads.
#[derive(Debug)]
pub struct MapGuard {
    limit: usize,
    counted: usize,
    loads_since: u64,
}

impl MapGuard {
    pub fn new(limit: usize) -> MapGuard {
        MapGuard { limit, counted: count(), loads_since: 0 }
    }

    /// Before a load: an error message when it could take krd past the limit.
    pub fn check(&mut self) -> Result<(), String> {
        if self.loads_since >= RECOUNT_EVERY {
            self.counted = count();
            self.loads_since = 0;
        }
        let estimate = self.counted + self.loads_since as usize * PER_LOAD + PER_LOAD;
        if estimate > self.limit {
            // Near the limit, count exactly before refusing.
            self.counted = count();
            self.loads_since = 0;
            if self.counted + PER_LOAD > self.limit {
                return Err(format!(
                    "krd has loaded so many FAUST programs that its memory mappings ({} of the {} it allows \
                     itself, 90 % of vm.max_map_count) are nearly used up: libfaust keeps a few of every \
                     program it loads (a libfaust leak). Restart krd to load more (the session is restored).",
                    self.counted, self.limit
                ));
            }
        }
        Ok(())
    }

    /// After a load.
    pub fn loaded(&mut self) {
        self.loads_since += 1;
    }
}
