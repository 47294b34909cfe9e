//! Where the default database lives on each system: the OS app-data folder of the app
//! ([`APP_IDENTIFIER`]), found the way the desktop app's Tauri finds it, so the app,
//! `tidepool sql` and `tidepool serve` open the same database when none is named.
//!
//! The rule is a function of the system and its environment, so one unit test checks
//! Linux's, macOS's and Windows's rules on whichever system it runs.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::engine::APP_IDENTIFIER;

/// The systems whose app-data folders differ (every Unix other than macOS follows the
/// XDG rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    Xdg,
    MacOs,
    Windows,
}

impl System {
    const CURRENT: System = if cfg!(target_os = "windows") {
        System::Windows
    } else if cfg!(target_os = "macos") {
        System::MacOs
    } else {
        System::Xdg
    };
}

/// Where the default database lives: `<app data>/dev.tidepool.studio/databases/default`,
/// with app data being `$XDG_DATA_HOME` (or `~/.local/share`) on Linux,
/// `~/Library/Application Support` on macOS and `%APPDATA%` (the roaming profile) on
/// Windows — the same folder the desktop app uses. `None` when the environment names
/// no home.
pub fn default_database_dir() -> Option<PathBuf> {
    database_dir_on(System::CURRENT, |name| std::env::var_os(name))
}

/// The default database's folder on `system` with environment `env`. Empty variables
/// count as unset, and so does a relative `XDG_DATA_HOME` (the XDG spec says to ignore
/// it, and Tauri's `dirs` does; `has_root` rather than `is_absolute`, so the rule reads
/// the same when the test runs on Windows, where `/data` has no drive).
fn database_dir_on(system: System, env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = match system {
        System::Windows => var("APPDATA"),
        System::MacOs => var("HOME").map(|home| home.join("Library").join("Application Support")),
        System::Xdg => var("XDG_DATA_HOME")
            .filter(|dir| dir.has_root())
            .or_else(|| var("HOME").map(|home| home.join(".local").join("share"))),
    }?;
    Some(base.join(APP_IDENTIFIER).join("databases").join("default"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `database_dir_on` with the environment given as `name=value` pairs.
    fn dir(system: System, vars: &[(&str, &str)]) -> Option<PathBuf> {
        let vars: Vec<(String, OsString)> = vars.iter().map(|(n, v)| (n.to_string(), OsString::from(v))).collect();
        database_dir_on(system, |name| {
            vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        })
    }

    fn default_in(base: &str) -> Option<PathBuf> {
        Some(
            PathBuf::from(base)
                .join("dev.tidepool.studio")
                .join("databases")
                .join("default"),
        )
    }

    #[test]
    fn linux_uses_xdg_data_home_then_home() {
        let both = [("XDG_DATA_HOME", "/data/me"), ("HOME", "/home/me")];
        assert_eq!(dir(System::Xdg, &both), default_in("/data/me"));
        assert_eq!(dir(System::Xdg, &both[1..]), default_in("/home/me/.local/share"));
        // Empty or relative XDG_DATA_HOME is ignored.
        let empty = [("XDG_DATA_HOME", ""), ("HOME", "/home/me")];
        assert_eq!(dir(System::Xdg, &empty), default_in("/home/me/.local/share"));
        let relative = [("XDG_DATA_HOME", "data"), ("HOME", "/home/me")];
        assert_eq!(dir(System::Xdg, &relative), default_in("/home/me/.local/share"));
        assert_eq!(dir(System::Xdg, &[("HOME", "")]), None);
        assert_eq!(dir(System::Xdg, &[("APPDATA", "/x")]), None);
    }

    #[test]
    fn macos_uses_application_support_under_home_whatever_xdg_says() {
        let vars = [("XDG_DATA_HOME", "/data/me"), ("HOME", "/Users/me")];
        assert_eq!(
            dir(System::MacOs, &vars),
            default_in("/Users/me/Library/Application Support")
        );
        assert_eq!(dir(System::MacOs, &vars[..1]), None);
    }

    #[test]
    fn windows_uses_the_roaming_appdata_folder_and_never_home() {
        let vars = [
            ("APPDATA", r"C:\Users\me\AppData\Roaming"),
            ("HOME", "/home/me"),
            ("USERPROFILE", r"C:\Users\me"),
        ];
        assert_eq!(dir(System::Windows, &vars), default_in(r"C:\Users\me\AppData\Roaming"));
        assert_eq!(dir(System::Windows, &vars[1..]), None);
        assert_eq!(dir(System::Windows, &[("APPDATA", "")]), None);
    }
}
