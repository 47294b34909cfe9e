//! Files only the user can read. The Local API setting keeps the app's token text in
//! one (`local_api.rs`): anyone who reads it can act as admin on the database.
//!
//! The bytes go to a file beside the target that is made private when it is created,
//! before anything is written to it, and that file then replaces the target. So a crash
//! mid-write leaves the previous file whole, and the target never names a file others
//! could read — also when an older one there could be read by others.
//!
//! - Unix (Linux, macOS): mode 0600, given at creation.
//! - Windows has no mode bits: the file gets a protected DACL with a single entry, full
//!   access for the current user, so nothing is inherited from the folder
//!   (`private_file/windows.rs`). A rename keeps a file's own DACL.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[cfg(windows)]
mod windows;

/// Writes `bytes` to `path` (creating its folder), readable and writable by the current
/// user alone.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let partial = partial_path(path);
    // One left by a crash keeps whatever permissions it had: start afresh.
    match fs::remove_file(&partial) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = create(&partial)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&partial, path)) {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    Ok(())
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

#[cfg(unix)]
fn create(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(windows)]
fn create(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .access_mode(windows::WRITE_ACCESS)
        .open(path)?;
    windows::restrict_to_current_user(file.as_raw_handle())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_partial_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("settings.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn a_partial_file_left_by_a_crash_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(partial_path(&path), b"stale").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!partial_path(&path).exists());
    }

    #[cfg(unix)]
    #[test]
    fn only_the_user_can_read_it_even_where_an_older_file_was_public() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"token").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
