//! The `tidepool` binary's tests, one test binary (`cargo test --test cli`): one binary
//! per file linked all of DataFusion each (~280 MB in a debug build). Run one module
//! with a filter, e.g. `cargo test --workspace --test cli serve::`.

mod cli;
mod demo;
mod serve;
mod tls;
#[cfg(target_os = "linux")]
#[path = "../../../engine/tests/engine/tmpfs.rs"]
mod tmpfs;
