//! Where the app's data comes from: the seam between the commands and a database.
//!
//! Every command that reads or writes data — the console, the panes and their live
//! bridge, grid edits, import and export, the catalog tree — talks to the open
//! database through [`DataSource`] only, and never asks which kind it has:
//!
//! - [`LocalSource`] (`local.rs`) is the embedded engine on a folder: each call opens a
//!   `Session` acting as the caller's user and runs it in process.
//! - A remote source (a `tidepool serve` reached over HTTP and a WebSocket) is the
//!   second implementation to come: `run` a statement as `POST /v1/sql`, `subscribe`
//!   as a `/v1/live` subscription whose frames are the engine's own `LiveMessage`, and
//!   `from_seq` to resume after a dropped connection.
//!
//! Only what a local folder alone has — the demo writer and the Local API, which serve
//! the embedded engine itself — asks [`DataSource::engine`] for it.

mod data_source;
mod local;

pub use data_source::{acting_as, DataSource, ImportJob, LiveFeed, Outcome};
pub use local::LocalSource;
