//! What went wrong talking to a server, sorted by what a client does about it.

use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer: the server is not there, the connection broke, the name does not
    /// resolve. Trying again later may work.
    Unreachable,
    /// The server refused the token (revoked, or never valid): trying again will not help.
    Unauthorized,
    /// The server's certificate is not trusted (or its TLS does not match the URL).
    Certificate,
    /// Something answered that is not a Tidepool server (not HTTP, not its JSON).
    NotTidepool,
    /// The server answered with an error (`code` says which: `query`, `not_allowed`,
    /// `timeout`, `cancelled`, ...).
    Server,
    /// The request could not be made (a bad URL, a token a header cannot carry).
    Request,
}

#[derive(Debug, Clone)]
pub struct ClientError {
    pub kind: ErrorKind,
    /// One line for a person.
    pub message: String,
    /// The server's error object (`code`, `message`, `line`, `column`, ...), when it
    /// answered with one.
    pub body: Option<Json>,
}

impl ClientError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ClientError {
        ClientError {
            kind,
            message: message.into(),
            body: None,
        }
    }

    /// The server's error object (`{"code", "message", ...}`) as an error.
    pub fn from_body(body: Json) -> ClientError {
        let kind = match body["code"].as_str() {
            Some("unauthorized") => ErrorKind::Unauthorized,
            _ => ErrorKind::Server,
        };
        ClientError {
            kind,
            message: error_text(&body),
            body: Some(body),
        }
    }

    /// The server's error code (`query`, `timeout`, ...), if it answered with one.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("code")?.as_str()
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

impl From<ClientError> for String {
    fn from(error: ClientError) -> String {
        error.message
    }
}

/// The `error` object of an answer as one line.
pub fn error_text(error: &Json) -> String {
    let message = error["message"].as_str().unwrap_or("unknown error");
    match error["code"].as_str() {
        Some("unauthorized") => format!("{message} (the server refused the token)"),
        _ => message.to_string(),
    }
}
