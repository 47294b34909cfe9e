//! The commands the UI invokes, one module per concern. Each parses its arguments,
//! calls the engine and maps the error to `IpcError`; nothing here panics on bad input.

pub mod catalog;
pub mod connections;
pub mod console;
pub mod database;
pub mod demo;
pub mod edit;
pub mod engine_settings;
pub mod files;
pub mod local_api;
pub mod panes;
