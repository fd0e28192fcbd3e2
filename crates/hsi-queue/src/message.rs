//! Which protobuf message travels on which stream.

use hsi_proto::v1::{BatchMessage, DetectionsMessage, EventMessage, FileMessage, MessageMeta};

/// A protobuf message with its own stream; one message type per stream.
pub trait QueueMessage: prost::Message + Default + Send + Sync + 'static {
    /// The stream's name (without prefix).
    const STREAM: &'static str;

    fn meta(&self) -> Option<&MessageMeta>;
    fn set_meta(&mut self, meta: MessageMeta);
}

macro_rules! queue_message {
    ($message:ty, $stream:literal) => {
        impl QueueMessage for $message {
            const STREAM: &'static str = $stream;

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
queue_message!(EventMessage, "events");
