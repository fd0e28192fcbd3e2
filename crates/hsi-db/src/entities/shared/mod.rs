//! Written by every service: the application log, to which each appends.

pub mod logs;
