//! The shared token of the internal gRPC APIs: a server bound beyond loopback requires
//! every call to carry `authorization: Bearer <token>`; callers attach it with
//! [`with_token`].

use std::sync::Arc;
use tonic::metadata::MetadataValue;
use tonic::{Request, Status};

/// The metadata key the token travels in.
pub const TOKEN_METADATA: &str = "authorization";

/// A tonic interceptor refusing calls without the expected token (none expected: every
/// call passes, for a server on loopback).
#[derive(Clone, Default)]
pub struct TokenCheck {
    expected: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCheck")
            .field("required", &self.expected.is_some())
            .finish()
    }
}

impl TokenCheck {
    /// Requires `token` on every call; an empty token requires nothing.
    pub fn new(token: &str) -> Self {
        Self {
            expected: (!token.is_empty()).then(|| Arc::from(format!("Bearer {token}").as_bytes())),
        }
    }
}

impl tonic::service::Interceptor for TokenCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get(TOKEN_METADATA)
            .map(|value| value.as_bytes())
            .unwrap_or_default();
        if constant_time_eq(presented, expected) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "this internal API needs the shared token (authorization: Bearer <grpc.token>)",
            ))
        }
    }
}

/// Adds the shared token to a request (nothing for an empty token).
pub fn with_token<T>(mut request: Request<T>, token: &str) -> Request<T> {
    if !token.is_empty() {
        if let Ok(value) = MetadataValue::try_from(format!("Bearer {token}")) {
            request.metadata_mut().insert(TOKEN_METADATA, value);
        }
    }
    request
}

/// Compares without stopping at the first difference, so the time taken says nothing
/// about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::service::Interceptor;

    #[test]
    fn calls_need_the_token_only_when_one_is_set() {
        let mut open = TokenCheck::new("");
        assert!(open.call(Request::new(())).is_ok());

        let mut guarded = TokenCheck::new("s3cret");
        let refused = guarded.call(Request::new(())).expect_err("no token");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
        let wrong = guarded.call(with_token(Request::new(()), "guess"));
        assert!(wrong.is_err());
        assert!(guarded.call(with_token(Request::new(()), "s3cret")).is_ok());
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
