//! Where the app's data comes from: the seam between the commands and a database.
//!
//! Every command that reads or writes data — the console, the panes and their live
//! bridge, grid edits, import and export, the catalog tree — talks to the open
//! database through [`DataSource`] only, and never asks which kind it has:
//!
//! - [`LocalSource`] (`local.rs`) is the embedded engine on a folder: each call opens a
//!   `Session` acting as the caller's user and runs it in process.
//! - [`RemoteSource`] (`remote.rs`) is a `tidepool serve` reached over HTTP(S) and a
//!   WebSocket with the `tidepool-client` crate: `run` a statement as `POST /v1/sql`
//!   (Cancel as `POST /v1/cancel`), `subscribe` as a `/v1/live` subscription whose
//!   frames are the engine's own `LiveMessage`, resumed with `from_seq` after a dropped
//!   connection (the feed's [`Link`] says "reconnecting" meanwhile).
//!
//! Only what a local folder alone has — the demo writer and the Local API, which serve
//! the embedded engine itself — asks [`DataSource::engine`] for it.

mod catalog;
mod data_source;
mod edit;
mod local;
mod remote;

pub use data_source::{acting_as, DataSource, ImportJob, Link, LiveFeed, Outcome};
pub use local::LocalSource;
pub use remote::{RemoteSource, ServerStatus};
