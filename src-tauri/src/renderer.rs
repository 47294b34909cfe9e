//! Which renderer the webview draws with. WebKitGTK composites a page with OpenGL, and
//! without a GPU that OpenGL is Mesa's llvmpipe, on the CPU, redrawing the whole window
//! for every frame in which anything changed. Measured by `scripts/bench-ui` under Xvfb
//! on the 2-core CI VM: a page that changes one line of text every frame keeps about 0.8
//! of a core busy that way, against under 0.1 with WebKit's software renderer, which
//! repaints only what changed; a live pane at 10,000 changes/s, which changes something
//! every frame, stayed near 30 fps with OpenGL for that reason. So on a machine with no
//! GPU render node the app asks WebKitGTK for its software renderer. A value the user
//! set wins either way (`WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps OpenGL).

use std::ffi::OsString;

const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Chooses before anything starts a thread or a webview (environment variables are
/// read by WebKit's processes when they start, and setting one races with readers).
pub fn choose() {
    if !cfg!(target_os = "linux") || std::env::var_os(VARIABLE).is_some() {
        return;
    }
    let devices: Vec<OsString> = std::fs::read_dir("/dev/dri")
        .map(|entries| entries.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default();
    if !has_render_node(&devices) {
        std::env::set_var(VARIABLE, "1");
    }
}

/// Whether the DRM devices include a render node (`renderD128`, ...): a GPU that
/// OpenGL can draw with.
fn has_render_node(devices: &[OsString]) -> bool {
    devices.iter().any(|name| name.to_string_lossy().starts_with("renderD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu() {
        let names = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(has_render_node(&names(&["card0", "renderD128", "by-path"])));
        assert!(!has_render_node(&names(&["card0"])));
        assert!(!has_render_node(&[]));
    }
}
