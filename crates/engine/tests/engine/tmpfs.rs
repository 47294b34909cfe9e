//! A small real filesystem for disk-full tests (Linux): a tmpfs mounted on a fresh
//! directory — as root, as CI runs, else through `sudo -n` (GitHub's runners); when
//! neither may mount, a test fails when `CI` is set and says why and returns otherwise
//! — and a filler file that takes all of it but a little. Shared by the engine's, the
//! CLI's and the app's test binaries (`#[path]` in the others).

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
        let size = format!("size={VOLUME}");
        let mount = ["mount", "-t", "tmpfs", "-o", &size, "tmpfs"];
        let failure = match privileged(&mount, dir.path()) {
            Ok(()) => return Some(Tmpfs { dir }),
            Err(failure) => failure,
        };
        let why = format!("{test} mounts a {VOLUME} tmpfs, which needs root or sudo: {failure}");
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
        if let Err(failure) = privileged(&["umount"], self.dir.path()) {
            eprintln!("could not unmount {}: {failure}", self.dir.path().display());
        }
    }
}

/// Runs `command` with `path` as its last argument: as it is, and when that fails,
/// through `sudo -n` (which never asks for a password).
fn privileged(command: &[&str], path: &Path) -> Result<(), String> {
    let run = |program: &str, args: &[&str]| match Command::new(program).args(args).arg(path).output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(String::from_utf8_lossy(&output.stderr).trim().to_string()),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    };
    run(command[0], &command[1..]).or_else(|direct| {
        let sudo: Vec<&str> = ["-n"].iter().chain(command).copied().collect();
        run("sudo", &sudo).map_err(|sudo| format!("{direct}; with sudo -n: {sudo}"))
    })
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
