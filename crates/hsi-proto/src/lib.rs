//! Generated protobuf types and gRPC stubs of `proto/hsi/v1`, and the shared-token check
//! of the internal gRPC APIs.

pub mod auth;

/// Version 1 of HSI's messages and services.
pub mod v1 {
    #![allow(missing_docs, unused_qualifications, clippy::all, clippy::pedantic)]
    #![allow(missing_debug_implementations)]
    tonic::include_proto!("hsi.v1");
}
