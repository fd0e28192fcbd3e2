//! One error type for the whole service layer, mapped to a gRPC status and to an HTTP
//! status with the JSON body `{"error": {"code", "message", "field"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use std::time::Duration;

/// What went wrong, in the vocabulary both protocols share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    InvalidArgument,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    FailedPrecondition,
    Unauthenticated,
    PermissionDenied,
    ResourceExhausted,
    PayloadTooLarge,
    Unavailable,
    DeadlineExceeded,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::AlreadyExists => "already_exists",
            Self::FailedPrecondition => "failed_precondition",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission_denied",
            Self::ResourceExhausted => "resource_exhausted",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unavailable => "unavailable",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::Internal => "internal",
        }
    }

    pub fn http_status(self) -> StatusCode {
        match self {
            Self::InvalidArgument => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::AlreadyExists => StatusCode::CONFLICT,
            Self::FailedPrecondition => StatusCode::CONFLICT,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied => StatusCode::FORBIDDEN,
            Self::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn grpc_code(self) -> tonic::Code {
        match self {
            Self::InvalidArgument => tonic::Code::InvalidArgument,
            Self::NotFound => tonic::Code::NotFound,
            Self::MethodNotAllowed => tonic::Code::Unimplemented,
            Self::AlreadyExists => tonic::Code::AlreadyExists,
            Self::FailedPrecondition => tonic::Code::FailedPrecondition,
            Self::Unauthenticated => tonic::Code::Unauthenticated,
            Self::PermissionDenied => tonic::Code::PermissionDenied,
            Self::ResourceExhausted => tonic::Code::ResourceExhausted,
            Self::PayloadTooLarge => tonic::Code::InvalidArgument,
            Self::Unavailable => tonic::Code::Unavailable,
            Self::DeadlineExceeded => tonic::Code::DeadlineExceeded,
            Self::Internal => tonic::Code::Internal,
        }
    }
}

/// The error every service-layer function returns.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// The request field that was wrong, for `invalid_argument`.
    pub field: Option<String>,
    /// When to try again, for `resource_exhausted`.
    pub retry_after: Option<Duration>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A bad request field: `field` names it as the request spells it.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(Code::InvalidArgument, message)
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(Code::NotFound, format!("{what} does not exist"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(Code::Unavailable, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(Code::PermissionDenied, message)
    }

    pub fn rate_limited(retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(Code::ResourceExhausted, "rate limit exceeded; slow down")
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The JSON body REST answers with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
            },
        }
    }
}

/// Database errors: constraint violations are the caller's fault and say so; anything
/// else is logged in full and answered without internals.
impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                return Self::new(Code::AlreadyExists, format!("already exists: {detail}"));
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                return Self::new(
                    Code::FailedPrecondition,
                    format!("refers to something that does not exist: {detail}"),
                );
            }
            _ => {}
        }
        let text = err.to_string();
        if let DbErr::Query(RuntimeErr::SqlxError(sqlx))
        | DbErr::Exec(RuntimeErr::SqlxError(sqlx)) = &err
        {
            if let Some(db) = sqlx.as_database_error() {
                match db.code().as_deref() {
                    // The value itself was unacceptable: a CHECK or NOT NULL violation, bad
                    // text for the type, out of range, too long, a NUL or untranslatable
                    // character, a bad date/time, a bad regular expression, a row too large
                    // for an index. The caller sent it; it is theirs to fix.
                    Some(
                        "23514" | "23502" | "22P02" | "22003" | "22001" | "22021" | "22P05"
                        | "22007" | "22008" | "22023" | "2201B" | "54000",
                    ) => {
                        return Self::new(Code::InvalidArgument, db.message().to_owned());
                    }
                    // query_canceled (statement timeout)
                    Some("57014") => {
                        return Self::new(Code::DeadlineExceeded, "the query took too long");
                    }
                    _ => {}
                }
            }
        }
        if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
            tracing::warn!(error = %text, "database unavailable");
            return Self::unavailable("the database is unavailable; try again");
        }
        tracing::error!(error = %text, "database error");
        Self::internal("internal error")
    }
}

impl From<hsi_queue::QueueError> for ApiError {
    fn from(err: hsi_queue::QueueError) -> Self {
        tracing::warn!(error = %err, "redis error");
        Self::unavailable("the queue is unavailable; try again")
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(err: redis::RedisError) -> Self {
        tracing::warn!(error = %err, "redis error");
        Self::unavailable("redis is unavailable; try again")
    }
}

impl From<deadpool_redis::PoolError> for ApiError {
    fn from(err: deadpool_redis::PoolError) -> Self {
        tracing::warn!(error = %err, "redis pool error");
        Self::unavailable("redis is unavailable; try again")
    }
}

/// `{"error": {...}}`
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.code.http_status(), axum::Json(self.body())).into_response();
        if let Some(after) = self.retry_after {
            let secs = after.as_millis().div_ceil(1000).max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Metadata key carrying the bad field of an `INVALID_ARGUMENT`.
pub const FIELD_METADATA: &str = "hsi-error-field";

impl From<ApiError> for tonic::Status {
    fn from(err: ApiError) -> Self {
        let mut status = tonic::Status::new(err.code.grpc_code(), err.message.clone());
        if let Some(field) = &err.field {
            if let Ok(value) = field.parse() {
                status.metadata_mut().insert(FIELD_METADATA, value);
            }
        }
        if let Some(after) = err.retry_after {
            let secs = after.as_millis().div_ceil(1000).max(1);
            if let Ok(value) = secs.to_string().parse() {
                status.metadata_mut().insert("retry-after", value);
            }
        }
        status
    }
}

/// A forwarded call to another service failed.
impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let code = match status.code() {
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => Code::InvalidArgument,
            tonic::Code::NotFound => Code::NotFound,
            tonic::Code::FailedPrecondition => Code::FailedPrecondition,
            tonic::Code::DeadlineExceeded => Code::DeadlineExceeded,
            tonic::Code::ResourceExhausted => Code::ResourceExhausted,
            _ => Code::Unavailable,
        };
        Self::new(code, status.message().to_owned())
    }
}
