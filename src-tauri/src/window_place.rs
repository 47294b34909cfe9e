//! The main window opens where and as big as it was when the app last closed.

use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, Runtime, Window, WindowEvent};

use crate::recent::WindowPlace;
use crate::state::AppState;

/// Puts the main window where it was (if that is still on a screen).
pub fn restore<R: Runtime>(app: &AppHandle<R>) {
    let (Some(window), Some(place)) = (
        app.get_webview_window("main"),
        app.state::<AppState>().memory.window_place(),
    ) else {
        return;
    };
    if place.maximized {
        let _ = window.maximize();
        return;
    }
    let on_screen = window.available_monitors().unwrap_or_default().iter().any(|m| {
        let (p, s) = (m.position(), m.size());
        place.x >= p.x && place.y >= p.y && place.x < p.x + s.width as i32 && place.y < p.y + s.height as i32
    });
    let _ = window.set_size(PhysicalSize::new(place.width.max(480), place.height.max(320)));
    if on_screen {
        let _ = window.set_position(PhysicalPosition::new(place.x, place.y));
    }
}

/// Remembers the main window's place when it is about to close (its close button).
pub fn remember<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() == "main" && matches!(event, WindowEvent::CloseRequested { .. }) {
        save(window.app_handle());
    }
}

/// Remembers the main window's place (also on Quit, which closes no window first).
pub fn save<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let maximized = window.is_maximized().unwrap_or(false);
    let (Ok(size), Ok(position)) = (window.inner_size(), window.outer_position()) else {
        return;
    };
    let place = WindowPlace {
        width: size.width,
        height: size.height,
        x: position.x,
        y: position.y,
        maximized,
    };
    app.state::<AppState>().memory.save_window_place(place);
}
