//! A small real filesystem for disk-full tests: a tmpfs mounted on a fresh directory
//! (root only, as CI runs; without root a test fails when `CI` is set and says why and
//! returns otherwise), and a filler file that takes all of it but a little. Shared by
//! the engine's and the CLI's test binaries (`#[path]` in `crates/cli/tests/cli/main.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The size of the filesystem the database lives on.
pub const VOLUME: &str = "16m";

/// What the filler leaves free for the engine to fill with acknowledged writes.
pub const ROOM: u64 = 3 << 20;

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `VOLUME`; `None` (having said why) when this process may not
    /// mount and `CI` is not set. In CI a test that cannot run must fail, not pass.
    pub fn mount(test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={VOLUME}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let failure = match output {
            Ok(output) if output.status.success() => return Some(Tmpfs { dir }),
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_string(),
            Err(e) => format!("cannot run mount: {e}"),
        };
        let why = format!("{test} mounts a {VOLUME} tmpfs, which needs root: {failure}");
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        None
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(self.dir.path()).status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("could not unmount {}: {status:?}", self.dir.path().display());
        }
    }
}

/// Fills the volume with one file, then gives back `ROOM` bytes of it.
pub fn fill(path: &Path) -> PathBuf {
    let filler = path.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", filler.display()),
        }
    }
    let len = file.metadata().unwrap().len();
    assert!(len > ROOM, "the filler got only {len} bytes");
    file.set_len(len - ROOM).unwrap();
    file.sync_all().unwrap();
    filler
}
