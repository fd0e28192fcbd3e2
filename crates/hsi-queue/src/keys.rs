//! Redis key names of a stream.

/// The keys that make up one queue: the stream, its dead letters and its error notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamKeys {
    /// The stream name without prefix ("files").
    pub name: String,
    /// `<prefix>stream:<name>`
    pub stream: String,
    /// `<prefix>stream:<name>:dead` — messages that failed too many times.
    pub dead_letters: String,
    /// `<prefix>stream:<name>:errors` — hash of entry id to the last handler error.
    pub errors: String,
}

impl StreamKeys {
    pub fn new(prefix: &str, name: &str) -> Self {
        let stream = format!("{prefix}stream:{name}");
        Self {
            name: name.to_owned(),
            dead_letters: format!("{stream}:dead"),
            errors: format!("{stream}:errors"),
            stream,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_the_prefix() {
        let keys = StreamKeys::new("hsi:", "files");
        assert_eq!(keys.stream, "hsi:stream:files");
        assert_eq!(keys.dead_letters, "hsi:stream:files:dead");
        assert_eq!(keys.errors, "hsi:stream:files:errors");
    }
}
