//! kr's folders under the XDG base directories (shared with the engine for its state, recordings
//! and configuration, so the lookup is written once).

use std::path::PathBuf;

/// `$<var>/kr`, or `~/<home_default>/kr` when the variable is unset or empty; None without HOME.
pub fn kr_dir(var: &str, home_default: &str) -> Option<PathBuf> {
    let base = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_default)))?;
    Some(base.join("kr"))
}

/// `$XDG_CACHE_HOME/kr` (`~/.cache/kr`).
pub fn cache_dir() -> Option<PathBuf> {
    kr_dir("XDG_CACHE_HOME", ".cache")
}

/// `$XDG_DATA_HOME/kr` (`~/.local/share/kr`).
pub fn data_dir() -> Option<PathBuf> {
    kr_dir("XDG_DATA_HOME", ".local/share")
}

/// `$XDG_STATE_HOME/kr` (`~/.local/state/kr`).
pub fn state_dir() -> Option<PathBuf> {
    kr_dir("XDG_STATE_HOME", ".local/state")
}

/// `$XDG_CONFIG_HOME/kr` (`~/.config/kr`).
pub fn config_dir() -> Option<PathBuf> {
    kr_dir("XDG_CONFIG_HOME", ".config")
}
