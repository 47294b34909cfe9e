//! Live queries (DESIGN §3): any SELECT kept current.
//!
//! - `query` compiles the SELECT once (DataFusion checks it) and decides how it is kept:
//!   row by row for one table's filtered rows (the filter becomes a physical
//!   expression), per group for GROUP BY aggregates and DISTINCT (`aggregate`), as
//!   kept rows for ORDER BY ... LIMIT (`topn`), through arrangements of the joined
//!   tables for equi-joins (`join`), by re-evaluation (`reevaluate`) for everything
//!   else;
//! - `subscription` registers it at a consistent commit, sends the snapshot, and is the
//!   handle the subscriber reads `message`s from;
//! - `capture` is how a committing writer hands over its changed rows: their stored
//!   images, in one buffer, decoded later off the writer's path;
//! - `manager` is the ordered queue from committing writers to a fan-out thread, which
//!   uses `delta` to turn each commit's row images into inserts, updates and deletes as
//!   the subscription's filter sees them;
//! - `history` keeps recent commits of subscribed tables, so a subscriber can resume
//!   from a seq it already has; it lives beside the capture buffer, under the writer
//!   lock, so keeping a commit costs the writer no lock of its own.

mod aggregate;
pub(crate) mod capture;
mod delta;
pub(crate) mod history;
mod join;
pub(crate) mod manager;
mod message;
pub(crate) mod query;
mod reevaluate;
mod stateful;
pub(crate) mod subscription;
mod topn;

pub use message::{Change, Changes, LiveColumn, LiveMessage, OrderKey};
pub use subscription::Subscription;
