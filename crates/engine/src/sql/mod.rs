//! SQL: statements are split and parsed (`parse`), Tidepool's own statements and DDL
//! are executed directly (`ddl`), the most common reads and writes of rows by key go
//! straight to the store (`direct`), and everything else is planned and run by DataFusion
//! over the providers of `provider` — scans (`scan`, with key ranges from `pushdown`),
//! writes (`dml`), and the `system` views — after `wildcard` has taken generated keys
//! out of every `*`.

pub(crate) mod columns;
pub(crate) mod ddl;
pub(crate) mod depth;
pub(crate) mod direct;
pub(crate) mod dml;
pub(crate) mod dml_plan;
pub(crate) mod errors;
pub(crate) mod functions;
pub(crate) mod parse;
pub(crate) mod provider;
pub(crate) mod pushdown;
pub(crate) mod scan;
pub(crate) mod scan_cache;
pub(crate) mod system;
pub(crate) mod wildcard;
