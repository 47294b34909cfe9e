//! The window menu: File → New / Open database (native dialogs), Quit.

use std::path::PathBuf;

use tauri::menu::{Menu, MenuEvent, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::ipc::CATALOG_EVENT;
use crate::state::AppState;

const NEW: &str = "file-new-database";
const OPEN: &str = "file-open-database";

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let file = SubmenuBuilder::new(app, "File")
        .item(
            &MenuItemBuilder::with_id(NEW, "New Database…")
                .accelerator("CmdOrCtrl+Shift+N")
                .build(app)?,
        )
        .item(
            &MenuItemBuilder::with_id(OPEN, "Open Database…")
                .accelerator("CmdOrCtrl+O")
                .build(app)?,
        )
        .separator()
        .item(&PredefinedMenuItem::quit(app, None)?)
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    Menu::with_items(app, &[&file, &edit])
}

pub fn handle<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let dialog = app.dialog().file();
    let app = app.clone();
    match event.id().as_ref() {
        NEW => dialog
            .set_title("New database: choose a name for its folder")
            .save_file(move |path| {
                if let Some(path) = path.and_then(|p| p.into_path().ok()) {
                    open(&app, path);
                }
            }),
        OPEN => dialog.set_title("Open a database folder").pick_folder(move |path| {
            if let Some(path) = path.and_then(|p| p.into_path().ok()) {
                open(&app, path);
            }
        }),
        _ => {}
    }
}

fn open<R: Runtime>(app: &AppHandle<R>, path: PathBuf) {
    match app.state::<AppState>().open(&path) {
        Ok(engine) => {
            let _ = app.emit(CATALOG_EVENT, crate::catalog::view(&engine));
        }
        Err(e) => {
            app.dialog()
                .message(format!("Cannot open {}:\n{}", path.display(), e.message))
                .kind(MessageDialogKind::Error)
                .title("Tidepool Studio")
                .show(|_| {});
        }
    }
}
