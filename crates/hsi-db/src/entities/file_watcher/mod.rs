//! Written by the file watcher: the cameras it discovers, the file ledger and the scene
//! changes it sees.

pub mod cameras;
pub mod media_files;
pub mod scene_changes;
