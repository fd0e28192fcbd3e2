//! Written by the file watcher: the cameras it discovers and the scene changes it sees.

pub mod cameras;
pub mod scene_changes;
