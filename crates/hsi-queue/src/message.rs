//! Which protobuf message travels on which stream.

use hsi_proto::v1::{BatchMessage, DetectionsMessage, EventMessage, FileMessage, MessageMeta};

/// What a stream is for, which decides what a full stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Work that must be done: a full stream refuses its producer (backpressure).
    Work,
    /// News that readers may catch up on from PostgreSQL: the stream is trimmed by
    /// length and age and never refuses, so nobody reading it can stall the pipeline.
    Announce,
}

/// A protobuf message with its own stream; one message type per stream.
pub trait QueueMessage: prost::Message + Default + Send + Sync + 'static {
    /// The stream's name (without prefix).
    const STREAM: &'static str;
    /// Whether the stream carries work or announcements.
    const KIND: StreamKind = StreamKind::Work;

    fn meta(&self) -> Option<&MessageMeta>;
    fn set_meta(&mut self, meta: MessageMeta);
}

macro_rules! queue_message {
    ($message:ty, $stream:literal) => {
        queue_message!($message, $stream, StreamKind::Work);
    };
    ($message:ty, $stream:literal, $kind:expr) => {
        impl QueueMessage for $message {
            const STREAM: &'static str = $stream;
            const KIND: StreamKind = $kind;

            fn meta(&self) -> Option<&MessageMeta> {
                self.meta.as_ref()
            }

            fn set_meta(&mut self, meta: MessageMeta) {
                self.meta = Some(meta);
            }
        }
    };
}

queue_message!(FileMessage, "files");
queue_message!(DetectionsMessage, "detections");
queue_message!(BatchMessage, "batches");
// Events are recorded in PostgreSQL before they are announced; the stream only tells.
queue_message!(EventMessage, "events", StreamKind::Announce);
