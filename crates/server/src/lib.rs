//! Tidepool's local API (DESIGN §5): other programs reach a running database through
//! it, since only one process can open a RocksDB directory. `tidepool serve` runs it
//! headless; Tidepool Studio runs it for the database it has open.
//!
//! # The life of a request
//!
//! 1. **Guard** (`guard`): the `Host` must name the address the server is bound to (a
//!    DNS-rebinding page cannot use its own name), a browser `Origin` must be one the
//!    operator allowed (no cross-site requests or WebSocket hijacking), and the
//!    `Authorization: Bearer` token must be a valid one; it decides who the request
//!    acts as (a user, or admin).
//! 2. **SQL** (`sql`): `POST /v1/sql` runs the statements in order as that user and
//!    answers with each one's result as JSON — the shape `tidepool sql --format json`
//!    prints — or the results so far and the error, with its code, line and column.
//! 3. **Live** (`live`): `GET /v1/live` upgrades to a WebSocket on which the client
//!    subscribes under ids of its choosing; each engine subscription message is sent
//!    as one JSON text frame tagged with that id. A client that sends `from_seq` gets
//!    only the changes after the seq it has. Frames go out through one bounded queue
//!    per connection, so a client that reads slowly makes its subscriptions lag and
//!    `resync` in the engine, never grows memory or slows writers.
//!
//! With a certificate and key ([`Tls`]) the same routes and checks are served over
//! HTTPS and WSS; the handshake happens before a request reaches the guard.
//!
//! Everything a client can get wrong is answered with a JSON error
//! (`{"error": {"code", "message", ...}}` or a `{"type": "error"}` frame); nothing in a
//! request can stop the server.

mod catalog;
mod config;
mod error;
mod files;
mod guard;
mod live;
mod server;
mod sql;
mod tls;

pub use config::{Config, DEFAULT_PORT};
pub use files::{ImportRequest, EXPORT_ROWS_HEADER};
pub use live::ClientMessage;
pub use server::Server;
pub use tls::{Tls, TlsError};
