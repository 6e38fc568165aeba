//! Error answers in ONTAP's shape: `{"error": {"message", "code", "target", "arguments"}}`,
//! codes as strings of digits.
//!
//! | HTTP | code | when | source |
//! |---|---|---|---|
//! | 400 | the store's refusal code (1115130, 1115159, 1115141, 1115142, 1115160, 1115618, …) | an install the rules refuse | NetApp's POST table (seed 001) |
//! | 400 | 1115564, 1115144, 1115178, 1115213 | a delete the rules refuse | NetApp's DELETE table |
//! | 400 | 262179 `Unexpected argument "X".` | a query parameter or body member the endpoint does not take | ONTAP's answer to an unknown argument (not in the seeds) |
//! | 400 | 262185 `"V" is an invalid value for field "F"` | a query value that does not parse (the message names the parameter) | ONTAP's answer to a bad value (not in the seeds) |
//! | 401 | 6 | no or wrong credentials (with `WWW-Authenticate: Basic`) | crate |
//! | 403 | 6 `not authorized for that command` | a `readonly` user asks to change | ONTAP's wording |
//! | 404 | 4 `entry doesn't exist` | no such package (or none installed), nothing to delete, no such path | NetApp (seed 001) |
//! | 405, 413, 414, 429, 431, 503 | the HTTP status, as digits | wrong method, body too large, URI too long, too many failed logins, headers too large, request took too long | crate (ONTAP has no code of its own for them) |
//! | 500 | 1115117 generic licensing error | the store's database failed | NetApp's POST table |
//!
//! Per-reason `arguments` (one per failing index of an install) are sent when the request
//! has the header `X-Dot-Error-Arguments: true`, as ONTAP does and as NetApp's Ansible
//! modules ask; without it the message alone is sent (it names the first failing index).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::Refusal;

/// ONTAP's code for an argument the endpoint does not take.
pub const UNEXPECTED_ARGUMENT: u32 = 262_179;
/// ONTAP's code for a value that is not valid for its field.
pub const INVALID_VALUE: u32 = 262_185;
/// The code of 401 and 403 answers.
pub const NOT_AUTHORIZED: u32 = 6;

/// An error answer: an HTTP status and ONTAP's error body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body's `error` object.
    pub error: Refusal,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
    /// The store has logged this refusal already (the audit layer does not log it again).
    pub(crate) logged: bool,
}

impl ApiError {
    /// An error with one message and code.
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: Refusal { message: message.into(), code, target: None, arguments: Vec::new() },
            retry_after: None,
            logged: false,
        }
    }

    /// With a `target` (the parameter or field the error is about).
    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> ApiError {
        self.error.target = Some(target.into());
        self
    }

    /// A refusal of the store's rules: 404 for "entry doesn't exist", 400 for the rest.
    pub fn refused(refusal: Refusal) -> ApiError {
        let status = if refusal.code == crate::store::ENTRY_DOES_NOT_EXIST {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError { status, error: refusal, retry_after: None, logged: false }
    }

    /// ONTAP's "entry doesn't exist" (404, code 4).
    pub fn not_found(target: impl Into<String>) -> ApiError {
        ApiError::refused(Refusal::entry_does_not_exist(target))
    }

    /// `Unexpected argument "name".` (400, 262179).
    pub fn unexpected_argument(name: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            UNEXPECTED_ARGUMENT,
            format!("Unexpected argument \"{}\".", crate::error::clip(name)),
        )
        .target(crate::error::clip(name))
    }

    /// A query parameter that does not parse (400, 262185), naming the parameter.
    pub fn query(e: &super::query::QueryError) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            INVALID_VALUE,
            format!(
                "\"{}\" is an invalid value for field \"{}\": {}",
                e.value, e.parameter, e.reason
            ),
        )
        .target(e.parameter.clone())
    }

    /// An error whose code is its HTTP status (the statuses ONTAP has no code for).
    pub fn http(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::new(status, u32::from(status.as_u16()), message)
    }

    /// The store's database failed (500, 1115117).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, crate::error::codes::GENERIC, message)
    }
}

/// Carried on an error response until [`render`] writes its body, which depends on the
/// request's `X-Dot-Error-Arguments` header.
#[derive(Debug, Clone)]
pub(crate) struct Pending(pub Refusal);

/// On a response whose request the store has put in the audit log already.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Logged;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"nlf\""),
            );
        }
        if self.logged {
            response.extensions_mut().insert(Logged);
        }
        response.extensions_mut().insert(Pending(self.error));
        response
    }
}

/// Write the JSON body of an error response: with `arguments` only when asked for.
pub(crate) fn render(mut response: Response, with_arguments: bool) -> Response {
    let Some(Pending(mut error)) = response.extensions_mut().remove::<Pending>() else {
        return response;
    };
    if !with_arguments {
        error.arguments.clear();
    }
    let (mut parts, _) = response.into_parts();
    let body = json!({ "error": error }).to_string();
    parts
        .headers
        .insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/hal+json"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
