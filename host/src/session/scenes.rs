//! Scenes: snapshots of the session stored by name.

use super::{SessionError, Snapshot};
use std::collections::BTreeMap;

#[derive(Default)]
pub(super) struct Scenes {
    by_name: BTreeMap<String, Snapshot>,
}

impl Scenes {
    pub fn save(&mut self, name: &str, snap: Snapshot) {
        self.by_name.insert(name.into(), snap);
    }

    pub fn delete(&mut self, name: &str) -> Result<(), SessionError> {
        self.by_name.remove(name).map(|_| ()).ok_or_else(|| SessionError::NoScene(name.into()))
    }

    pub fn get(&self, name: &str) -> Result<&Snapshot, SessionError> {
        self.by_name.get(name).ok_or_else(|| SessionError::NoScene(name.into()))
    }

    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    pub fn all(&self) -> &BTreeMap<String, Snapshot> {
        &self.by_name
    }

    pub fn replace(&mut self, scenes: BTreeMap<String, Snapshot>) {
        self.by_name = scenes;
    }
}
