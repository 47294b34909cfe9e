//! The owner-only DACL of a private file on Windows: one entry granting the current
//! user (the SID of this process's token) full access, marked protected so that no
//! entry is inherited from the folder, where Users, Administrators or SYSTEM may have
//! some. Administrators can still take ownership of any file; no one else can read it.

use std::io;
use std::mem::size_of;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, GENERIC_WRITE, HANDLE};
use windows_sys::Win32::Security::Authorization::{SetSecurityInfo, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    AddAccessAllowedAce, GetLengthSid, GetTokenInformation, InitializeAcl, TokenUser, ACCESS_ALLOWED_ACE, ACL,
    ACL_REVISION, DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PSID, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{FILE_ALL_ACCESS, WRITE_DAC};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The access a private file is opened with: to write it, and to set its DACL.
pub const WRITE_ACCESS: u32 = GENERIC_WRITE | WRITE_DAC;

/// Gives the file open as `handle` (with WRITE_DAC) the owner-only DACL.
pub fn restrict_to_current_user(handle: HANDLE) -> io::Result<()> {
    let user = CurrentUser::of_this_process()?;
    let acl = owner_only_acl(user.sid())?;
    // SAFETY: `handle` is an open file handle; `acl` is a valid ACL built below, alive
    // for the call; owner, group and SACL are left as they are (null).
    let status = unsafe {
        SetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            null_mut(),
            null_mut(),
            acl.as_ptr().cast::<ACL>(),
            null(),
        )
    };
    if status != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    Ok(())
}

/// The TOKEN_USER of this process, in a buffer that also holds the SID it points to
/// (u64 words: TOKEN_USER holds a pointer, so the buffer must be pointer-aligned).
struct CurrentUser(Vec<u64>);

impl CurrentUser {
    fn of_this_process() -> io::Result<CurrentUser> {
        let mut token: HANDLE = null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing;
        // `token` receives a handle that `Token` closes.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let token = Token(token);
        let mut needed = 0u32;
        // SAFETY: a null buffer of length 0 asks only for the size needed (the call
        // fails with ERROR_INSUFFICIENT_BUFFER and sets `needed`).
        unsafe { GetTokenInformation(token.0, TokenUser, null_mut(), 0, &mut needed) };
        if needed == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buffer = vec![0u64; (needed as usize).div_ceil(size_of::<u64>())];
        // SAFETY: `buffer` has room for `needed` bytes.
        if unsafe { GetTokenInformation(token.0, TokenUser, buffer.as_mut_ptr().cast(), needed, &mut needed) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(CurrentUser(buffer))
    }

    fn sid(&self) -> PSID {
        // SAFETY: GetTokenInformation(TokenUser) filled the buffer with a TOKEN_USER.
        unsafe { (*self.0.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }
}

struct Token(HANDLE);

impl Drop for Token {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenProcessToken and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// An ACL (in u64 words, for its DWORD alignment) with one entry: full access for `sid`.
fn owner_only_acl(sid: PSID) -> io::Result<Vec<u64>> {
    // SAFETY: `sid` points into a live TOKEN_USER buffer.
    let size = acl_size(unsafe { GetLengthSid(sid) });
    let mut acl = vec![0u64; size.div_ceil(size_of::<u64>())];
    let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
    // SAFETY: `acl` has `size` bytes, enough for the header and the one entry.
    if unsafe { InitializeAcl(acl_ptr, size as u32, ACL_REVISION) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; `sid` is valid.
    if unsafe { AddAccessAllowedAce(acl_ptr, ACL_REVISION, FILE_ALL_ACCESS, sid) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(acl)
}

/// The bytes of an ACL holding one access-allowed entry for a SID of `sid_len` bytes:
/// the header, the entry (whose last field, SidStart, is where the SID begins), the
/// SID, rounded up to a DWORD (as Microsoft's documentation of InitializeAcl computes it).
fn acl_size(sid_len: u32) -> usize {
    (size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() - size_of::<u32>() + sid_len as usize).next_multiple_of(4)
}

#[cfg(test)]
mod tests {
    use std::ffi::c_void;
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;

    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::GetSecurityInfo;
    use windows_sys::Win32::Security::{
        AclSizeInformation, EqualSid, GetAce, GetAclInformation, GetSecurityDescriptorControl, ACL_SIZE_INFORMATION,
        PSECURITY_DESCRIPTOR, SE_DACL_PROTECTED,
    };
    use windows_sys::Win32::Storage::FileSystem::READ_CONTROL;
    use windows_sys::Win32::System::SystemServices::ACCESS_ALLOWED_ACE_TYPE;

    use super::*;

    #[test]
    fn a_user_sid_fits_the_acl() {
        // S-1-5-21-a-b-c-rid: 28 bytes; 8 (ACL) + 12 (entry) - 4 (SidStart) + 28.
        assert_eq!(acl_size(28), 44);
        assert_eq!(acl_size(27), 44);
    }

    #[test]
    fn the_file_grants_the_current_user_alone_and_inherits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local-api.json");
        crate::private_file::write(&path, b"token").unwrap();
        let file = std::fs::OpenOptions::new()
            .access_mode(READ_CONTROL)
            .open(&path)
            .unwrap();

        let mut dacl: *mut ACL = null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = null_mut();
        // SAFETY: the handle is open with READ_CONTROL; the descriptor is freed below
        // and `dacl` points into it.
        let status = unsafe {
            GetSecurityInfo(
                file.as_raw_handle(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                null_mut(),
                null_mut(),
                &mut dacl,
                null_mut(),
                &mut descriptor,
            )
        };
        assert_eq!(status, ERROR_SUCCESS);
        let (mut control, mut revision) = (0u16, 0u32);
        let mut size = ACL_SIZE_INFORMATION::default();
        let mut ace: *mut c_void = null_mut();
        let user = CurrentUser::of_this_process().unwrap();
        // SAFETY: `descriptor` and `dacl` are valid until LocalFree; `ace` points into
        // `dacl`.
        unsafe {
            assert_ne!(GetSecurityDescriptorControl(descriptor, &mut control, &mut revision), 0);
            assert_ne!(
                control & SE_DACL_PROTECTED,
                0,
                "the DACL inherits entries from the folder"
            );
            assert_ne!(
                GetAclInformation(
                    dacl,
                    (&mut size as *mut ACL_SIZE_INFORMATION).cast(),
                    size_of::<ACL_SIZE_INFORMATION>() as u32,
                    AclSizeInformation,
                ),
                0
            );
            assert_eq!(size.AceCount, 1);
            assert_ne!(GetAce(dacl, 0, &mut ace), 0);
            let entry = &*ace.cast::<ACCESS_ALLOWED_ACE>();
            assert_eq!(u32::from(entry.Header.AceType), ACCESS_ALLOWED_ACE_TYPE);
            assert_eq!(entry.Mask, FILE_ALL_ACCESS);
            let sid = (&entry.SidStart as *const u32).cast_mut().cast::<c_void>();
            assert_ne!(EqualSid(sid, user.sid()), 0, "the entry is for another account");
            LocalFree(descriptor);
        }
    }
}
