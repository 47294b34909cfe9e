//! The API's error body, `{"error": {"code", "message", "line"?, "column"?,
//! "did_you_mean"?: {"name", "suggestion"}}}`, with an HTTP status chosen from the
//! engine's stable error code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};
use tidepool_engine::{Error, Position};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub position: Option<Position>,
    /// A name the statement used that does not exist, and the existing one the engine
    /// suggests instead, so a client can offer the fix as the app's console does.
    pub did_you_mean: Option<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            position: None,
            did_you_mean: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// An engine error; `at` is where the failing statement starts, for errors that do
    /// not point into the SQL themselves.
    pub fn engine(error: &Error, at: Option<Position>) -> ApiError {
        let status = match error.plain() {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::AlreadyExists { .. } | Error::DuplicateKey { .. } | Error::Unique { .. } => StatusCode::CONFLICT,
            Error::NotAllowed(_) => StatusCode::FORBIDDEN,
            Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            // 507: the server cannot store what the request asks it to; it may later.
            Error::DiskFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            code: error.code(),
            message: error.to_string(),
            position: error.position().or(at),
            did_you_mean: error
                .did_you_mean()
                .map(|(name, suggestion)| (name.to_string(), suggestion.to_string())),
        }
    }

    /// The `error` object.
    pub fn body(&self) -> Json {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(position) = self.position {
            body["line"] = json!(position.line);
            body["column"] = json!(position.column);
        }
        if let Some((name, suggestion)) = &self.did_you_mean {
            body["did_you_mean"] = json!({ "name": name, "suggestion": suggestion });
        }
        body
    }

    /// The response with `fields` beside `error` (e.g. the results before it).
    pub fn respond_with(self, mut fields: serde_json::Map<String, Json>) -> Response {
        fields.insert("error".into(), self.body());
        let mut response = (self.status, axum::Json(Json::Object(fields))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.respond_with(serde_json::Map::new())
    }
}
