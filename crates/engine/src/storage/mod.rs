//! Storage on RocksDB: the key layout (`keys`), the row format (`row`) and the
//! database handle (`store`).

pub(crate) mod keys;
pub(crate) mod row;
mod store;

pub(crate) use store::{KeyValue, Store};
