//! The one error type that crosses the IPC boundary. Every command maps its failure to
//! it; the UI shows `message` and, for SQL, marks `line`/`column` in the editor and
//! offers `did_you_mean` (the engine's suggestion) as a fix.

use serde::Serialize;
use tidepool_demo::DemoError;
use tidepool_engine::Error as EngineError;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    /// A stable machine-readable class: the engine's codes (`syntax`, `not_null`,
    /// `duplicate_key`, ...) plus `no_database`, `no_pane`, `invalid_request`,
    /// `not_demo` for the demo asked of a database that is not it, and `not_local` for
    /// what only a database in a local folder has.
    pub code: String,
    pub message: String,
    /// 1-based position in the SQL text, for errors that have one.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// For a table, namespace or column that does not exist: the closest one that does
    /// (also asked in `message`).
    pub did_you_mean: Option<DidYouMean>,
}

/// A name the SQL used that does not exist, and the existing one it was probably meant
/// to be, as SQL spells it (`shop.orders`, `o.total`, `shop."Order Items"`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DidYouMean {
    pub name: String,
    pub suggestion: String,
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> IpcError {
        IpcError {
            code: code.to_string(),
            message: message.into(),
            line: None,
            column: None,
            did_you_mean: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> IpcError {
        IpcError::new("invalid_request", message)
    }

    pub fn no_pane(pane: &str) -> IpcError {
        IpcError::new("no_pane", format!("pane '{pane}' is not open"))
    }
}

impl From<DemoError> for IpcError {
    fn from(e: DemoError) -> IpcError {
        match e {
            DemoError::Engine(e) => e.into(),
            DemoError::NotTheDemo(_) | DemoError::FolderInUse(_) => IpcError::new("not_demo", e.to_string()),
            DemoError::Folder { .. } => IpcError::new("io", e.to_string()),
        }
    }
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> IpcError {
        let position = e.position();
        IpcError {
            code: e.code().to_string(),
            message: e.to_string(),
            line: position.map(|p| p.line as u32),
            column: position.map(|p| p.column as u32),
            did_you_mean: e.did_you_mean().map(|(name, suggestion)| DidYouMean {
                name: name.to_string(),
                suggestion: suggestion.to_string(),
            }),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
