//! On-disk cache of machine code, keyed by source, options, libfaust version and CPU target.
//!
//! An entry is `<sha256 of body as hex>\n<body>`; an entry whose checksum does not match is
//! deleted and recompiled, never loaded (loading garbage machine code would crash the engine).
//! Size is bounded; the least recently used entries (by modification time, touched on each hit)
//! are evicted first.

use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Disk cache settings.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// Folder of entries; `None` disables the disk cache.
    pub dir: Option<PathBuf>,
    /// Total size above which old entries are evicted.
    pub max_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            dir: default_dir(),
            max_bytes: 256 << 20,
        }
    }
}

/// `$XDG_CACHE_HOME/kr/faust`, or `~/.cache/kr/faust`.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kr").join("faust"))
}

/// The cache key of a compile: everything that changes the machine code.
pub fn key(source: &str, args: &[String], version: &str, target: &str) -> String {
    let mut h = Sha256::new();
    for part in [source, &args.join("\u{1f}"), version, target] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) struct DiskCache {
    settings: CacheSettings,
}

impl DiskCache {
    pub(crate) fn new(settings: CacheSettings) -> DiskCache {
        DiskCache { settings }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.settings
            .dir
            .as_ref()
            .map(|d| d.join(format!("{key}.machine")))
    }

    /// The machine code stored under `key`, if present and intact.
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        let path = self.path(key)?;
        let text = fs::read_to_string(&path).ok()?;
        let intact = text
            .split_once('\n')
            .filter(|(sum, body)| *sum == hex(&Sha256::digest(body.as_bytes())));
        match intact {
            Some((_, body)) => {
                touch(&path);
                Some(body.to_string())
            }
            None => {
                tracing::warn!(path = %path.display(), "corrupt FAUST cache entry removed");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Store machine code atomically (temp file + rename), then evict down to the size bound.
    pub(crate) fn put(&self, key: &str, code: &str) {
        let (Some(dir), Some(path)) = (self.settings.dir.as_ref(), self.path(key)) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
            let mut f = fs::File::create(&tmp)?;
            writeln!(f, "{}", hex(&Sha256::digest(code.as_bytes())))?;
            f.write_all(code.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot write FAUST cache entry");
            return;
        }
        self.evict(dir);
    }

    fn evict(&self, dir: &Path) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "machine"))
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.settings.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}
