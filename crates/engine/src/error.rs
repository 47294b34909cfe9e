//! The engine's one error type. Every message names what is wrong and where, so a
//! user can act on it without reading a stack trace.

use std::fmt;

/// Where in the SQL text an error was found (1-based, as editors count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The SQL text could not be parsed.
    #[error("syntax error at {position}: {message}")]
    Syntax { message: String, position: Position },

    /// A namespace, table or column does not exist.
    #[error("{kind} '{name}' does not exist")]
    NotFound { kind: ObjectKind, name: String },

    /// An error naming a table, namespace or column that does not exist, with the
    /// existing name closest to it (`suggest.rs`): `name` as the statement wrote it,
    /// `suggestion` as SQL spells the one that exists. Its code and position are the
    /// inner error's.
    #[error("{error}; did you mean {suggestion}?")]
    DidYouMean {
        error: Box<Error>,
        name: String,
        suggestion: String,
    },

    /// A namespace or table of that name exists already.
    #[error("{kind} '{name}' already exists")]
    AlreadyExists { kind: ObjectKind, name: String },

    /// A value does not fit the column's type.
    #[error("type mismatch for column '{column}': expected {expected}, got {found}")]
    TypeMismatch {
        column: String,
        expected: String,
        found: String,
    },

    /// A NOT NULL column got no value.
    #[error("column '{column}' of table '{table}' is NOT NULL and got no value")]
    NotNull { table: String, column: String },

    /// INSERT of a primary key that is already present.
    #[error("duplicate primary key {key} in table '{table}'")]
    DuplicateKey { table: String, key: String },

    /// A write that would give two rows the same values in a UNIQUE constraint.
    #[error("duplicate value {values} for UNIQUE ({columns}) in table '{table}'")]
    Unique {
        table: String,
        columns: String,
        values: String,
    },

    /// The statement is valid SQL but not allowed on this object or in this session.
    #[error("{0}")]
    NotAllowed(String),

    /// The statement or option is not something Tidepool supports.
    #[error("not supported: {0}")]
    Unsupported(String),

    /// A statement that parsed but failed while planning or running the query.
    #[error("{0}")]
    Query(String),

    /// A bad argument to the typed API (wrong arity of a key, unknown column, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A row of an imported file that cannot be imported; `line` is its line in a CSV
    /// file (the header is line 1) or its row number in a Parquet file.
    #[error("line {line}: {message}")]
    BadRow { line: u64, message: String },

    /// RocksDB failed, or stored bytes could not be decoded.
    #[error("storage error: {0}")]
    Storage(String),

    /// The statement was stopped (`KILL QUERY`, a cancel, its caller gone) before it
    /// wrote anything.
    #[error("{0}")]
    Cancelled(String),

    /// The statement ran longer than its time limit and was stopped before it wrote
    /// anything.
    #[error("statement timed out after {limit_ms} ms (nothing was written)")]
    Timeout { limit_ms: u64 },

    /// The statement needed more memory than a statement may use (a sort or aggregate
    /// that could not spill).
    #[error("{0}")]
    ResourcesExhausted(String),

    /// The disk holding the database is full (or RocksDB stopped writes after it
    /// filled): the statement wrote nothing. Reads and live queries go on, and writes
    /// work again once space is freed, without reopening the database.
    #[error(
        "the disk holding the database is full: nothing of this statement was written; \
         free space on it and write again (reads and live queries go on) [{0}]"
    )]
    DiskFull(String),
}

/// The kind of catalog object an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Namespace,
    Table,
    Column,
    Row,
    LiveQuery,
    Token,
    /// A running statement (`system.queries`).
    Query,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Namespace => "namespace",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Row => "row",
            ObjectKind::LiveQuery => "live query",
            ObjectKind::Token => "token",
            ObjectKind::Query => "running statement",
        })
    }
}

impl Error {
    pub(crate) fn not_found(kind: ObjectKind, name: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            name: name.into(),
        }
    }

    /// A stable, machine-readable code for the error class (used by front doors).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Syntax { .. } => "syntax",
            Error::NotFound { .. } => "not_found",
            Error::DidYouMean { error, .. } => error.code(),
            Error::AlreadyExists { .. } => "already_exists",
            Error::TypeMismatch { .. } => "type_mismatch",
            Error::NotNull { .. } => "not_null",
            Error::DuplicateKey { .. } => "duplicate_key",
            Error::Unique { .. } => "unique",
            Error::NotAllowed(_) => "not_allowed",
            Error::Unsupported(_) => "unsupported",
            Error::Query(_) => "query",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::BadRow { .. } => "bad_row",
            Error::Storage(_) => "storage",
            Error::Cancelled(_) => "cancelled",
            Error::Timeout { .. } => "timeout",
            Error::ResourcesExhausted(_) => "resources_exhausted",
            Error::DiskFull(_) => "disk_full",
        }
    }

    /// The error itself, without the name a [`Error::DidYouMean`] suggests.
    pub fn plain(&self) -> &Error {
        match self {
            Error::DidYouMean { error, .. } => error.plain(),
            other => other,
        }
    }

    /// The missing name as the statement wrote it and the existing one suggested for
    /// it, when there is one.
    pub fn did_you_mean(&self) -> Option<(&str, &str)> {
        match self {
            Error::DidYouMean { name, suggestion, .. } => Some((name, suggestion)),
            _ => None,
        }
    }

    /// Where in the input: the SQL position of a syntax error, the line of a bad row.
    pub fn position(&self) -> Option<Position> {
        match self {
            Error::Syntax { position, .. } => Some(*position),
            Error::BadRow { line, .. } => Some(Position { line: *line, column: 1 }),
            Error::DidYouMean { error, .. } => error.position(),
            _ => None,
        }
    }
}

impl From<rocksdb::Error> for Error {
    /// RocksDB reports a full disk as an I/O error whose text carries the `NoSpace`
    /// subcode's message ("No space left on device", on every platform: its Windows
    /// port maps ERROR_DISK_FULL to the same status) or `SpaceLimit`'s; both become
    /// `DiskFull`, and so does the background error RocksDB answers every write with
    /// until it has recovered from one.
    fn from(e: rocksdb::Error) -> Self {
        let message = e.into_string();
        if message.contains("No space left on device") || message.contains("Space limit reached") {
            Error::DiskFull(message)
        } else {
            Error::Storage(message)
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
