//! Room on the disk. A write that would leave too little free space on the volume
//! holding the database is refused with `Error::DiskFull` before RocksDB sees it, and
//! writes go on as soon as space is freed.
//!
//! Why before: RocksDB writes the WAL before the memtable, so a commit whose WAL write
//! fails with ENOSPC is applied nowhere — but RocksDB then refuses every write (a
//! "hard" background error) until its own recovery (the `SstFileManager` every DB has)
//! sees free space of at least the write buffer (`WRITE_BUFFER`, 64 MiB) and flushes
//! the memtables to a new SST and a new WAL. Its C API has no `Resume`, and a volume
//! of a few MB never has 64 MiB free: writes would stay refused until a restart. So
//! the engine keeps RocksDB from filling the disk: a write needs room for itself, the
//! memtables' next flush (an SST no larger than they are) and `HEADROOM`.
//!
//! A disk filled by another program between two checks can still make a WAL or flush
//! write fail in RocksDB. Then writes fail with `DiskFull` too, and once there is room
//! for RocksDB's recovery a write waits for it (`Space::await_recovery`) instead of
//! failing. Either way a failed commit took no sequence number and wrote nothing: its
//! torn WAL record, if any, lies in a WAL that recovery retires unreplayed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// RocksDB's memtable size (its default, set explicitly so the recovery threshold
/// below follows it): its recovery from a full disk waits for this much free space.
pub(crate) const WRITE_BUFFER: u64 = 64 << 20;

/// Free space beyond a write and the memtables' flush that a write leaves (the flush
/// also writes a MANIFEST record and a new WAL's header; the info LOG grows).
const HEADROOM: u64 = 256 << 10;

/// Above this much free space (what two full memtables and a large write take) a
/// write does not look at the disk: the reading is refreshed every `REFRESH`.
const PLENTY: u64 = 4 * WRITE_BUFFER;

/// How old a reading of free space may be while there is plenty.
const REFRESH: Duration = Duration::from_millis(100);

/// How long a write waits for RocksDB to come back from a full disk once there is
/// room for its recovery: it retries every five seconds, and a retry flushes.
const RECOVERY_WAIT: Duration = Duration::from_secs(12);

/// How often a waiting write asks whether RocksDB takes writes again.
const RECOVERY_POLL: Duration = Duration::from_millis(50);

pub(crate) struct Space {
    /// The database directory, whose volume is the one that fills up.
    path: PathBuf,
    /// The last reading of free space, less what was written since (writes are
    /// serialised by the engine's writer lock, so this lock is not contended).
    reading: Mutex<Option<Reading>>,
    /// Set when RocksDB itself failed a write on a full disk, cleared by the next
    /// write that succeeds: until then RocksDB may be refusing writes.
    stopped: AtomicBool,
}

#[derive(Clone, Copy)]
struct Reading {
    at: Instant,
    free: u64,
}

impl Space {
    pub fn new(path: &Path) -> Space {
        Space {
            path: path.to_path_buf(),
            reading: Mutex::new(None),
            stopped: AtomicBool::new(false),
        }
    }

    /// Admits a write of `size` bytes while `memtables` bytes wait to be flushed, or
    /// refuses it with `DiskFull`. Where free space cannot be read, admits it.
    pub fn admit(&self, size: u64, memtables: impl FnOnce() -> u64) -> Result<()> {
        let mut reading = self.reading.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = matches!(*reading, Some(r) if r.free >= PLENTY + size && r.at.elapsed() < REFRESH);
        if !fresh {
            *reading = free_space(&self.path).map(|free| Reading {
                at: Instant::now(),
                free,
            });
        }
        let Some(current) = reading.as_mut() else {
            return Ok(());
        };
        if current.free < PLENTY + size {
            let needed = size + memtables() + HEADROOM;
            if current.free < needed {
                return Err(Error::DiskFull(format!(
                    "{} free on the volume of {}, a write of {} needs {}",
                    bytes(current.free),
                    self.path.display(),
                    bytes(size),
                    bytes(needed)
                )));
            }
        }
        current.free -= size;
        Ok(())
    }

    /// Notes how a write that was admitted went in RocksDB.
    pub fn written(&self, result: &Result<()>) {
        match result {
            Ok(()) => self.stopped.store(false, Ordering::Release),
            Err(Error::DiskFull(_)) => {
                self.stopped.store(true, Ordering::Release);
                *self.reading.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            Err(_) => {}
        }
    }

    /// After RocksDB failed a write on a full disk: if the volume has room for its
    /// recovery, waits (at most `RECOVERY_WAIT`) until `probe` — an empty write,
    /// refused at once while RocksDB is stopped — succeeds. Returns at once while
    /// there is no such room, so that the write fails without delay.
    pub fn await_recovery(&self, mut probe: impl FnMut() -> bool) {
        if !self.stopped.load(Ordering::Acquire) {
            return;
        }
        if !matches!(free_space(&self.path), Some(free) if free >= WRITE_BUFFER) {
            return;
        }
        let deadline = Instant::now() + RECOVERY_WAIT;
        while !probe() && Instant::now() < deadline {
            std::thread::sleep(RECOVERY_POLL);
        }
    }
}

/// `n` bytes as a person reads them.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 10 << 20 => format!("{} MiB", n >> 20),
        n if n >= 10 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Bytes the current user may still write on the volume holding `path`.
#[cfg(unix)]
fn free_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string, and `stat` is read only after
    // statvfs succeeded, which means it wrote all of it.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Elsewhere free space is not read: every write is admitted, a full disk is
/// RocksDB's `DiskFull`, and its own recovery lets writes in again.
#[cfg(not(unix))]
fn free_space(_path: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(bytes(900), "900 bytes");
        assert_eq!(bytes(300 << 10), "300 KiB");
        assert_eq!(bytes(64 << 20), "64 MiB");
    }

    #[cfg(unix)]
    #[test]
    fn a_write_larger_than_the_free_space_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_space(dir.path()).unwrap();
        let error = Space::new(dir.path()).admit(free + 1, || 0).unwrap_err();
        assert_eq!(error.code(), "disk_full", "{error}");
        assert!(error.to_string().contains("free on the volume of"), "{error}");
    }
}
