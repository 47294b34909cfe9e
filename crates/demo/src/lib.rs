//! Tidepool's demo: a small shop whose orders change a few times a second, so the first
//! thing a newcomer sees is a live view moving. Tidepool Studio opens it on its first
//! start (and from the start page and File menu); `tidepool demo --db DIR` makes it and
//! runs the same writer from the command line. Both front doors use this crate.
//!
//! The life of the demo:
//! 1. **A folder made the demo** (`folder`): a new or empty folder gets a marker file
//!    before the database is created in it. Only a database whose folder holds the
//!    marker is the demo; any other is refused, so the writer never writes into a
//!    database the user made.
//! 2. **The shop** (`shop`): `shop.customers` (a USER table: each customer's row
//!    belongs to them), `shop.orders` (the order board) and `shop.events` (a STREAM
//!    table keeping an hour of what happened), created if missing, with customers and a
//!    first board in a new demo.
//! 3. **The writer** (`writer`, deciding with `board`): each step reads the board and
//!    places, pays, cancels or ships an order, or archives a finished one from a full
//!    board, through the engine's typed writes, like any other writer. It runs at the
//!    pace its [`Control`] sets, pausable, until stopped.
//!
//! One more writer lives here because both front doors need it: the paced writer of
//! the live-pane measurement (`paced`, one change per commit at a steady rate), which
//! the app runs on its own database and the `bench_server` example beside a server.

mod board;
mod error;
mod folder;
mod paced;
mod shop;
mod writer;

pub use board::BOARD;
pub use error::DemoError;
pub use folder::{default_dir, is_demo, prepare, MARKER};
pub use paced::{Paced, PacedReport};
pub use shop::{create, install, CUSTOMERS, EVENTS, ITEMS, NAMESPACE, ORDERS, PEOPLE};
pub use writer::{Control, Settings, Step, Writer, DEFAULT_PACE, MAX_PACE, MIN_PACE};
