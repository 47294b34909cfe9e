//! Which database is the demo: one whose folder holds the marker file, written when the
//! folder was new or empty and made into the demo. Nothing else marks a database as the
//! demo, so the writer never writes into one the user made: a database with the same
//! tables, made by hand, is still not the demo.

use std::path::{Path, PathBuf};

use crate::error::DemoError;

/// The marker file's name in the demo database's folder (RocksDB leaves files it does
/// not know alone).
pub const MARKER: &str = "tidepool-demo.txt";

const MARKER_TEXT: &str = "This folder is Tidepool's demo database: a small shop whose orders the demo writer \
places, pays and cancels. Tidepool's demo writer writes only into a database whose folder holds this file.\n";

/// Where the demo lives unless told otherwise: `demo` beside the default database, in
/// the OS app-data folder.
pub fn default_dir() -> Option<PathBuf> {
    Some(tidepool_engine::default_database_dir()?.parent()?.join("demo"))
}

/// Whether the database in `dir` was made as the demo.
pub fn is_demo(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// Makes `dir` the demo's folder: creates it when missing and marks it when it is empty.
/// A folder that is the demo already is left as it is; one that holds anything else is
/// refused.
pub fn prepare(dir: &Path) -> Result<(), DemoError> {
    if is_demo(dir) {
        return Ok(());
    }
    let folder_error = |source| DemoError::Folder {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(folder_error)?;
    let mut entries = std::fs::read_dir(dir).map_err(folder_error)?;
    if entries.next().is_some() {
        return Err(DemoError::FolderInUse(dir.to_path_buf()));
    }
    std::fs::write(dir.join(MARKER), MARKER_TEXT).map_err(folder_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_empty_folder_is_marked_and_any_other_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let new = root.path().join("new");
        prepare(&new).unwrap();
        assert!(is_demo(&new));
        // Preparing again keeps the demo as it is.
        std::fs::write(new.join("CURRENT"), "x").unwrap();
        prepare(&new).unwrap();

        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        prepare(&empty).unwrap();
        assert!(is_demo(&empty));

        let used = root.path().join("used");
        std::fs::create_dir(&used).unwrap();
        std::fs::write(used.join("CURRENT"), "x").unwrap();
        assert!(matches!(prepare(&used), Err(DemoError::FolderInUse(_))));
        assert!(!is_demo(&used));
    }

    #[test]
    fn the_default_demo_sits_beside_the_default_database() {
        let (Some(demo), Some(default)) = (default_dir(), tidepool_engine::default_database_dir()) else {
            return;
        };
        assert_eq!(demo.parent(), default.parent());
        assert_eq!(demo.file_name().unwrap(), "demo");
    }
}
