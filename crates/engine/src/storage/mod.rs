//! Storage on RocksDB: the key layout (`keys`), the row format (`row`), the
//! database handle (`store`) and the room it has on disk (`space`).

pub(crate) mod keys;
pub(crate) mod row;
mod space;
mod store;

pub(crate) use store::{KeyValue, Store};
