//! What can go wrong with the demo, each with what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The writer was asked to write into a database that was not made as the demo.
    #[error(
        "{0} is not the demo database: the demo writer writes only into a database made as the demo \
         (`tidepool demo --db DIR` on a new or empty folder, or Open Demo Database in Tidepool Studio)"
    )]
    NotTheDemo(PathBuf),
    /// The folder asked for the demo already holds something else.
    #[error("{0} already holds files that are not the demo's: the demo is made in a new or empty folder")]
    FolderInUse(PathBuf),
    #[error("cannot make {path} the demo's folder: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A write or read of the demo's tables failed (e.g. a table was dropped).
    #[error(transparent)]
    Engine(#[from] tidepool_engine::Error),
}
