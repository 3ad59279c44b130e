//! `AppError`: every way a request can fail, as a status and Tiled's `{"detail": ...}` body.
//!
//! Client mistakes are 4xx (the Python client retries 5xx for ~45 s); only a failure of the
//! server or of a format library is a 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tessera_core::{EncodeError, FilterError, NegotiationError, SliceError};

/// The content type of every JSON body, exactly (the client compares it as a string).
pub const JSON: &str = "application/json";

/// A failed request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// 400: a request that is well-formed but cannot be served as asked.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing or wrong credentials.
    #[error("{detail}")]
    Unauthorized {
        /// What is missing.
        detail: String,
        /// The `X-Tiled-Root` base URL.
        root: String,
    },
    /// 404: no such node or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: the node or route does not take this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 406: no supported format, or a shape the format cannot take.
    #[error("{0}")]
    NotAcceptable(String),
    /// 409: the key exists, or a delete that needs `recursive` / `external_only=false`.
    #[error("{0}")]
    Conflict(String),
    /// 413: a request body over the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422: a parameter that fails validation; `detail` is a string or FastAPI's list.
    #[error("{detail}")]
    Unprocessable {
        /// The detail value.
        detail: Value,
    },
    /// 500: the server or a format library failed.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A 422 in FastAPI's form for a query parameter that fails validation.
    pub fn invalid_query(param: &str, input: &str, msg: impl Into<String>) -> Self {
        AppError::Unprocessable {
            detail: json!([{
                "type": "value_error",
                "loc": ["query", param],
                "msg": msg.into(),
                "input": input,
            }]),
        }
    }

    /// A 422 with a plain string detail.
    pub fn unprocessable(msg: impl Into<String>) -> Self {
        AppError::Unprocessable { detail: Value::String(msg.into()) }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An encoder's refusal, found before the first byte. `Unsupported` means the shape or
/// type does not fit the format (406, "slice it"); options and limits are 400.
impl From<EncodeError> for AppError {
    fn from(e: EncodeError) -> Self {
        match &e {
            EncodeError::Unsupported { what, .. } if what.to_ascii_lowercase().contains("slice") => {
                AppError::NotAcceptable(e.to_string())
            }
            EncodeError::Unsupported { .. } => AppError::NotAcceptable(format!(
                "{e}. Slice the data (?slice=...) or choose a different format."
            )),
            EncodeError::InvalidOption { .. } | EncodeError::Limit { .. } => {
                AppError::BadRequest(e.to_string())
            }
            EncodeError::Io(_) | EncodeError::Input(_) | EncodeError::Backend { .. } => {
                AppError::Internal(e.to_string())
            }
            _ => AppError::Internal(e.to_string()),
        }
    }
}

impl From<NegotiationError> for AppError {
    fn from(e: NegotiationError) -> Self {
        match &e {
            NegotiationError::NotAcceptable { requested, supported } if supported.is_empty() => {
                AppError::NotAcceptable(format!(
                    "This server has no format compiled in for this structure. Requested: {requested}."
                ))
            }
            _ => AppError::NotAcceptable(e.to_string()),
        }
    }
}

/// Slice syntax errors are validation failures (422, as FastAPI's pattern check); indices
/// out of range are 400, as in Tiled.
impl From<SliceError> for AppError {
    fn from(e: SliceError) -> Self {
        match &e {
            SliceError::Syntax { input, .. } => AppError::invalid_query("slice", input, e.to_string()),
            SliceError::Block(msg) => AppError::unprocessable(msg.clone()),
            _ => AppError::BadRequest(e.to_string()),
        }
    }
}

impl From<FilterError> for AppError {
    fn from(e: FilterError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            AppError::Unprocessable { detail } => detail.clone(),
            other => Value::String(other.to_string()),
        };
        let mut response = (status, json!({ "detail": detail }).to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        if let AppError::Unauthorized { root, .. } = &self {
            headers
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer scope=\"read:metadata\""));
            if let Ok(v) = HeaderValue::from_str(root) {
                headers.insert("x-tiled-root", v);
            }
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let e: AppError = SliceError::Syntax { input: "x".into(), reason: "bad".into() }.into();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e: AppError = SliceError::IndexOutOfRange { index: 5, dim: 0, len: 2 }.into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let e: AppError = EncodeError::invalid_option("header", "bad").into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let r = AppError::NotFound("No such entry".into()).into_response();
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    }
}
