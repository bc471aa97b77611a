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
use std::time::{Duration, SystemTime};

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
        CacheSettings { dir: default_dir(), max_bytes: 256 << 20 }
    }
}

/// `$XDG_CACHE_HOME/kr/faust`, or `~/.cache/kr/faust`.
pub fn default_dir() -> Option<PathBuf> {
    crate::paths::cache_dir().map(|d| d.join("faust"))
}

/// What kr itself does to libfaust's code (`Factory::compile`), in every key: a change to it
/// must not load machine code made the old way. `noalias`: the instance `noalias` in compute.
const CODEGEN: &str = "noalias";

/// The cache key of a compile: everything that changes the machine code (the source, libfaust's
/// arguments, libfaust's version, the CPU target and kr's own code generation), as 64 hex
/// digits. Every part is hashed with its length, so no two different inputs share a key by
/// moving text between parts.
pub fn key(source: &str, args: &[String], version: &str, target: &str) -> String {
    let mut h = Sha256::new();
    let mut part = |p: &str| {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    };
    part(source);
    part(&args.len().to_string());
    args.iter().for_each(|a| part(a));
    part(version);
    part(target);
    part(CODEGEN);
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
        self.settings.dir.as_ref().map(|d| d.join(format!("{key}.machine")))
    }

    /// The machine code stored under `key` and the memory of one instance, if present and
    /// intact. An entry is `<sha256 of the rest>\n<instance bytes>\n<machine code>`.
    pub(crate) fn get(&self, key: &str) -> Option<(String, u64)> {
        let path = self.path(key)?;
        let text = fs::read_to_string(&path).ok()?;
        let intact = text
            .split_once('\n')
            .filter(|(sum, body)| *sum == hex(&Sha256::digest(body.as_bytes())))
            .and_then(|(_, body)| body.split_once('\n'))
            .and_then(|(bytes, code)| Some((code, bytes.parse::<u64>().ok()?)));
        match intact {
            Some((code, bytes)) => {
                touch(&path);
                Some((code.to_string(), bytes))
            }
            None => {
                tracing::warn!(path = %path.display(), "corrupt FAUST cache entry removed");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Store machine code and the memory of one instance atomically (temp file + rename), then
    /// evict down to the size bound.
    pub(crate) fn put(&self, key: &str, code: &str, instance_bytes: u64) {
        let (Some(dir), Some(path)) = (self.settings.dir.as_ref(), self.path(key)) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
            let mut f = fs::File::create(&tmp)?;
            let body = format!("{instance_bytes}\n{code}");
            writeln!(f, "{}", hex(&Sha256::digest(body.as_bytes())))?;
            f.write_all(body.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot write FAUST cache entry");
            return;
        }
        self.evict(dir, &path);
    }

    /// Remove the least recently used entries until the total is within `max_bytes`. The entry
    /// just written (`keep`) stays even if it alone is larger. Temp files left by a process that
    /// died mid-write are removed once they are an hour old.
    fn evict(&self, dir: &Path, keep: &Path) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut files: Vec<(SystemTime, u64, PathBuf)> = vec![];
        for e in entries.flatten() {
            let (path, Ok(m)) = (e.path(), e.metadata()) else {
                continue;
            };
            let modified = m.modified().unwrap_or(now);
            match path.extension().and_then(|x| x.to_str()) {
                Some("machine") => files.push((modified, m.len(), path)),
                Some("tmp") if now.duration_since(modified).unwrap_or_default() > STALE_TMP => {
                    let _ = fs::remove_file(&path);
                }
                _ => {}
            }
        }
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.settings.max_bytes {
                break;
            }
            if path != keep && fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

const STALE_TMP: Duration = Duration::from_secs(3600);

fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path, max_bytes: u64) -> DiskCache {
        DiskCache::new(CacheSettings { dir: Some(dir.into()), max_bytes })
    }

    fn age(dir: &Path, key: &str, seconds_ago: u64) {
        let f = fs::File::options().append(true).open(dir.join(format!("{key}.machine"))).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago)).unwrap();
    }

    #[test]
    fn the_key_changes_with_source_options_version_and_target() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let base = key("process = _;", &args(&["-I", "/x"]), "2.54.9", "x86_64:generic");
        assert_eq!(base.len(), 64);
        assert!(base.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(base, key("process = _;", &args(&["-I", "/x"]), "2.54.9", "x86_64:generic"), "stable");
        let variants = [
            key("process = 0;", &args(&["-I", "/x"]), "2.54.9", "x86_64:generic"),
            key("process = _;", &args(&["-I", "/y"]), "2.54.9", "x86_64:generic"),
            key("process = _;", &args(&["-I", "/x", "-double"]), "2.54.9", "x86_64:generic"),
            key("process = _;", &args(&["-I/x"]), "2.54.9", "x86_64:generic"),
            key("process = _;", &args(&["-I", "/x"]), "2.54.10", "x86_64:generic"),
            key("process = _;", &args(&["-I", "/x"]), "2.54.9", "x86_64:haswell"),
            // Text moved between parts is a different key.
            key("process = _;-I", &args(&["/x"]), "2.54.9", "x86_64:generic"),
        ];
        for v in &variants {
            assert_ne!(&base, v);
        }
        let distinct: std::collections::HashSet<_> = variants.iter().collect();
        assert_eq!(distinct.len(), variants.len());
    }

    #[test]
    fn entries_round_trip_and_a_corrupt_entry_is_refused_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path(), 1 << 20);
        assert_eq!(c.get("k"), None);
        c.put("k", "machine code", 4096);
        assert_eq!(c.get("k"), Some(("machine code".to_string(), 4096)));
        let path = dir.path().join("k.machine");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("machine", "mashine")).unwrap();
        assert_eq!(c.get("k"), None, "checksum mismatch");
        assert!(!path.exists(), "the corrupt entry is deleted");
        fs::write(&path, "no checksum line").unwrap();
        assert_eq!(c.get("k"), None);
        // An entry of the format before instance sizes (checksum, then code): recompiled.
        let old = "machine code";
        fs::write(&path, format!("{}\n{old}", hex(&Sha256::digest(old.as_bytes())))).unwrap();
        assert_eq!(c.get("k"), None);
    }

    #[test]
    fn the_least_recently_used_entries_are_evicted_beyond_max_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let body = "x".repeat(1000);
        let entry = 65 + 2 + body.len() as u64; // checksum line + size line + code
        let c = cache(dir.path(), 3 * entry);
        for k in ["a", "b", "c"] {
            c.put(k, &body, 1);
        }
        // a is oldest, then b, then c; reading a makes it the most recently used.
        age(dir.path(), "a", 30);
        age(dir.path(), "b", 20);
        age(dir.path(), "c", 10);
        assert!(c.get("a").is_some());
        c.put("d", &body, 1);
        let present = |k: &str| dir.path().join(format!("{k}.machine")).exists();
        assert!(!present("b"), "b was the least recently used");
        assert!(present("a") && present("c") && present("d"));
        // An entry larger than the whole bound is still kept (it was just compiled).
        c.put("big", &"y".repeat(10_000), 1);
        assert!(present("big"));
        assert!(!present("a") && !present("c") && !present("d"));
        assert_eq!(c.get("big").map(|(b, _)| b.len()), Some(10_000));
    }

    #[test]
    fn a_disabled_cache_stores_nothing() {
        let c = DiskCache::new(CacheSettings { dir: None, max_bytes: 1 << 20 });
        c.put("k", "code", 1);
        assert_eq!(c.get("k"), None);
    }
}
