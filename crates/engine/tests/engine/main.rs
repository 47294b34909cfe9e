//! The engine's integration tests, one test binary (`cargo test --test engine`): each
//! module was its own binary once, and every binary links all of DataFusion (~280 MB in
//! a debug build), which filled CI's disk. Run one module with a filter, e.g.
//! `cargo test --workspace --test engine fuzz::`.

mod bounds;
mod conformance;
mod crash;
mod direct;
#[cfg(target_os = "linux")]
mod disk_full;
mod files;
mod fuzz;
mod live;
mod live_any;
mod options;
mod rng;
mod robustness;
mod runtimes;
mod scan_cache;
mod scans;
mod scripts;
#[cfg(target_os = "linux")]
mod tmpfs;
mod tokens;
mod typed;
