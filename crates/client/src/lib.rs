//! A client of Tidepool's local API (`tidepool serve`, or the app's Local API): SQL
//! over HTTP(S) (`POST /v1/sql`, `/v1/cancel`, `GET /v1/status`, `/v1/catalog`) and
//! live queries over a WebSocket (`/v1/live`, ws:// or wss:// as the server URL's
//! scheme says). The `tidepool` CLI's `--server` and Tidepool Studio's remote data
//! source both use it.
//!
//! What crosses the wire is the server's and the engine's own types: the client sends
//! the server's [`ClientMessage`] and reads the engine's `LiveMessage`, its
//! `NamespaceSummary` and `TableDef`, so a change to the protocol is a change to one
//! type on both sides.

mod error;
mod live;
mod remote;
pub mod tls;

pub use error::{error_text, ClientError, ErrorKind};
pub use live::{Frame, LiveSocket};
pub use remote::{Catalog, Remote, SqlAnswer, SqlRequest, Status};
pub use tidepool_server::{ClientMessage, ImportRequest};
